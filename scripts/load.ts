/** `npm run load`: the load test (see USAGE, or `npm run load -- --help`). */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseCli, usageError, withProgress } from './cli.js'
import { formatTable, runLoad, type LoadResult } from './load/driver.js'
import { htmlReport, svgCharts } from './load/report.js'
import {
  createProducts,
  mixTasks,
  placeOrder,
  random,
  residentMemory,
  serverFailures,
  stockAccount,
} from './load/scenarios.js'

const USAGE = `
usage: npm run load -- [options]

The load test, against a running service (start it first: npm start). The mix mirrors the old
Locust test: list products 8, create product 2, create order 1, get order 1, get product 1. It
prints a table and writes an HTML report to reports/. A run takes --duration seconds (30) plus a
few seconds to set up; progress is shown every 5 seconds. Leave rate limiting off (the default:
no RATE_LIMIT_MAX) or writes will be answered 429.

  -u, --users N          simulated users (25; 200 for the hot scenario)
  -d, --duration S       seconds to run (30)
  -s, --scenario NAME    mix (default) or hot: 200 users buying 10 products of stock 100, then a
                         check that nothing was oversold (exit 1 if anything was)
      --soak S           S seconds of the mix, the server's memory sampled from /metrics; fails
                         if it grew over 10% after warm-up
  -w, --wait MIN-MAX     seconds each user pauses between requests, as Locust users do (0.5-1.5)
      --spawn-rate N     users started per second, as Locust spawns them (default: all at once)
      --cart-weight N    add a task ordering carts of 2 to 4 lines, N times as often as "create
                         order" (default 0: off, as in the Locust file)
      --base-url URL     the service (BASE_URL, else http://127.0.0.1:8000)
      --report-dir DIR   where the HTML report goes (reports)
      --charts DIR       also write the two charts as SVG files there
  -h, --help             this text

  npm run load -- --users 200 --duration 60
  npm run load -- --scenario hot
  npm run load -- -u 200 -w 0.5-1.5 --spawn-rate 100
`
const { values } = parseCli(USAGE, {
  users: { type: 'string', short: 'u' },
  duration: { type: 'string', short: 'd', default: '30' },
  scenario: { type: 'string', short: 's', default: 'mix' },
  soak: { type: 'string' },
  'base-url': { type: 'string' },
  'report-dir': { type: 'string', default: 'reports' },
  charts: { type: 'string' },
  wait: { type: 'string', short: 'w' },
  'spawn-rate': { type: 'string' },
  'cart-weight': { type: 'string', default: '0' },
})
const cartWeight = Number(values['cart-weight'])
if (!Number.isInteger(cartWeight) || cartWeight < 0) usageError(USAGE, '--cart-weight N: a whole number, 0 for none')
const waitMs = values.wait ? (values.wait.split('-').map((v) => Number(v) * 1000) as [number, number]) : undefined
if (waitMs && (waitMs.length !== 2 || waitMs.some((v) => !Number.isFinite(v))))
  usageError(USAGE, '--wait MIN-MAX, in seconds (0.5-1.5)')
const baseUrl = (values['base-url'] ?? process.env.BASE_URL ?? 'http://127.0.0.1:8000').replace(/\/+$/, '')
const scenario = values.soak ? 'soak' : values.scenario!
if (!['mix', 'hot', 'soak'].includes(scenario)) usageError(USAGE, `unknown scenario ${scenario}: mix or hot`)
const users = Number(values.users ?? (scenario === 'hot' ? 200 : 25))
if (!Number.isInteger(users) || users < 1) usageError(USAGE, '--users N: a positive whole number')
const spawnRate = values['spawn-rate'] === undefined ? undefined : Number(values['spawn-rate'])
if (spawnRate !== undefined && !(spawnRate > 0)) usageError(USAGE, '--spawn-rate N: users started per second, N > 0')
const durationS = Number(values.soak ?? values.duration)
if (!(durationS > 0)) usageError(USAGE, '--duration S: seconds, more than 0')
const elapsed = (started: number) => `${Math.round((Date.now() - started) / 1000)} of ${durationS} s`

interface HotCheck {
  lines: string[]
  passed: boolean
}

