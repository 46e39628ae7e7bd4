/**
 * `npm run bench`: the service against a reference, side by side, in one run, each on a fresh
 * database, driven by the same driver (scripts/load/driver.ts). The reference is the ceiling of a
 * Node HTTP service on this machine (scripts/bench/ceiling.ts) on SQLite, the yardstick (a minimal
 * hand-written Fastify + pg service: scripts/bench/yardstick-pg.ts) on PostgreSQL, or with
 * `--baseline <git-ref>` another build of this service, checked out and built in a temporary git
 * worktree.
 *
 *   npm run bench                                  SQLite (a temp file)
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench
 *                                                  PostgreSQL (a fresh database on that server
 *                                                  for the service and one for the yardstick,
 *                                                  dropped afterwards)
 *   npm run bench -- --baseline HEAD~1             this tree against the previous commit
 *   npm run bench -- --scale                       then 100,000 products and 1,000,000 orders
 *   npm run bench -- --duration 3                  seconds per scenario (default 10)
 *   npm run bench -- --duration 0.2 --products 20 --scale --scale-factor 0.01
 *                                                  a few seconds, to check that it runs
 *   npm run bench -- --help                        every option, and how long a run takes
 *
 * The service runs compiled (npm run build) with LOG_LEVEL=warn and RATE_LIMIT_MAX=0.
 */
import { execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { formatComparison, type Comparison } from './bench/compare.js'
import { withProgress } from './cli.js'
import {
  BenchError,
  cleanUp,
  cleanUpOnSignals,
  elapsed,
  onCleanup,
  run,
  spawnTracked,
  step,
} from './bench/lifecycle.js'
import { estimate, pacedSeconds, parseOptions, roughly, SLICES } from './bench/options.js'
import { checkOut, describeThisTree, resolveRef, type Revision } from './bench/worktree.js'
import { mergeResults, ms, newPool, runLoad, table, type LoadResult, type Task } from './load/driver.js'
import { createProducts, mixTasks, random, residentMemory, serverFailures, stockAccount } from './load/scenarios.js'

const options = parseOptions()
cleanUpOnSignals()
const durationMs = options.durationS * 1000
const SCALE_PRODUCTS = Math.round(100_000 * options.scaleFactor)
const SCALE_ORDERS = Math.round(1_000_000 * options.scaleFactor)
const DEEP_OFFSET = Math.round(SCALE_ORDERS * 0.9)
const databaseUrl = process.env.DATABASE_URL ?? ''
const postgres = /^postgres(ql)?:\/\//.test(databaseUrl)
const POOL_SIZE = Number(process.env.DATABASE_POOL_SIZE ?? 10)
const comparing = options.baseline !== undefined
/** On PostgreSQL without a baseline, the reference is the yardstick, on a database of its own. */
const yardstick = postgres && !comparing
/** The reference has a database of its own (a baseline, the yardstick), seeded and checked as the service's. */
const referenceDatabase = comparing || yardstick
const referenceName = yardstick ? 'yardstick' : 'ceiling'

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => done(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

async function start(args: string[], env: Record<string, string>, cwd = '.'): Promise<string> {
  const port = await freePort()
  const child: ChildProcess = spawnTracked(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} (in ${resolve(cwd)}) exited (${child.exitCode})`)
    try {
      if ((await fetch(`${url}/health`)).ok) return url
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${args.join(' ')} (in ${resolve(cwd)}) did not start`)
}

let databases = 0
/** A fresh database: a temp SQLite file, or a new database on DATABASE_URL's server. */
async function freshDatabase(): Promise<string> {
  if (!postgres) {
    const dir = mkdtempSync(join(tmpdir(), 'orders-bench-'))
    onCleanup(dir, () => rmSync(dir, { recursive: true, force: true }))
    return `sqlite:${join(dir, 'bench.db')}`
  }
  const name = `oi_bench_${Date.now()}_${process.pid}_${++databases}`
  const admin = new pg.Client({ connectionString: databaseUrl })
  await admin.connect()
  await admin.query(`create database ${name} template template0`)
  await admin.end()
  onCleanup(`database ${name}`, async () => {
    const client = new pg.Client({ connectionString: databaseUrl })
    await client.connect()
    await client.query(`drop database if exists ${name} with (force)`)
    await client.end()
  })
  const url = new URL(databaseUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/** One side of the comparison: the service, or its reference (the ceiling, the yardstick or the baseline). */
interface Side {
  label: string
  url: string
  /** Its database (none for the ceiling). */
  database: string
  /** Products seeded on its database (the service's, for the ceiling: it answers any id). */
  ids: number[]
  deepAfterId: number
}

interface Row {
  scenario: string
  users: number
  service: LoadResult
  /** The ceiling's, the yardstick's or the baseline's. */
  reference?: LoadResult
  sliceRatios?: number[]
  note?: string
}

const rps = (r: LoadResult) => r.overall.count / (r.durationMs / 1000)
const summary = (r: LoadResult) => ({
  rps: rps(r),
  p50: r.overall.histogram.getValueAtPercentile(50),
  p99: r.overall.histogram.getValueAtPercentile(99),
})

function printRows(title: string, rows: Row[]) {
  console.log(`\n${title}`)
  if (comparing) {
    const comparisons: Comparison[] = rows.map((row) => ({
      scenario: row.scenario,
      users: row.users,
      current: row.service,
      baseline: row.reference!,
      sliceRatios: row.sliceRatios ?? [],
      note: row.note,
    }))
    console.log(formatComparison(comparisons, other.label))
    return
  }
  const ref = referenceName
  // The yardstick answers from a database, so it can fail too: its errors get a column.
  const headers = [
    'scenario',
    'users',
    'service rps',
    `${ref} rps`,
    'ratio',
    'p50 ms',
    'p99 ms',
    `${ref} p99`,
    'errors',
  ]
  console.log(
    table(
      [...headers, ...(yardstick ? [`${ref} errors`] : []), 'note'],
      rows.map((row) => {
        const s = summary(row.service)
        const r = row.reference && summary(row.reference)
        return [
          row.scenario,
          String(row.users),
          s.rps.toFixed(0),
          r ? r.rps.toFixed(0) : '-',
          r ? `${((100 * s.rps) / r.rps).toFixed(0)}%` : '-',
          ms(s.p50).toFixed(2),
          ms(s.p99).toFixed(2),
          r ? ms(r.p99).toFixed(2) : '-',
          String(row.service.overall.errors),
          ...(yardstick ? [row.reference ? String(row.reference.overall.errors) : '-'] : []),
          row.note ?? '',
        ]
      }),
    ),
  )
}

/** Orders on one of the seeded products, each of a large stock: no refusals, little contention. */
const orderTask = (ids: number[]): Task => ({
  name: 'order',
  weight: 1,
  request: () => ({ method: 'POST', path: '/orders', body: { product_id: random(ids), quantity: 1 } }),
})
/** Orders of three lines, on three different seeded products (the lock order sorts them). */
const order3Task = (ids: number[]): Task => ({
  name: 'order3',
  weight: 1,
  request: () => {
    const first = Math.floor(Math.random() * (ids.length - 2))
    const items = [ids[first + 2]!, ids[first]!, ids[first + 1]!].map((product_id) => ({ product_id, quantity: 1 }))
    return { method: 'POST', path: '/orders', body: { items } }
  },
})
const getTask = (ids: number[]): Task => ({
  name: 'get',
  weight: 1,
  request: () => ({ method: 'GET', path: `/products/${random(ids)}` }),
})
const listTask: Task = { name: 'list', weight: 1, request: () => ({ method: 'GET', path: '/products?limit=100' }) }

// Assigned before any scenario runs.
let service: Side
let other: Side

/**
 * The service and its reference take turns, SLICES times each, on connections kept open: a shared
 * machine's slow moments then fall on both alike instead of on whichever ran at the time.
 */
async function both(scenario: string, users: number, tasks: (side: Side) => Task[]): Promise<Row> {
  step(
    `${scenario}, ${users} users: ${comparing ? 'this build and the baseline' : `service and ${referenceName}`} in turn, ` +
      `${SLICES} slices of ${(options.durationS / SLICES).toFixed(2)} s each`,
  )
  const pools = [newPool(service.url, users), newPool(other.url, users)] as const
  const runs: [LoadResult[], LoadResult[]] = [[], []]
  try {
    for (let i = 0; i < SLICES; i++) {
      for (const [index, side] of [service, other].entries()) {
        const slice = {
          baseUrl: side.url,
          users,
          durationMs: durationMs / SLICES,
          tasks: tasks(side),
          pool: pools[index],
        }
        runs[index]!.push(await runLoad(slice))
      }
    }
  } finally {
    await Promise.all(pools.map((pool) => pool.close()))
  }
  const [ours, theirs] = runs.map(mergeResults) as [LoadResult, LoadResult]
  return {
    scenario,
    users,
    service: ours,
    reference: theirs,
    sliceRatios: runs[0].map((slice, i) => rps(slice) / rps(runs[1][i]!)),
  }
}

const mb = (bytes: number | undefined) => ((bytes ?? 0) / 2 ** 20).toFixed(0)

/**
 * The old Locust test's users paused between requests and were spawned gradually: 200 such users,
 * started 100 per second, as a user population. Not in slices (each run starts its users anew):
 * with a baseline or the yardstick, one run of each, one after the other (the ceiling's fixed
 * bodies say nothing about latency at this pace: it is not run).
 */
async function paced(): Promise<Row> {
  const seconds = pacedSeconds(options.durationS)
  step(
    `mix paced, 200 Locust-like users: ${referenceDatabase ? `this build, then the ${comparing ? 'baseline' : referenceName}, ${seconds} s each` : `${seconds} s`}`,
  )
  const load = (side: Side) =>
    runLoad({
      baseUrl: side.url,
      users: 200,
      durationMs: seconds * 1000,
      tasks: mixTasks([...side.ids]),
      waitMs: [500, 1500],
      spawnRate: 100,
    })
  const row: Row = {
    scenario: 'mix paced',
    users: 200,
    service: await load(service),
    note: 'Locust-like users: started 100/s, wait 0.5-1.5 s between requests',
  }
  if (referenceDatabase) {
    row.reference = await load(other)
    row.note = 'Locust-like: 100/s, wait 0.5-1.5 s; one run each'
  }
  return row
}

async function scenarios(rows: Row[]) {
  rows.push(await both('get', 50, (side) => [getTask(side.ids)]))
  rows.push(await both('list', 50, () => [listTask]))
  rows.push(await both('order', 50, (side) => [orderTask(side.ids)]))
  // A baseline from before orders had several lines answers these with 422 (its errors column).
  rows.push(await both('order3', 50, (side) => [order3Task(side.ids)]))
  rows.push(await both('mix', 25, (side) => mixTasks([...side.ids])))
  // The service's RSS, and the baseline's (the yardstick's says nothing about the service).
  const sides = comparing ? [service, other] : [service]
  const rssBefore = await Promise.all(sides.map((side) => residentMemory(side.url)))
  const mix200: Row = await both('mix', 200, (side) => mixTasks([...side.ids]))
  const rssAfter = await Promise.all(sides.map((side) => residentMemory(side.url)))
  if (rssBefore.every(Boolean) && rssAfter.every(Boolean))
    mix200.note = sides
      .map((_, i) => `${i ? 'baseline ' : 'RSS '}${mb(rssBefore[i])} -> ${mb(rssAfter[i])}${i ? '' : ' MB'}`)
      .join(', ')
  rows.push(mix200)
  rows.push(await paced())
}

async function hot(): Promise<Row> {
  const sides = referenceDatabase ? [service, other] : [service]
  const ids = await Promise.all(sides.map((side) => createProducts(side.url, 10, 100)))
  const row = await both('hot', 200, (side) => [
    {
      ...orderTask(ids[side === other && referenceDatabase ? 1 : 0]!),
      ok: (status) => status === 201 || status === 409,
    },
  ])
  const checks: string[] = []
  for (const [i, side] of sides.entries()) {
    let sold = 0
    let oversold = false
    for (const id of ids[i]!) {
      const { stock, held } = await stockAccount(side.url, id)
      sold += held
      if (stock < 0 || stock + held !== 100) oversold = true
    }
    const failures = serverFailures((i ? row.reference! : row.service).overall)
    // The yardstick keeps no ledger: it answers 404 there, and the check is skipped.
    const books = await ledgerCheck(side.url)
    if (books.mismatches > 0) oversold = true
    checks.push(
      comparing
        ? `${i ? 'baseline ' : ''}${oversold ? 'OVERSOLD' : 'no oversell'} ${sold}/1000, 5xx+conn ${failures}${books.note}`
        : `${i ? `${referenceName} ` : ''}${oversold ? 'OVERSOLD' : 'no oversell'}: ${sold}/1000 sold; 5xx+conn errors ${failures}${books.note}`,
    )
  }
  row.note = checks.join('; ')
  return row
}

/** GET /inventory/reconciliation: the books must balance (a build without a ledger answers 404: skipped). */
async function ledgerCheck(url: string): Promise<{ mismatches: number; note: string; ms: number; checked: number }> {
  const started = performance.now()
  const response = await fetch(`${url}/inventory/reconciliation`)
  const ms = performance.now() - started
  if (response.status === 404) return { mismatches: 0, note: '', ms, checked: 0 }
  const body = (await response.json()) as { checked: number; mismatches: unknown[] }
  const mismatches = body.mismatches.length
  return {
    mismatches,
    note: mismatches ? `, LEDGER MISMATCHES ${mismatches}` : ', books balance',
    ms,
    checked: body.checked,
  }
}

function seedScale(url: string) {
  console.log(`seeding ${SCALE_PRODUCTS} products (ten ledger movements each) and ${SCALE_ORDERS} orders...`)
  const started = Date.now()
  if (!postgres) {
    const db = new SQLite(url.replace(/^sqlite:/, ''))
    db.pragma('journal_mode = WAL')
    const product = db.prepare(
      'insert into products (sku, name, price_cents, stock, created_at, updated_at) values (?, ?, 999, 1000000000, ?, ?)',
    )
    const order = db.prepare(
      'insert into orders (product_id, quantity, status, unit_price_cents, total_cents, created_at, updated_at) values (?, 1, ?, 999, 999, ?, ?)',
    )
    const now = new Date().toISOString()
    const statuses = ['PENDING', 'PAID', 'SHIPPED', 'CANCELED']
    db.transaction(() => {
      const first = Number((db.prepare('select coalesce(max(id), 0) as m from products').get() as { m: number }).m) + 1
      for (let i = 0; i < SCALE_PRODUCTS; i++) product.run(`SCALE-${i}`, `Scale ${i}`, now, now)
      for (let i = 0; i < SCALE_ORDERS; i++) order.run(first + (i % SCALE_PRODUCTS), statuses[i % 4], now, now)
      db.exec(
        "insert into order_lines (order_id, line_no, product_id, quantity, unit_price_cents) select id, 1, product_id, quantity, unit_price_cents from orders where product_id in (select id from products where sku like 'SCALE-%')",
      )
      // The ledger of each product: an initial movement and nine receipts that add up to its stock
      // (ten movements a product: a million for the reconciliation to add up).
      const movement = db.prepare(
        'insert into stock_movements (product_id, delta, stock_after, reason, created_at) values (?, ?, ?, ?, ?)',
      )
      for (let i = 0; i < SCALE_PRODUCTS; i++) {
        const id = first + i
        movement.run(id, 999_999_991, 999_999_991, 'initial', now)
        for (let k = 1; k <= 9; k++) movement.run(id, 1, 999_999_991 + k, 'received', now)
      }
    })()
    db.exec('analyze')
    db.close()
  } else {
    execFileSync('psql', [
      url,
      '-q',
      '-c',
      `insert into products (sku, name, price_cents, stock, created_at, updated_at) select 'SCALE-' || g, 'Scale ' || g, 999, 1000000000, now(), now() from generate_series(1, ${SCALE_PRODUCTS}) g`,
      '-c',
      `insert into orders (product_id, quantity, status, unit_price_cents, total_cents, created_at, updated_at) select (select min(id) from products where sku = 'SCALE-1') + (g % ${SCALE_PRODUCTS}), 1, (array['PENDING','PAID','SHIPPED','CANCELED'])[1 + g % 4], 999, 999, now(), now() from generate_series(1, ${SCALE_ORDERS}) g`,
      '-c',
      "insert into order_lines (order_id, line_no, product_id, quantity, unit_price_cents) select id, 1, product_id, quantity, unit_price_cents from orders where product_id in (select id from products where sku like 'SCALE-%')",
      '-c',
      "insert into stock_movements (product_id, delta, stock_after, reason, created_at) select p.id, case when k = 0 then 999999991 else 1 end, 999999991 + k, case when k = 0 then 'initial' else 'received' end, now() from products p cross join generate_series(0, 9) k where p.sku like 'SCALE-%' order by p.id, k",
      '-c',
      'analyze',
    ])
  }
  console.log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

const scaleTasks = (side: Side): Record<string, Task> => ({
  pending: { name: 'pending', weight: 1, request: () => ({ method: 'GET', path: '/orders?status=PENDING&limit=100' }) },
  // The keyset equivalent of offset 900,000: the page after the 900,000th order's id.
  'deep page': {
    name: 'deep',
    weight: 1,
    request: () => ({ method: 'GET', path: `/orders?after_id=${side.deepAfterId}&limit=100` }),
  },
  'deep offset': {
    name: 'deep offset',
    weight: 1,
    request: () => ({ method: 'GET', path: `/orders?offset=${DEEP_OFFSET}&limit=100` }),
  },
  count: { name: 'count', weight: 1, request: () => ({ method: 'GET', path: '/orders?limit=1' }) },
})

/** The service alone, for the large database's order queries: the ceiling has no orders. */
async function alone(name: string): Promise<Row> {
  step(`${name}, 50 users: the service alone, ${options.durationS} s`)
  const result = await runLoad({ baseUrl: service.url, users: 50, durationMs, tasks: [scaleTasks(service)[name]!] })
  return { scenario: name, users: 50, service: result }
}

async function seedLargeDatabase(side: Side) {
  seedScale(side.database)
  // The id of the order at DEEP_OFFSET, through the API: keyset pages start after it.
  const first = await (await fetch(`${side.url}/orders?limit=1`)).text()
  side.deepAfterId = Number(/"id":(\d+)/.exec(first)?.[1] ?? 0) + DEEP_OFFSET - 1
}

/**
 * The yardstick on its database, migrated first by `npm run db:migrate` (the service's migrations:
 * the same tables, indexes and constraints), with the service's pool size.
 */
async function startYardstick(database: string): Promise<string> {
  await run(process.execPath, ['--import', 'tsx', 'scripts/migrate.ts'], {
    env: { ...process.env, DATABASE_URL: database },
  })
  return start(['--import', 'tsx', 'scripts/bench/yardstick-pg.ts'], {
    DATABASE_URL: database,
    DATABASE_POOL_SIZE: String(POOL_SIZE),
  })
}

/** The builds, in parallel: this tree's (unless told not to) and the baseline's, in its worktree. */
async function buildBoth(baselineDir?: string) {
  const builds: Promise<unknown>[] = []
  const build = (whose: string, cwd?: string) =>
    run('npm', ['run', '-s', 'build'], { cwd }).catch((error: Error) => {
      throw new BenchError(`${whose} does not build: ${error.message}`)
    })
  if (!options.fromSource && !options.skipBuild) builds.push(build('this tree'))
  if (baselineDir && !options.fromSource) builds.push(build(`the baseline ${options.baseline}`, baselineDir))
  if (!builds.length) return
  const what =
    builds.length === 2 ? 'this tree and the baseline, in parallel' : baselineDir ? 'the baseline' : 'this tree'
  step(`npm run build: ${what}`)
  await withProgress('npm run build', Promise.all(builds), () => what)
  step('built')
}

try {
  const { setupS, loadS } = estimate(options, postgres)
  let revision: Revision | undefined
  let thisTree = 'service'
  if (options.baseline !== undefined) {
    revision = await resolveRef(options.baseline)
    thisTree = await describeThisTree()
  }
  step(
    `${comparing ? `${thisTree} against the baseline ${options.baseline} (${revision!.short} ${revision!.subject})` : `the service against the ${referenceName}`}` +
      ` on ${postgres ? 'PostgreSQL' : 'SQLite'}: about ${roughly(setupS + loadS)} in all` +
      ` (${loadS} s of load, ${options.durationS} s per scenario${comparing ? ' and side' : ''}; about ${setupS} s of set-up${comparing ? ', more if npm ci is needed' : ''})`,
  )
  const baselineDir = revision ? await checkOut(revision) : undefined
  await buildBoth(baselineDir)

  const env = {
    NODE_ENV: 'production',
    WEBHOOK_SECRET: 'bench-webhook-secret-0123456789',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '0',
    HOST: '127.0.0.1',
  }
  const entry = options.fromSource ? ['--import', 'tsx', 'src/server.ts'] : ['dist/server.js']
  step(
    `starting ${comparing ? 'both builds, each on a fresh database' : yardstick ? 'the service and the yardstick, each on a fresh database' : 'the service on a fresh database, and the ceiling'}`,
  )
  // Both at once: start-up through tsx takes seconds.
  const serviceDatabase = await freshDatabase()
  const otherDatabase = referenceDatabase ? await freshDatabase() : ''
  const [serviceUrl, otherUrl] = await Promise.all([
    start(entry, { ...env, DATABASE_URL: serviceDatabase }),
    baselineDir
      ? start(entry, { ...env, DATABASE_URL: otherDatabase }, baselineDir)
      : yardstick
        ? startYardstick(otherDatabase)
        : start(['--import', 'tsx', 'scripts/bench/ceiling.ts'], {}),
  ])
  service = { label: thisTree, url: serviceUrl, database: serviceDatabase, ids: [], deepAfterId: 0 }
  other = {
    label: baselineDir ? `${options.baseline} = ${revision!.short}` : referenceName,
    url: otherUrl,
    database: otherDatabase,
    ids: [],
    deepAfterId: 0,
  }
  step(`creating ${options.products} products on ${referenceDatabase ? 'each database' : 'the database'}`)
  // Eight requests at a time, on both databases at once: set-up, not measured.
  const seed = async (url: string) => {
    const chunks = Array.from({ length: 8 }, (_, i) => Math.floor((options.products + i) / 8))
    return (await Promise.all(chunks.map((count) => createProducts(url, count, 1_000_000_000)))).flat()
  }
  ;[service.ids, other.ids] = referenceDatabase
    ? await Promise.all([seed(service.url), seed(other.url)])
    : await seed(service.url).then((ids) => [ids, ids])
  step(`measuring: ${loadS} s of load from here`)
  const atRest = await Promise.all([service, ...(comparing ? [other] : [])].map((side) => residentMemory(side.url)))
  console.log(
    comparing
      ? `${postgres ? 'PostgreSQL' : 'SQLite'}: ${thisTree} at ${service.url}; baseline ${other.label} at ${other.url}; ` +
          `${options.durationS} s per scenario and side, in ${SLICES} slices; ${mb(atRest[0])} / ${mb(atRest[1])} MB RSS at rest`
      : `${postgres ? 'PostgreSQL' : 'SQLite'}: service ${service.url}, ${referenceName} ${other.url}; ${options.durationS} s per run; ${mb(atRest[0])} MB RSS at rest`,
  )

  // Warm-up, not reported: both servers compile their hot paths before anything is measured.
  await both('warm-up', 25, (side) => mixTasks([...side.ids]))
  const rows: Row[] = []
  await scenarios(rows)
  rows.push(await hot())
  printRows(
    `small database (${options.products + 10} products)${comparing ? `: ${thisTree} against ${other.label}` : ''}`,
    rows,
  )

  if (options.scale) {
    const small = comparing
      ? []
      : [await alone('pending'), await alone('deep page'), await alone('deep offset'), await alone('count')]
    await seedLargeDatabase(service)
    if (referenceDatabase) await seedLargeDatabase(other)
    const big: Row[] = []
    await scenarios(big)
    for (const name of Object.keys(scaleTasks(service))) {
      if (comparing) {
        big.push(await both(name, 50, (side) => [scaleTasks(side)[name]!]))
        continue
      }
      const before = small.find((r) => r.scenario === name)!
      const row = await alone(name)
      row.note = `p50 ${(summary(row.service).p50 / summary(before.service).p50).toFixed(2)}x the small database's`
      big.push(row)
    }
    if (!comparing)
      for (const row of big.slice(0, 5)) {
        const before = rows.find((r) => r.scenario === row.scenario && r.users === row.users)!
        row.note = `${row.note ? row.note + '; ' : ''}p50 ${(summary(row.service).p50 / summary(before.service).p50).toFixed(2)}x small`
      }
    printRows(
      `large database (${SCALE_PRODUCTS} products, ${SCALE_ORDERS} orders)${comparing ? `: ${thisTree} against ${other.label}` : ''}`,
      big,
    )
    // One reconciliation of the whole ledger, timed: it must stay fast and find nothing.
    const books = await ledgerCheck(service.url)
    console.log(
      `reconciliation: ${books.checked} products against ${SCALE_PRODUCTS * 10}+ movements in ${Math.round(books.ms)} ms${books.note}`,
    )
    if (books.mismatches > 0) throw new BenchError(`the ledger does not balance: ${books.mismatches} products`)
  }
} catch (error) {
  process.exitCode = 1
  console.error(
    `\nbench failed: ${error instanceof BenchError ? error.message : error instanceof Error ? error.stack : String(error)}`,
  )
} finally {
  await cleanUp()
  step(`${process.exitCode ? 'failed' : 'finished'} in ${elapsed()}`)
}
