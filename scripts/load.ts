/** `npm run load`: the load test (see USAGE, or `npm run load -- --help`). */
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { parseCli, usageError, withProgress } from './cli.js'
import { formatTable, ms, runLoad, type LoadResult } from './load/driver.js'
import { htmlReport, svgCharts } from './load/report.js'
import {
  call,
  createProducts,
  mixTasks,
  placeOrder,
  random,
  residentMemory,
  serverFailures,
  stockAccount,
} from './load/scenarios.js'
import { readBody, standardHeadersOf, verifyStandardWebhook, webhookSecretKey } from './receiver.js'

const USAGE = `
usage: npm run load -- [options]

The load test, against a running service (start it first: npm start). The mix mirrors the old
Locust test: list products 8, create product 2, create order 1, get order 1, get product 1. It
prints a table and writes an HTML report to reports/. A run takes --duration seconds (30) plus a
few seconds to set up, and with the webhook check (hot) a few more for the last deliveries;
progress is shown every 5 seconds. Leave rate limiting off (the default: no RATE_LIMIT_MAX) or
writes will be answered 429.

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
      --webhook-receiver check that every event of the run is delivered, signed, to a webhook
                         receiver in this process (on by default for hot; --no-webhook-receiver
                         turns it off). It listens on 127.0.0.1 and becomes an endpoint for every
                         event type, deleted at the end: the service must run on this machine and
                         accept private URLs (development, or WEBHOOK_ALLOW_PRIVATE_URLS=true)
      --webhook-wait S   seconds to wait after the load for the last deliveries (60); an event
                         still missing then fails the run
      --base-url URL     the service (BASE_URL, else http://127.0.0.1:8000)
      --report-dir DIR   where the HTML report goes (reports)
      --charts DIR       also write the two charts as SVG files there
      --json FILE        also write a summary as JSON there (requests, latency, checks, webhooks)
  -h, --help             this text

  npm run load -- --users 200 --duration 60
  npm run load -- --scenario hot
  npm run load -- --duration 10 --webhook-receiver --webhook-wait 120
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
  'webhook-receiver': { type: 'boolean', default: false },
  'no-webhook-receiver': { type: 'boolean', default: false },
  'webhook-wait': { type: 'string', default: '60' },
  json: { type: 'string' },
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
if (values['webhook-receiver'] && values['no-webhook-receiver'])
  usageError(USAGE, '--webhook-receiver and --no-webhook-receiver: one or the other')
const receiveWebhooks = values['webhook-receiver'] || (scenario === 'hot' && !values['no-webhook-receiver'])
const webhookWaitS = Number(values['webhook-wait'])
if (!(webhookWaitS > 0)) usageError(USAGE, '--webhook-wait S: seconds, more than 0')
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

/*
 * The webhook check: a receiver in this process, made an endpoint for every event type before the
 * load. It counts deliveries by webhook-id (the event id) and checks each signature with the
 * endpoint's secret, as scripts/receiver.ts does. After the load, every event written since the
 * endpoint was created (GET /events) must have arrived.
 */
interface WebhookCheck {
  endpointId: number
  /** The last event before the endpoint existed: the run's events come after it. */
  afterId: string | undefined
  received: Map<string, number>
  badSignatures: () => number
  close: () => Promise<void>
}

interface WebhookOutcome {
  delivered: number
  produced: number
  duplicates: number
  badSignatures: number
  passed: boolean
  lines: string[]
}

/** The ids of the events after `afterId`, oldest first, and the last one (paging with after_id). */
async function eventsAfter(afterId: string | undefined): Promise<{ ids: string[]; last: string | undefined }> {
  const ids: string[] = []
  let last = afterId
  for (;;) {
    const query = new URLSearchParams({ limit: '1000', ...(last && { after_id: last }) })
    const page = (await call(baseUrl, 'GET', `/events?${query.toString()}`)).body as unknown as { id: string }[]
    ids.push(...page.map((event) => event.id))
    last = page.at(-1)?.id ?? last
    if (page.length < 1000) return { ids, last }
  }
}

async function openWebhookCheck(): Promise<WebhookCheck> {
  const received = new Map<string, number>()
  let badSignatures = 0
  // The endpoint's key, known once the endpoint is created (no delivery can come before).
  const signing: { key?: Buffer } = {}
  const server = createServer((request, response) => {
    void (async () => {
      const body = await readBody(request)
      const headers = standardHeadersOf(request)
      if (!signing.key || body === undefined || !verifyStandardWebhook(signing.key, headers, body).valid) {
        badSignatures += 1
        return void response.writeHead(400).end()
      }
      received.set(headers.id!, (received.get(headers.id!) ?? 0) + 1)
      response.writeHead(204).end()
    })().catch(() => response.destroy())
  })
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => done())
  })
  const address = server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/load-test`
  const close = () =>
    new Promise<void>((done) => {
      server.close(() => done())
      server.closeAllConnections()
    })
  let endpoint: { id: number; secret: string }
  try {
    const created = await call(baseUrl, 'POST', '/webhook-endpoints', {
      url,
      events: ['*'],
      description: 'npm run load: counts deliveries',
    })
    endpoint = created.body as unknown as typeof endpoint
  } catch (error) {
    await close()
    const problem = error instanceof Error ? error.message : String(error)
    const hint = / 422 .*(private|loopback)/.test(problem)
      ? 'the service refuses webhook URLs on this machine: start it with WEBHOOK_ALLOW_PRIVATE_URLS=true (or outside production)'
      : / 404 /.test(problem)
        ? 'the service has no /webhook-endpoints (an older version?)'
        : 'the webhook endpoint could not be created'
    console.error(`error: ${hint}, or run with --no-webhook-receiver\n  ${problem}`)
    process.exit(1)
  }
  signing.key = webhookSecretKey(endpoint.secret)
  const { last } = await eventsAfter(undefined)
  console.log(`webhooks: receiving at ${url} (endpoint ${endpoint.id}, every event type)`)
  return { endpointId: endpoint.id, afterId: last, received, badSignatures: () => badSignatures, close }
}

