import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp } from '../helpers/app.js'
import { freePort, runScript, type RunningProcess } from '../helpers/processes.js'
import { nowSeconds, standardSignature, standardWebhookHeaders } from '../helpers/webhooks.js'

// `npm run receiver` as a user runs it, fed deliveries signed here (test/helpers/webhooks.ts), not
// by the service's own code.
const SECRET = `whsec_${randomBytes(32).toString('base64')}`
const OTHER_SECRET = `whsec_${randomBytes(32).toString('base64')}`
const running: RunningProcess[] = []

async function until<T>(
  look: () => T | undefined | Promise<T | undefined>,
  what: string,
  process?: RunningProcess,
): Promise<T> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const found = await look()
    if (found !== undefined) return found
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`${what} did not happen${process ? `; output:\n${process.output()}` : ''}`)
}

/** Starts the receiver on a free port; resolves with its URL once it listens. */
async function startReceiver(args: string[], env: Record<string, string> = {}) {
  const receiver = runScript(env, { script: 'scripts/receiver.ts', args: ['--port', '0', ...args] })
  running.push(receiver)
  const url = await until(
    () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(receiver.output())?.[1],
    'listening',
    receiver,
  )
  return { receiver, url }
}

let eventNumber = 0
function orderEvent(overrides: Record<string, unknown> = {}) {
  eventNumber += 1
  const id = `evt_test${eventNumber}${randomBytes(6).toString('hex')}`
  const body = JSON.stringify({
    id,
    type: 'order.created',
    timestamp: new Date().toISOString(),
    data: { id: 12, status: 'PENDING', total: 25, product_id: 3, quantity: 1 },
    ...overrides,
  })
  return { id, body }
}

async function deliver(url: string, body: string, headers: Record<string, string>) {
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  })
  return { status: response.status, text: await response.text() }
}

const linesWith = (receiver: RunningProcess, text: string) =>
  receiver
    .output()
    .split('\n')
    .filter((line) => line.includes(text))

afterAll(async () => {
  for (const { child } of running) child.kill('SIGTERM')
  await Promise.all(running.map(({ exited }) => exited))
})