async function hot(): Promise<{ result: LoadResult; check: HotCheck }> {
  const STOCK = 100
  const productIds = await createProducts(baseUrl, 10, STOCK)
  const sold = new Map<number, number>()
  const started = Date.now()
  const running = runLoad({
    baseUrl,
    users,
    durationMs: durationS * 1000,
    spawnRate,
    tasks: [
      {
        name: 'buy a hot product',
        weight: 1,
        request: () => ({ method: 'POST', path: '/orders', body: { product_id: random(productIds), quantity: 1 } }),
        ok: (status) => status === 201 || status === 409,
        after: (status, body) => {
          if (status !== 201) return
          const product = Number(/"product_id":(\d+)/.exec(body)?.[1])
          sold.set(product, (sold.get(product) ?? 0) + 1)
        },
      },
    ],
  })
  const result = await withProgress('hot', running, () => elapsed(started))
  const lines: string[] = []
  let passed = true
  for (const id of productIds) {
    const { stock, held } = await stockAccount(baseUrl, id)
    const ok = stock >= 0 && stock + held === STOCK && (sold.get(id) ?? 0) <= STOCK && (sold.get(id) ?? 0) === held
    passed &&= ok
    lines.push(
      `product ${id}: sold ${sold.get(id) ?? 0} of ${STOCK}, stock left ${stock}, held by orders ${held} -> ${ok ? 'ok' : 'OVERSOLD OR LOST'}`,
    )
  }
  const fiveHundreds = serverFailures(result.overall)
  if (fiveHundreds > 0) passed = false
  lines.push(`5xx and connection errors: ${fiveHundreds}`)
  // The ledger too: every product's stock must still be the sum of its movements.
  const books = await fetch(`${baseUrl}/inventory/reconciliation`)
  if (books.ok) {
    const { checked, mismatches } = (await books.json()) as { checked: number; mismatches: unknown[] }
    if (mismatches.length > 0) passed = false
    lines.push(`ledger: ${checked} products checked, ${mismatches.length} do not balance`)
  }
  return { result, check: { lines, passed } }
}

console.log(`load test of ${baseUrl}: scenario ${scenario}, ${users} users, ${durationS} s`)
const restingRss = await residentMemory(baseUrl).catch(() => undefined)
let result: LoadResult
const notes: string[] = [
  `${scenario}, ${users} users${values.wait ? ` waiting ${values.wait} s between requests` : ''}${spawnRate ? ` started ${spawnRate}/s` : ''}, ${durationS} s against ${baseUrl}, ${new Date().toISOString()}`,
]
let failed = false
if (scenario === 'hot') {
  const outcome = await hot()
  result = outcome.result
  notes.push(...outcome.check.lines)
  console.log(formatTable(result))
  console.log(outcome.check.lines.join('\n'))
  console.log(
    outcome.check.passed
      ? 'no oversell: the stock invariant holds for every product'
      : 'FAILED: oversold, lost stock or server errors',
  )
  failed = !outcome.check.passed
} else {
  const productIds = await createProducts(baseUrl, 20, 1_000_000)
  const firstOrder = await placeOrder(baseUrl, productIds[0]!)
  const started = Date.now()
  const running = runLoad({
    baseUrl,
    users,
    durationMs: durationS * 1000,
    tasks: mixTasks(productIds, [firstOrder], { cartWeight }),
    waitMs,
    spawnRate,
    sample: () => residentMemory(baseUrl),
    sampleEveryMs: scenario === 'soak' ? 5000 : 2000,
  })
  result = await withProgress(scenario, running, () => elapsed(started))
  console.log(formatTable(result))
  const limited = result.overall.statuses['429'] ?? 0
  if (limited > 0)
    console.log(
      `${limited} writes answered 429: the service rate-limits writes; start it without RATE_LIMIT_MAX to load-test it`,
    )
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
  if (restingRss !== undefined && result.samples.length > 0) {
    const peak = Math.max(...result.samples.map((s) => s.value))
    const line = `server RSS: ${mb(restingRss)} at rest, ${mb(peak)} peak under load`
    console.log(line)
    notes.push(line)
  }
  if (scenario === 'soak') {
    // Growth after warm-up: the median of the samples in the second fifth of the run against the
    // median of the last fifth.
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
    const fifth = (k: number) =>
      result.samples
        .filter((s) => s.second >= (k * durationS) / 5 && s.second < ((k + 1) * durationS) / 5)
        .map((s) => s.value)
    const warm = median(fifth(1))
    const end = median(fifth(4))
    const growth = warm ? (100 * (end - warm)) / warm : 0
    const line = `soak: RSS after warm-up ${mb(warm)}, at the end ${mb(end)}: ${growth >= 0 ? '+' : ''}${growth.toFixed(1)}% (limit +10%)`
    console.log(line)
    notes.push(line)
    failed = growth > 10
  }
}

mkdirSync(values['report-dir']!, { recursive: true })
const report = join(values['report-dir']!, `load-${scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}.html`)
writeFileSync(report, htmlReport(`Load test: ${scenario}`, formatTable(result), result, notes))
console.log(`report: ${report}`)
if (values.charts) {
  mkdirSync(values.charts, { recursive: true })
  const charts = svgCharts(result)
  writeFileSync(join(values.charts, `${scenario}-${users}-timeline.svg`), charts.timeline)
  writeFileSync(join(values.charts, `${scenario}-${users}-histogram.svg`), charts.histogram)
  console.log(`charts: ${values.charts}/${scenario}-${users}-{timeline,histogram}.svg`)
}
process.exitCode = failed ? 1 : 0