/** A few deliveries that did not arrive, with why (their last attempt), to show in the report. */
async function undeliveredSample(endpointId: number, received: Set<string>): Promise<string[]> {
  try {
    const endpoint = (await call(baseUrl, 'GET', `/webhook-endpoints/${endpointId}`)).body!
    const disabled = endpoint.enabled
      ? []
      : [`  the endpoint was disabled${endpoint.disabled_reason ? `: ${String(endpoint.disabled_reason)}` : ''}`]
    const { body } = await call(baseUrl, 'GET', `/webhook-endpoints/${endpointId}/deliveries?limit=1000`)
    const deliveries = body as unknown as {
      id: number
      event_id: string
      status: string
      attempts: number
      last_error: string | null
    }[]
    return [
      ...disabled,
      ...deliveries
        .filter((delivery) => !received.has(delivery.event_id))
        .slice(0, 3)
        .map(
          (d) =>
            `  delivery ${d.id} (${d.event_id}): ${d.status}, ${d.attempts} attempts, last error: ${d.last_error ?? 'none yet'}`,
        ),
    ]
  } catch (error) {
    return [`  (the deliveries could not be read: ${error instanceof Error ? error.message : String(error)})`]
  }
}

/** Waits (at most --webhook-wait seconds) until every event of the run has been received; then removes the endpoint. */
async function closeWebhookCheck(check: WebhookCheck): Promise<WebhookOutcome> {
  const produced: string[] = []
  let last = check.afterId
  const deliveredCount = () => produced.filter((id) => check.received.has(id)).length
  const deadline = Date.now() + webhookWaitS * 1000
  const waiting = (async () => {
    for (;;) {
      // Events can still be written after the load (an expiring order): read the new ones each round.
      const more = await eventsAfter(last)
      produced.push(...more.ids)
      last = more.last
      if (deliveredCount() === produced.length || Date.now() >= deadline) return
      await new Promise((r) => setTimeout(r, 250))
    }
  })()
  await withProgress('webhooks', waiting, () => `${deliveredCount()} of ${produced.length} events delivered`)
  const delivered = deliveredCount()
  const duplicates = produced.reduce((sum, id) => sum + Math.max(0, (check.received.get(id) ?? 0) - 1), 0)
  const outcome = {
    delivered,
    produced: produced.length,
    duplicates,
    badSignatures: check.badSignatures(),
    passed: delivered === produced.length && check.badSignatures() === 0,
    lines: [
      `webhooks: delivered ${delivered} / produced ${produced.length} events (duplicates ${duplicates}, bad signatures ${check.badSignatures()})`,
    ],
  }
  if (delivered < produced.length) {
    outcome.lines.push(`FAILED: ${produced.length - delivered} events not delivered within ${webhookWaitS} s`)
    outcome.lines.push(...(await undeliveredSample(check.endpointId, new Set(check.received.keys()))))
  }
  if (outcome.badSignatures > 0) outcome.lines.push(`FAILED: ${outcome.badSignatures} deliveries with a bad signature`)
  // Removed even after a failure: nobody listens there any more, and retries would go on for a day.
  await fetch(`${baseUrl}/webhook-endpoints/${check.endpointId}`, { method: 'DELETE' }).catch(() => undefined)
  await check.close()
  return outcome
}

console.log(`load test of ${baseUrl}: scenario ${scenario}, ${users} users, ${durationS} s`)
const webhookCheck = receiveWebhooks ? await openWebhookCheck() : undefined
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

let webhooks: WebhookOutcome | undefined
if (webhookCheck) {
  webhooks = await closeWebhookCheck(webhookCheck)
  notes.push(...webhooks.lines)
  console.log(webhooks.lines.join('\n'))
  if (!webhooks.passed) failed = true
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
if (values.json) {
  const summary = {
    scenario,
    users,
    duration_s: durationS,
    base_url: baseUrl,
    requests: result.overall.count,
    errors: result.overall.errors,
    requests_per_second: Math.round(result.overall.count / (result.durationMs / 1000)),
    p50_ms: ms(result.overall.histogram.getValueAtPercentile(50)),
    p99_ms: ms(result.overall.histogram.getValueAtPercentile(99)),
    statuses: result.overall.statuses,
    notes,
    webhooks: webhooks && {
      delivered: webhooks.delivered,
      produced: webhooks.produced,
      duplicates: webhooks.duplicates,
      bad_signatures: webhooks.badSignatures,
      passed: webhooks.passed,
    },
    passed: !failed,
    report,
  }
  writeFileSync(values.json, `${JSON.stringify(summary, null, 2)}\n`)
  console.log(`summary: ${values.json}`)
}
process.exitCode = failed ? 1 : 0