describe('npm run receiver, with the endpoint secret', () => {
  let receiver: RunningProcess
  let url: string
  beforeAll(async () => {
    ;({ receiver, url } = await startReceiver(['--secret', SECRET]))
  })

  it('when it starts, then it says where it listens and that it checks signatures', () => {
    expect(receiver.output()).toMatch(
      /^listening on http:\/\/127\.0\.0\.1:\d+: signatures checked, timestamps within 300 s$/m,
    )
    expect(receiver.output()).not.toContain('warning')
  })

  it('when a delivery is signed with the secret, then it answers 204 and prints one line with the id, type and a summary', async () => {
    const { id, body } = orderEvent()
    const answer = await deliver(url, body, standardWebhookHeaders(body, { id, secrets: [SECRET] }))
    expect(answer.status).toBe(204)
    const line = await until(() => linesWith(receiver, id)[0], 'the event line', receiver)
    expect(line).toMatch(
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  ${id}  order\\.created  order 12 PENDING total 25$`),
    )
  })

  it('when a product or stock event arrives, then its line names the product, SKU and stock', async () => {
    const { id, body } = orderEvent({
      type: 'stock.low',
      data: { id: 3, sku: 'SKU-3', name: 'Mug', stock: 4, low_stock_threshold: 5 },
    })
    expect((await deliver(url, body, standardWebhookHeaders(body, { id, secrets: [SECRET] }))).status).toBe(204)
    const line = await until(() => linesWith(receiver, id)[0], 'the event line', receiver)
    expect(line).toMatch(/ {2}stock\.low {2}product 3 SKU-3 stock 4 \(below 5\)$/)
  })

  it('when the signature is made with another secret, then it answers 400 and prints why', async () => {
    const { id, body } = orderEvent()
    const answer = await deliver(url, body, standardWebhookHeaders(body, { id, secrets: [OTHER_SECRET] }))
    expect(answer.status).toBe(400)
    expect(JSON.parse(answer.text)).toEqual({ detail: 'No valid signature' })
    expect(await until(() => linesWith(receiver, id)[0], 'the rejection line', receiver)).toMatch(
      new RegExp(`  ${id}  rejected \\(400\\): No valid signature$`),
    )
  })

  it('when the body was changed after signing, then it answers 400', async () => {
    const { id, body } = orderEvent()
    const headers = standardWebhookHeaders(body, { id, secrets: [SECRET] })
    expect((await deliver(url, body.replace('"total":25', '"total":2'), headers)).status).toBe(400)
  })

  it('when the timestamp is older than the tolerance, then it answers 400 even though the signature matches', async () => {
    const { id, body } = orderEvent()
    const stale = nowSeconds() - 301
    const answer = await deliver(url, body, standardWebhookHeaders(body, { id, timestamp: stale, secrets: [SECRET] }))
    expect(answer.status).toBe(400)
    expect(JSON.parse(answer.text)).toEqual({ detail: 'webhook-timestamp is more than 300 s from now' })
    // Within the tolerance, in the future as well as the past: accepted.
    const soon = orderEvent()
    const ahead = standardWebhookHeaders(soon.body, { id: soon.id, timestamp: nowSeconds() + 250, secrets: [SECRET] })
    expect((await deliver(url, soon.body, ahead)).status).toBe(204)
  })

  it('when the headers are missing or the signature is not v1, then it answers 400', async () => {
    const { id, body } = orderEvent()
    expect((await deliver(url, body, {})).status).toBe(400)
    const headers = standardWebhookHeaders(body, { id, secrets: [SECRET] })
    const v2 = { ...headers, 'webhook-signature': headers['webhook-signature'].replace(/^v1,/, 'v2,') }
    expect((await deliver(url, body, v2)).status).toBe(400)
    const short = { ...headers, 'webhook-signature': 'v1,AAAA' }
    expect((await deliver(url, body, short)).status).toBe(400)
    expect(linesWith(receiver, id).every((line) => line.includes('rejected (400)'))).toBe(true)
  })

  it('when the header holds two signatures of which one is valid (a rotation), then it answers 204', async () => {
    for (const secrets of [
      [OTHER_SECRET, SECRET],
      [SECRET, OTHER_SECRET],
    ]) {
      const { id, body } = orderEvent()
      expect((await deliver(url, body, standardWebhookHeaders(body, { id, secrets }))).status).toBe(204)
      await until(() => linesWith(receiver, `${id}  order.created`)[0], 'the event line', receiver)
    }
  })

  it('when the same webhook-id arrives again (a retry), then it answers 204 and prints "duplicate" instead of the event', async () => {
    const { id, body } = orderEvent()
    expect((await deliver(url, body, standardWebhookHeaders(body, { id, secrets: [SECRET] }))).status).toBe(204)
    // Sent again later: a new timestamp and signature, the same id.
    const again = standardWebhookHeaders(body, { id, timestamp: nowSeconds() + 1, secrets: [SECRET] })
    expect((await deliver(url, body, again)).status).toBe(204)
    await until(() => (linesWith(receiver, id).length === 2 ? true : undefined), 'two lines', receiver)
    const [first, second] = linesWith(receiver, id)
    expect(first).toContain('order.created  order 12 PENDING total 25')
    expect(second).toMatch(new RegExp(`  ${id}  duplicate: already received, ignored$`))
  })

  it('when a request is not a POST, then it answers 405', async () => {
    expect((await fetch(url)).status).toBe(405)
  })
})

describe('npm run receiver, other modes', () => {
  it('when started with --fail-first 2, then the first two valid deliveries get a 500 and the retry under the same id is accepted', async () => {
    const { receiver, url } = await startReceiver(['--secret', SECRET, '--fail-first', '2'])
    expect(receiver.output()).toContain('the first 2 valid deliveries get a 500 (--fail-first)')
    const { id, body } = orderEvent()
    const signed = () => standardWebhookHeaders(body, { id, secrets: [SECRET] })
    // An invalid delivery does not use up a failure.
    expect((await deliver(url, body, standardWebhookHeaders(body, { id, secrets: [OTHER_SECRET] }))).status).toBe(400)
    expect((await deliver(url, body, signed())).status).toBe(500)
    expect((await deliver(url, body, signed())).status).toBe(500)
    expect((await deliver(url, body, signed())).status).toBe(204)
    expect((await deliver(url, body, signed())).status).toBe(204)
    await until(() => (linesWith(receiver, id).length === 5 ? true : undefined), 'five lines', receiver)
    expect(linesWith(receiver, id).map((line) => line.replace(/^\S+ {2}/, ''))).toEqual([
      `${id}  rejected (400): No valid signature`,
      `${id}  order.created  answered 500 on purpose (1 of 2)`,
      `${id}  order.created  answered 500 on purpose (2 of 2)`,
      `${id}  order.created  order 12 PENDING total 25`,
      `${id}  duplicate: already received, ignored`,
    ])
  })

  it('when started without a secret, then it warns and accepts an unsigned delivery, saying it was not checked', async () => {
    const { receiver, url } = await startReceiver([])
    await until(() => (receiver.output().includes('warning') ? true : undefined), 'the warning', receiver)
    expect(receiver.output()).toMatch(/signatures NOT checked/)
    expect(receiver.output()).toMatch(
      /^warning: no --secret \(or WEBHOOK_RECEIVER_SECRET\): every delivery is accepted unsigned/m,
    )
    const { id, body } = orderEvent()
    expect((await deliver(url, body, { 'webhook-id': id })).status).toBe(204)
    expect(await until(() => linesWith(receiver, id)[0], 'the event line', receiver)).toMatch(
      /order 12 PENDING total 25 {2}\(signature not checked\)$/,
    )
  })

  it('when asked for --help, then it explains every option and exits 0; an unknown option or a bad secret exits 2', async () => {
    const run = (...args: string[]) => runScript({}, { script: 'scripts/receiver.ts', args })
    const [help, wrong, badSecret] = [run('--help'), run('--bogus'), run('--secret', 'not-a-secret')]
    expect(await help.exited, help.output()).toBe(0)
    for (const option of ['--port', '--host', '--secret', 'WEBHOOK_RECEIVER_SECRET', '--tolerance', '--fail-first'])
      expect(help.output()).toContain(option)
    expect(await wrong.exited, wrong.output()).toBe(2)
    expect(wrong.output()).toContain("Unknown option '--bogus'")
    expect(wrong.output()).toContain('usage: npm run receiver')
    expect(await badSecret.exited, badSecret.output()).toBe(2)
    expect(badSecret.output()).toContain('--secret: the whsec_... secret')
  })
})

describe('npm run receiver, fed by the service', () => {
  it('when the service delivers to it (the walkthrough of docs/webhooks.md), then it prints each event once, a failed first attempt retried', async () => {
    // Retries after 1 s instead of 5 s; development mode: an endpoint on 127.0.0.1 is allowed.
    const api = await startTestApp({ WEBHOOK_RETRY_SCHEDULE: '1,1' })
    try {
      // The receiver needs the endpoint's secret: the endpoint first, then the receiver on its URL.
      const port = await freePort()
      const endpoint = await api.request('POST', '/webhook-endpoints', {
        url: `http://127.0.0.1:${port}`,
        description: 'receiver test',
      })
      expect(endpoint.status, endpoint.text).toBe(201)
      // The secret from the environment this time, as WEBHOOK_RECEIVER_SECRET.
      const live = runScript(
        { WEBHOOK_RECEIVER_SECRET: endpoint.body.secret },
        { script: 'scripts/receiver.ts', args: ['--port', String(port), '--fail-first', '1'] },
      )
      running.push(live)
      await until(() => (live.output().includes('signatures checked') ? true : undefined), 'listening', live)

      const product = await api.request('POST', '/products', {
        sku: 'RCV-1',
        name: 'Mug',
        price: 12.5,
        stock: 3,
        low_stock_threshold: 2,
      })
      const order = await api.request('POST', '/orders', { product_id: product.body.id, quantity: 3 })
      expect(order.status, order.text).toBe(201)
      const expected = [
        `product.created  product ${product.body.id} RCV-1 stock 3`,
        `stock.low  product ${product.body.id} RCV-1 stock 0 (below 2)`,
        `stock.depleted  product ${product.body.id} RCV-1 stock 0`,
        `order.created  order ${order.body.id} PENDING total 37.5`,
      ]
      const accepted = () =>
        live
          .output()
          .split('\n')
          .filter((line) => /^\S+ {2}evt_\S+ {2}(product|stock|order)\./.test(line) && !line.includes('on purpose'))
      await until(() => (accepted().length >= expected.length ? true : undefined), 'four events', live)
      expect(
        accepted()
          .map((line) => line.replace(/^\S+ {2}evt_\S+ {2}/, ''))
          .sort(),
      ).toEqual([...expected].sort())
      // The first delivery was answered 500 and came back under the same id.
      const failed = /^\S+ {2}(evt_\S+) {2}\S+ {2}answered 500 on purpose \(1 of 1\)$/m.exec(live.output())
      expect(failed, live.output()).not.toBeNull()
      expect(accepted().filter((line) => line.includes(failed![1]!))).toHaveLength(1)
      // The receiver prints before it answers: the service records the attempt a moment later.
      const retried = await until(async () => {
        const deliveries = await api.request('GET', `/webhook-endpoints/${endpoint.body.id}/deliveries`)
        const delivery = deliveries.body.find((d: { event_id: string }) => d.event_id === failed![1])
        return delivery?.status === 'pending' ? undefined : delivery
      }, 'the retried delivery recorded')
      expect(retried).toMatchObject({ status: 'succeeded', attempts: 2, last_status_code: 204 })
    } finally {
      await api.close()
    }
  })
})

