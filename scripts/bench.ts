/**
 * `npm run bench`: the service against the ceiling of a Node HTTP service on this machine, side by
 * side, in one run, on a fresh database, driven by the same driver (scripts/load/driver.ts).
 *
 *   npm run bench                                  SQLite (a temp file)
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench
 *                                                  PostgreSQL (a fresh database on that server,
 *                                                  dropped afterwards); the order row also
 *                                                  compares with a raw `pg` loop
 *   npm run bench -- --scale                       then 100,000 products and 1,000,000 orders
 *   npm run bench -- --duration 3                  seconds per scenario (default 10)
 *   npm run bench -- --duration 0.3 --products 20 --scale --scale-factor 0.01
 *                                                  a few seconds, to check that it runs
 *
 * The service runs compiled (npm run build) with LOG_LEVEL=warn and RATE_LIMIT_MAX=0.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import SQLite from 'better-sqlite3'
import * as hdr from 'hdr-histogram-js'
import pg from 'pg'
import { mergeResults, ms, newPool, runLoad, table, type LoadResult, type Task } from './load/driver.js'
import { createProducts, mixTasks, random, residentMemory, serverFailures, stockAccount } from './load/scenarios.js'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    scale: { type: 'boolean', default: false },
    'skip-build': { type: 'boolean', default: false },
    // Run the service from src/ through tsx (no build): for the quick check only.
    'from-source': { type: 'boolean', default: false },
    // For a quick check that the benchmark runs (the test suite uses these): fewer seeded products,
    // and a smaller large database.
    products: { type: 'string', default: '1000' },
    'scale-factor': { type: 'string', default: '1' },
  },
})
const durationMs = Number(values.duration) * 1000
const SCALE_PRODUCTS = Math.round(100_000 * Number(values['scale-factor']))
const SCALE_ORDERS = Math.round(1_000_000 * Number(values['scale-factor']))
const DEEP_OFFSET = Math.round(SCALE_ORDERS * 0.9)
const databaseUrl = process.env.DATABASE_URL ?? ''
const postgres = /^postgres(ql)?:\/\//.test(databaseUrl)
const POOL_SIZE = Number(process.env.DATABASE_POOL_SIZE ?? 10)

const children: ChildProcess[] = []
const cleanups: (() => Promise<void> | void)[] = []
async function cleanUp() {
  children.forEach((child) => child.kill('SIGTERM'))
  for (const cleanup of cleanups.reverse()) await cleanup()
}

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => done(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

async function start(args: string[], env: Record<string, string>): Promise<string> {
  const port = await freePort()
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  children.push(child)
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) return url
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${args.join(' ')} did not start`)
}

/** A fresh database: a temp SQLite file, or a new database on DATABASE_URL's server. */
async function freshDatabase(): Promise<string> {
  if (!postgres) {
    const dir = mkdtempSync(join(tmpdir(), 'orders-bench-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    return `sqlite:${join(dir, 'bench.db')}`
  }
  const name = `oi_bench_${Date.now()}`
  const admin = new pg.Client({ connectionString: databaseUrl })
  await admin.connect()
  await admin.query(`create database ${name} template template0`)
  await admin.end()
  cleanups.push(async () => {
    const client = new pg.Client({ connectionString: databaseUrl })
    await client.connect()
    await client.query(`drop database if exists ${name} with (force)`)
    await client.end()
  })
  const url = new URL(databaseUrl)
  url.pathname = `/${name}`
  return url.toString()
}

interface Row {
  scenario: string
  users: number
  service: LoadResult
  ceiling?: { rps: number; p50: number; p99: number }
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
  console.log(
    table(
      ['scenario', 'users', 'service rps', 'ceiling rps', 'ratio', 'p50 ms', 'p99 ms', 'ceiling p99', 'errors', 'note'],
      rows.map((row) => {
        const s = summary(row.service)
        return [
          row.scenario,
          String(row.users),
          s.rps.toFixed(0),
          row.ceiling ? row.ceiling.rps.toFixed(0) : '-',
          row.ceiling ? `${((100 * s.rps) / row.ceiling.rps).toFixed(0)}%` : '-',
          ms(s.p50).toFixed(2),
          ms(s.p99).toFixed(2),
          row.ceiling ? ms(row.ceiling.p99).toFixed(2) : '-',
          String(row.service.overall.errors),
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
const getTask = (ids: number[]): Task => ({
  name: 'get',
  weight: 1,
  request: () => ({ method: 'GET', path: `/products/${random(ids)}` }),
})
const listTask: Task = { name: 'list', weight: 1, request: () => ({ method: 'GET', path: '/products?limit=100' }) }

/**
 * The service and the ceiling take turns, SLICES times each, on connections kept open: a shared
 * machine's slow moments then fall on both alike instead of on whichever ran at the time.
 */
const SLICES = 3

async function both(
  scenario: string,
  users: number,
  service: string,
  ceiling: string,
  tasks: (base: 'service' | 'ceiling') => Task[],
): Promise<Row> {
  const pools = { service: newPool(service, users), ceiling: newPool(ceiling, users) }
  const runs: { service: LoadResult[]; ceiling: LoadResult[] } = { service: [], ceiling: [] }
  try {
    for (let i = 0; i < SLICES; i++) {
      for (const [side, baseUrl] of [
        ['service', service],
        ['ceiling', ceiling],
      ] as const) {
        const slice = { baseUrl, users, durationMs: durationMs / SLICES, tasks: tasks(side), pool: pools[side] }
        runs[side].push(await runLoad(slice))
      }
    }
  } finally {
    await Promise.all([pools.service.close(), pools.ceiling.close()])
  }
  return { scenario, users, service: mergeResults(runs.service), ceiling: summary(mergeResults(runs.ceiling)) }
}

/** The same conditional update and insert as POST /orders, straight through `pg`, no HTTP. */
async function rawPgOrders(
  url: string,
  ids: number[],
  users: number,
): Promise<{ rps: number; p50: number; p99: number }> {
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE })
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  })
  let count = 0
  const started = performance.now()
  const deadline = started + durationMs
  await Promise.all(
    Array.from({ length: users }, async () => {
      while (performance.now() < deadline) {
        const begin = performance.now()
        const client = await pool.connect()
        try {
          await client.query('begin')
          const now = new Date().toISOString()
          const taken = await client.query(
            'update products set stock = stock - $1, updated_at = $2 where id = $3 and deleted_at is null and stock >= $1 returning price_cents, stock',
            [1, now, random(ids)],
          )
          await client.query(
            "insert into orders (product_id, quantity, status, unit_price_cents, created_at, updated_at) values ($1, $2, 'PENDING', $3, $4, $4) returning *",
            [ids[0], 1, taken.rows[0].price_cents, now],
          )
          await client.query('commit')
        } finally {
          client.release()
        }
        histogram.recordValue(Math.max(1, Math.round((performance.now() - begin) * 1000)))
        count++
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  await pool.end()
  return { rps: count / seconds, p50: histogram.getValueAtPercentile(50), p99: histogram.getValueAtPercentile(99) }
}

async function scenarios(service: string, ceiling: string, ids: number[], rows: Row[]) {
  rows.push(await both('get', 50, service, ceiling, () => [getTask(ids)]))
  rows.push(await both('list', 50, service, ceiling, () => [listTask]))
  rows.push(await both('order', 50, service, ceiling, () => [orderTask(ids)]))
  rows.push(await both('mix', 25, service, ceiling, () => mixTasks([...ids])))
  const rssBefore = await residentMemory(service)
  const mix200: Row = await both('mix', 200, service, ceiling, () => mixTasks([...ids]))
  const rssAfter = await residentMemory(service)
  if (rssBefore && rssAfter)
    mix200.note = `RSS ${(rssBefore / 2 ** 20).toFixed(0)} -> ${(rssAfter / 2 ** 20).toFixed(0)} MB`
  rows.push(mix200)
  // The old Locust test's users paused between requests and were spawned gradually: 200 such
  // users, started 100 per second, as a user population.
  rows.push({
    scenario: 'mix paced',
    users: 200,
    service: await runLoad({
      baseUrl: service,
      users: 200,
      // Long enough for every user to have started and made a few requests (quick checks aside).
      durationMs: durationMs < 1000 ? durationMs : Math.max(durationMs, 5000),
      tasks: mixTasks([...ids]),
      waitMs: [500, 1500],
      spawnRate: 100,
    }),
    note: 'Locust-like users: started 100/s, wait 0.5-1.5 s between requests',
  })
}

async function hot(service: string, ceiling: string): Promise<Row> {
  const ids = await createProducts(service, 10, 100)
  const row = await both('hot', 200, service, ceiling, () => [
    { ...orderTask(ids), ok: (status) => status === 201 || status === 409 },
  ])
  let sold = 0
  let oversold = false
  for (const id of ids) {
    const { stock, held } = await stockAccount(service, id)
    sold += held
    if (stock < 0 || stock + held !== 100) oversold = true
  }
  row.note = `${oversold ? 'OVERSOLD' : 'no oversell'}: ${sold}/1000 sold; 5xx+conn errors ${serverFailures(row.service.overall)}`
  return row
}

function seedScale(url: string) {
  console.log(`seeding ${SCALE_PRODUCTS} products and ${SCALE_ORDERS} orders...`)
  const started = Date.now()
  if (!postgres) {
    const db = new SQLite(url.replace(/^sqlite:/, ''))
    db.pragma('journal_mode = WAL')
    const product = db.prepare(
      'insert into products (sku, name, price_cents, stock, created_at, updated_at) values (?, ?, 999, 1000000000, ?, ?)',
    )
    const order = db.prepare(
      'insert into orders (product_id, quantity, status, unit_price_cents, created_at, updated_at) values (?, 1, ?, 999, ?, ?)',
    )
    const now = new Date().toISOString()
    const statuses = ['PENDING', 'PAID', 'SHIPPED', 'CANCELED']
    db.transaction(() => {
      const first = Number((db.prepare('select coalesce(max(id), 0) as m from products').get() as { m: number }).m) + 1
      for (let i = 0; i < SCALE_PRODUCTS; i++) product.run(`SCALE-${i}`, `Scale ${i}`, now, now)
      for (let i = 0; i < SCALE_ORDERS; i++) order.run(first + (i % SCALE_PRODUCTS), statuses[i % 4], now, now)
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
      `insert into orders (product_id, quantity, status, unit_price_cents, created_at, updated_at) select (select min(id) from products where sku = 'SCALE-1') + (g % ${SCALE_PRODUCTS}), 1, (array['PENDING','PAID','SHIPPED','CANCELED'])[1 + g % 4], 999, now(), now() from generate_series(1, ${SCALE_ORDERS}) g`,
      '-c',
      'analyze',
    ])
  }
  console.log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

let deepAfterId = 0
const scaleTasks: Record<string, Task> = {
  pending: { name: 'pending', weight: 1, request: () => ({ method: 'GET', path: '/orders?status=PENDING&limit=100' }) },
  // The keyset equivalent of offset 900,000: the page after the 900,000th order's id.
  'deep page': {
    name: 'deep',
    weight: 1,
    request: () => ({ method: 'GET', path: `/orders?after_id=${deepAfterId}&limit=100` }),
  },
  'deep offset': {
    name: 'deep offset',
    weight: 1,
    request: () => ({ method: 'GET', path: `/orders?offset=${DEEP_OFFSET}&limit=100` }),
  },
  count: { name: 'count', weight: 1, request: () => ({ method: 'GET', path: '/orders?limit=1' }) },
}

try {
  const fromSource = values['from-source']
  if (!values['skip-build'] && !fromSource) execFileSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' })
  const url = await freshDatabase()
  const service = await start(fromSource ? ['--import', 'tsx', 'src/server.ts'] : ['dist/server.js'], {
    NODE_ENV: 'production',
    DATABASE_URL: url,
    WEBHOOK_SECRET: 'bench-webhook-secret-0123456789',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '0',
    HOST: '127.0.0.1',
  })
  const ceiling = await start(['--import', 'tsx', 'scripts/bench/ceiling.ts'], {})
  const ids = await createProducts(service, Number(values.products), 1_000_000_000)
  console.log(
    `${postgres ? 'PostgreSQL' : 'SQLite'}: service ${service}, ceiling ${ceiling}; ${values.duration} s per run; ${(await residentMemory(service).then((b) => (b ?? 0) / 2 ** 20)).toFixed(0)} MB RSS at rest`,
  )

  // Warm-up, not reported: both servers compile their hot paths before anything is measured.
  await both('warm-up', 25, service, ceiling, () => mixTasks([...ids]))
  const rows: Row[] = []
  await scenarios(service, ceiling, ids, rows)
  rows.push(await hot(service, ceiling))
  if (postgres) {
    const raw = await rawPgOrders(url, ids, 50)
    rows.push({ ...rows[2]!, scenario: 'order vs raw pg', ceiling: raw, note: `raw pg loop, pool ${POOL_SIZE}` })
  }
  printRows(`small database (${ids.length + 10} products)`, rows)

  if (values.scale) {
    const small: Row[] = []
    for (const [name, task] of Object.entries(scaleTasks))
      small.push({
        scenario: name,
        users: 50,
        service: await runLoad({ baseUrl: service, users: 50, durationMs, tasks: [task] }),
      })
    seedScale(url)
    // The id of the order at DEEP_OFFSET, through the API: keyset pages start after it.
    const first = await (await fetch(`${service}/orders?limit=1`)).text()
    deepAfterId = Number(/"id":(\d+)/.exec(first)?.[1] ?? 0) + DEEP_OFFSET - 1
    const big: Row[] = []
    await scenarios(service, ceiling, ids, big)
    for (const [name, task] of Object.entries(scaleTasks)) {
      const before = small.find((r) => r.scenario === name)!
      const row: Row = {
        scenario: name,
        users: 50,
        service: await runLoad({ baseUrl: service, users: 50, durationMs, tasks: [task] }),
      }
      row.note = `p50 ${(summary(row.service).p50 / summary(before.service).p50).toFixed(2)}x the small database's`
      big.push(row)
    }
    for (const row of big.slice(0, 5)) {
      const before = rows.find((r) => r.scenario === row.scenario && r.users === row.users)!
      row.note = `${row.note ? row.note + '; ' : ''}p50 ${(summary(row.service).p50 / summary(before.service).p50).toFixed(2)}x small`
    }
    printRows(`large database (${SCALE_PRODUCTS} products, ${SCALE_ORDERS} orders)`, big)
  }
} finally {
  await cleanUp()
}