describe('the signature example of docs/webhooks.md and docs/operations.md', () => {
  const folder = mkdtempSync(join(tmpdir(), 'orders-webhook-doc-'))
  afterAll(() => rmSync(folder, { recursive: true, force: true }))

  it('when the example of docs/operations.md is read, then it is the one of docs/webhooks.md, tested below', () => {
    const exampleOf = (path: string) =>
      [...readFileSync(path, 'utf8').matchAll(/```js\n([\s\S]*?)```/g)]
        .map((match) => match[1]!)
        .find((block) => block.includes('export function verifyWebhook'))
    expect(exampleOf('docs/operations.md')).toBeDefined()
    expect(exampleOf('docs/operations.md')).toBe(exampleOf('docs/webhooks.md'))
  })

  it('when its signature example runs, then it accepts a delivery signed independently and refuses the wrong ones', async () => {
    const markdown = readFileSync('docs/webhooks.md', 'utf8')
    const blocks = [...markdown.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]!)
    const example = blocks.find((block) => block.includes('export function verifyWebhook'))
    expect(example, 'a ```js block with export function verifyWebhook').toBeDefined()
    expect(example!.trim().split('\n').length).toBeLessThanOrEqual(16)
    expect(example).not.toMatch(/from '(?!node:crypto')/)
    const file = join(folder, 'verify.mjs')
    writeFileSync(file, example!)
    const { verifyWebhook } = (await import(pathToFileURL(file).href)) as {
      verifyWebhook: (secret: string, headers: Record<string, string | undefined>, body: string) => boolean
    }

    const { id, body } = orderEvent()
    const signed = (options: { timestamp?: number; secrets?: string[] } = {}) =>
      standardWebhookHeaders(body, { id, secrets: [SECRET], ...options })
    expect(verifyWebhook(SECRET, signed(), body)).toBe(true)
    expect(verifyWebhook(SECRET, signed({ secrets: [OTHER_SECRET, SECRET] }), body)).toBe(true)
    expect(verifyWebhook(SECRET, signed({ secrets: [OTHER_SECRET] }), body)).toBe(false)
    expect(verifyWebhook(SECRET, signed(), `${body} `)).toBe(false)
    expect(verifyWebhook(SECRET, signed({ timestamp: nowSeconds() - 301 }), body)).toBe(false)
    expect(verifyWebhook(SECRET, { ...signed(), 'webhook-id': 'evt_other' }, body)).toBe(false)
    expect(verifyWebhook(SECRET, { ...signed(), 'webhook-timestamp': undefined }, body)).toBe(false)
    expect(verifyWebhook(SECRET, { ...signed(), 'webhook-signature': undefined }, body)).toBe(false)
    expect(verifyWebhook(SECRET, { ...signed(), 'webhook-signature': 'v1,AAAA' }, body)).toBe(false)
    // A signature under the right key for another timestamp: the timestamp is covered too.
    const ts = nowSeconds()
    const moved = { ...signed({ timestamp: ts }), 'webhook-timestamp': String(ts + 1) }
    expect(verifyWebhook(SECRET, moved, body)).toBe(false)
    expect(standardSignature(id, ts, body, SECRET)).toBe(signed({ timestamp: ts })['webhook-signature'])
  })
})
