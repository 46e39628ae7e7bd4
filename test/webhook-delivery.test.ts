import { createHmac, timingSafeEqual } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { createDb } from '../src/db/connect.js'
import { migrateToLatest } from '../src/db/migrate.js'
import type { Db } from '../src/db/types.js'
import { claimDeliveries, nextState } from '../src/modules/webhook-endpoints/dispatch.js'
import { startTestApp, type TestApp } from './helpers/app.js'
import { createOrder, createProduct } from './helpers/builders.js'
import { createTestDatabase } from './helpers/database.js'
import { sample } from './helpers/metrics.js'
import { startReceiver, type Receiver, type ReceivedRequest, type Script } from './helpers/receiver.js'

/*
 * Outbound webhooks through a real local receiver: what is sent (Standard Webhooks 1.0), to whom,
 * how failures are retried, and what the dispatcher refuses to do. Retries wait 0.2 s and an
 * attempt times out after 1 s here, so every story plays out in seconds.
 */

const ENV = {
  WEBHOOK_RETRY_SCHEDULE: '0.2,0.2',
  WEBHOOK_TIMEOUT_MS: '1000',
  WEBHOOK_CONCURRENCY: '3',
  WEBHOOK_CONCURRENCY_PER_ENDPOINT: '2',
}

let api: TestApp
let receivers: Receiver[] = []
let endpoints: number[] = []
beforeAll(async () => {
  api = await startTestApp(ENV)
})
afterAll(async () => {
  await api.close()
})
// Each test's endpoints are deleted, so that later events do not reach them.
afterEach(async () => {
  for (const id of endpoints) expect((await api.request('DELETE', `/webhook-endpoints/${id}`)).status).toBe(204)
  endpoints = []
  await Promise.all(receivers.map((receiver) => receiver.close()))
  receivers = []
})

async function receiver(script?: Script): Promise<Receiver> {
  const started = await startReceiver({ script })
  receivers.push(started)
  return started
}

async function createEndpoint(
  on: TestApp,
  url: string,
  events?: string[],
): Promise<{ id: number; secret: string; url: string }> {
  const response = await on.request('POST', '/webhook-endpoints', { url, ...(events && { events }) })
  if (response.status !== 201) throw new Error(`createEndpoint: ${response.status} ${response.text}`)
  if (on === api) endpoints.push(response.body.id)
  return response.body
}

interface Delivery {
  id: number
  event_id: string
  event_type: string
  status: 'pending' | 'succeeded' | 'failed'
  attempts: number
  next_attempt_at: string | null
  last_status_code: number | null
  last_error: string | null
}

async function deliveriesOf(on: TestApp, endpointId: number): Promise<Delivery[]> {
  const response = await on.request('GET', `/webhook-endpoints/${endpointId}/deliveries`)
  expect(response.status).toBe(200)
  return response.body
}

async function attemptLog(on: TestApp, deliveryId: number) {
  const response = await on.request('GET', `/webhook-deliveries/${deliveryId}`)
  expect(response.status).toBe(200)
  return response.body.attempt_log as {
    attempt: number
    duration_ms: number
    status_code: number | null
    error: string | null
    response_excerpt: string | null
  }[]
}

/** Polls `check` until it returns something other than undefined (or throws after `timeoutMs`). */
async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Waits until the endpoint's only delivery is no longer pending. */
function settled(on: TestApp, endpointId: number, count = 1): Promise<Delivery[]> {
  return until(async () => {
    const deliveries = await deliveriesOf(on, endpointId)
    return deliveries.length === count && deliveries.every((d) => d.status !== 'pending') ? deliveries : undefined
  }, `endpoint ${endpointId}'s deliveries to settle`)
}

/**
 * Standard Webhooks verification, written here with node:crypto alone: some `v1,<base64>` of the
 * header must be the HMAC-SHA256 of "{id}.{timestamp}.{body}" under the secret's decoded bytes.
 */
function verifies(request: ReceivedRequest, secret: string): boolean {
  const id = String(request.headers['webhook-id'])
  const timestamp = String(request.headers['webhook-timestamp'])
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64')
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${request.body}`).digest()
  return String(request.headers['webhook-signature'])
    .split(' ')
    .some((candidate) => {
      const [version, signature] = candidate.split(',')
      const given = Buffer.from(signature ?? '', 'base64')
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected)
    })
}

const typeOf = (request: ReceivedRequest) => JSON.parse(request.body).type as string
const gaps = (requests: ReceivedRequest[]) => requests.slice(1).map((r, i) => r.arrivedAt - requests[i]!.arrivedAt)

describe('what is sent', () => {
  it('when a product is created, then the endpoint receives the event JSON, signed per Standard Webhooks', async () => {
    const hooks = await receiver()
    const endpoint = await createEndpoint(api, `${hooks.url}/hooks`)
    const before = Math.floor(Date.now() / 1000)
    const product = await createProduct(api)
    await hooks.waitFor((requests) => requests.length >= 1)

    const [request] = hooks.requests
    const event = JSON.parse(request!.body)
    expect(event).toMatchObject({ type: 'product.created', data: { id: product.id, sku: product.sku } })
    expect(Object.keys(event)).toEqual(['id', 'type', 'timestamp', 'data'])
    // The body is the event as GET /events shows it, byte for byte.
    const listed = await api.request('GET', `/events?type=product.created`)
    const stored = listed.body.find((e: { id: string }) => e.id === event.id)
    expect(request!.body).toBe(JSON.stringify(stored))
    expect(request!.method).toBe('POST')
    expect(request!.url).toBe(`${hooks.path}/hooks`)
    expect(request!.headers['content-type']).toBe('application/json')
    expect(request!.headers['user-agent']).toMatch(/^orders-inventory-webhooks\//)
    expect(request!.headers['webhook-id']).toBe(event.id)
    const timestamp = Number(request!.headers['webhook-timestamp'])
    expect(timestamp).toBeGreaterThanOrEqual(before)
    expect(timestamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000))
    expect(request!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/)
    expect(verifies(request!, endpoint.secret)).toBe(true)
    expect(verifies(request!, 'whsec_' + Buffer.alloc(32, 7).toString('base64'))).toBe(false)

    const [delivery] = await settled(api, endpoint.id)
    expect(delivery).toMatchObject({
      event_id: event.id,
      event_type: 'product.created',
      status: 'succeeded',
      attempts: 1,
      next_attempt_at: null,
      last_status_code: 200,
      last_error: null,
    })
    expect(await attemptLog(api, delivery!.id)).toMatchObject([
      { attempt: 1, status_code: 200, error: null, response_excerpt: 'ok' },
    ])
  })

  it('when an endpoint subscribes to order.created only, then it receives those events and no others', async () => {
    const orders = await receiver()
    const everything = await receiver()
    const ordersOnly = await createEndpoint(api, orders.url, ['order.created'])
    const all = await createEndpoint(api, everything.url)
    const product = await createProduct(api, { stock: 5 })
    const order = await createOrder(api, product.id, 2)
    // Deliveries run concurrently: product.created may arrive after order.created.
    await everything.waitFor((requests) =>
      ['product.created', 'order.created'].every((type) => requests.some((r) => typeOf(r) === type)),
    )
    await orders.waitFor((requests) => requests.length >= 1)
    await api.app.outbox.drain()
    await api.app.eventDispatcher.runOnce()

    expect(orders.requests.map(typeOf)).toEqual(['order.created'])
    expect(JSON.parse(orders.requests[0]!.body).data).toMatchObject({ id: order.id, status: 'PENDING' })
    expect(everything.requests.map(typeOf)).toEqual(expect.arrayContaining(['product.created', 'order.created']))
    expect((await deliveriesOf(api, ordersOnly.id)).map((d) => d.event_type)).toEqual(['order.created'])
    expect((await deliveriesOf(api, all.id)).length).toBe(everything.requests.length)
  })
})

describe('retries', () => {
  it('when the receiver answers 500, 500, then 200, then the delivery succeeds after 3 attempts with one webhook-id', async () => {
    const hooks = await receiver((_request, index) =>
      index < 2 ? { status: 500, body: `{"error":"down ${index + 1}"}` } : {},
    )
    const endpoint = await createEndpoint(api, hooks.url)
    await createProduct(api)
    const [delivery] = await settled(api, endpoint.id)

    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 3, last_status_code: 200, last_error: null })
    expect(hooks.requests).toHaveLength(3)
    expect(new Set(hooks.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([delivery!.event_id]))
    expect(new Set(hooks.requests.map((r) => r.body)).size).toBe(1)
    // Each retry is signed anew, at its own time.
    for (const request of hooks.requests) expect(verifies(request, endpoint.secret)).toBe(true)
    // The schedule says 0.2 s before each retry.
    for (const gap of gaps(hooks.requests)) expect(gap).toBeGreaterThanOrEqual(195)
    expect(await attemptLog(api, delivery!.id)).toMatchObject([
      { attempt: 1, status_code: 500, error: 'The endpoint answered 500', response_excerpt: '{"error":"down 1"}' },
      { attempt: 2, status_code: 500, error: 'The endpoint answered 500', response_excerpt: '{"error":"down 2"}' },
      { attempt: 3, status_code: 200, error: null, response_excerpt: 'ok' },
    ])
  })

  it('when every try fails, then the delivery is failed after the schedule and not sent again', async () => {
    const hooks = await receiver(() => ({ status: 503, body: 'x'.repeat(5000) }))
    const endpoint = await createEndpoint(api, hooks.url)
    await createProduct(api)
    const [delivery] = await settled(api, endpoint.id)

    expect(delivery).toMatchObject({
      status: 'failed',
      attempts: 3,
      next_attempt_at: null,
      last_status_code: 503,
      last_error: 'The endpoint answered 503',
    })
    const log = await attemptLog(api, delivery!.id)
    expect(log.map((a) => a.attempt)).toEqual([1, 2, 3])
    // Only the start of a long answer is kept.
    expect(log[0]!.response_excerpt).toBe('x'.repeat(1024))
    await api.app.eventDispatcher.runOnce()
    expect(hooks.requests).toHaveLength(3)
  })

  it('when the receiver answers 410, then the endpoint is disabled and nothing more is sent to it', async () => {
    const gone = await receiver(() => ({ status: 410 }))
    const control = await receiver()
    const endpoint = await createEndpoint(api, gone.url)
    await createEndpoint(api, control.url)
    await createProduct(api)
    const [delivery] = await settled(api, endpoint.id)
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, last_status_code: 410 })
    expect((await api.request('GET', `/webhook-endpoints/${endpoint.id}`)).body).toMatchObject({
      enabled: false,
      disabled_reason: 'The endpoint answered 410 Gone',
    })

    const later = await createProduct(api)
    await control.waitFor((requests) => requests.some((r) => JSON.parse(r.body).data.id === later.id))
    await api.app.eventDispatcher.runOnce()
    expect(gone.requests).toHaveLength(1)
    expect(await deliveriesOf(api, endpoint.id)).toHaveLength(1)
  })

  it('when the receiver answers 429 or 503 with Retry-After, then the next attempt waits that long', async () => {
    const seconds = await receiver((_request, index) =>
      index === 0 ? { status: 429, headers: { 'retry-after': '1' } } : {},
    )
    const date = await receiver((_request, index) =>
      index === 0 ? { status: 503, headers: { 'retry-after': new Date(Date.now() + 3000).toUTCString() } } : {},
    )
    const bySeconds = await createEndpoint(api, seconds.url)
    const byDate = await createEndpoint(api, date.url)
    await createProduct(api)
    await settled(api, bySeconds.id)
    await settled(api, byDate.id)

    expect(seconds.requests).toHaveLength(2)
    expect(gaps(seconds.requests)[0]).toBeGreaterThanOrEqual(1000)
    // An HTTP date has whole seconds: 3 s from the first answer, rounded down, is at least 2 s later.
    expect(date.requests).toHaveLength(2)
    expect(gaps(date.requests)[0]).toBeGreaterThanOrEqual(1900)
    expect((await deliveriesOf(api, bySeconds.id))[0]).toMatchObject({ status: 'succeeded', attempts: 2 })
  })

  it('when the receiver does not answer within WEBHOOK_TIMEOUT_MS, then the attempt fails with an error and is retried', async () => {
    const hooks = await receiver((_request, index) => (index === 0 ? { hang: true } : {}))
    const endpoint = await createEndpoint(api, hooks.url)
    await createProduct(api)
    const [delivery] = await settled(api, endpoint.id)

    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2, last_status_code: 200 })
    const [timedOut, succeeded] = await attemptLog(api, delivery!.id)
    expect(timedOut).toMatchObject({ attempt: 1, status_code: null, error: 'No answer within 1000 ms' })
    expect(timedOut!.duration_ms).toBeGreaterThanOrEqual(990)
    expect(succeeded).toMatchObject({ attempt: 2, status_code: 200, error: null })
    // The client gave up on the hanging request: it is not left open.
    expect(hooks.requests[0]!.finishedAt).toBeDefined()
  })

  it('when the receiver redirects, then the redirect is not followed and the attempt fails', async () => {
    const target = await receiver()
    const hooks = await receiver(() => ({ redirectTo: `${target.url}/elsewhere` }))
    const endpoint = await createEndpoint(api, hooks.url)
    await createProduct(api)
    const [delivery] = await settled(api, endpoint.id)

    expect(delivery).toMatchObject({ status: 'failed', attempts: 3, last_status_code: 302 })
    expect(delivery!.last_error).toBe(
      `The endpoint answered 302 (redirects are not followed; Location: ${target.url}/elsewhere)`,
    )
    expect(hooks.requests).toHaveLength(3)
    expect(target.requests).toHaveLength(0)
  })

  it('when a delivery is retried by hand while its attempt is in flight, then it is sent again after that attempt', async () => {
    const hooks = await receiver((_request, index) => (index === 0 ? { delayMs: 700 } : {}))
    const endpoint = await createEndpoint(api, hooks.url)
    await createProduct(api)
    await hooks.waitFor((requests) => requests.length === 1)
    const [inFlight] = await deliveriesOf(api, endpoint.id)
    expect((await api.request('POST', `/webhook-deliveries/${inFlight!.id}/retry`)).status).toBe(202)

    await hooks.waitFor((requests) => requests.length === 2 && requests[1]!.answeredStatus === 200)
    const [delivery] = await settled(api, endpoint.id)
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2 })
    expect(hooks.requests.map((r) => r.headers['webhook-id'])).toEqual([delivery!.event_id, delivery!.event_id])
    // Never twice at once: the second request came after the first was answered.
    expect(hooks.requests[1]!.arrivedAt).toBeGreaterThanOrEqual(hooks.requests[0]!.finishedAt!)
  })
})

describe('limits', () => {
  it('when one receiver hangs, then it holds at most WEBHOOK_CONCURRENCY_PER_ENDPOINT attempts and another endpoint still gets every event', async () => {
    const hanging = await receiver(() => ({ hang: true }))
    const healthy = await receiver()
    await createEndpoint(api, hanging.url)
    await createEndpoint(api, healthy.url)
    const products: { id: number }[] = []
    for (let i = 0; i < 5; i += 1) products.push(await createProduct(api))

    await healthy.waitFor((requests) =>
      products.every((p) => requests.some((r) => JSON.parse(r.body).data.id === p.id)),
    )
    await hanging.waitFor((requests) => requests.length >= 2)
    expect(Math.max(...hanging.requests.map((r) => r.inFlightAtArrival))).toBeLessThanOrEqual(2)
    expect(hanging.inFlight()).toBeLessThanOrEqual(2)
    expect(Math.max(...healthy.requests.map((r) => r.inFlightAtArrival))).toBeLessThanOrEqual(2)
  })
})

describe('observability', () => {
  it('when deliveries are pending and then sent, then /metrics shows the backlog per endpoint and the attempts', async () => {
    const metrics = async () => (await api.request('GET', '/metrics')).text
    const hooks = await receiver(() => ({ hang: true }))
    const endpoint = await createEndpoint(api, hooks.url, ['product.created'])
    const before = await metrics()
    for (let i = 0; i < 3; i += 1) await createProduct(api)
    // Every event fanned out (the outbox joins the writes of 20 ms), so all three deliveries exist.
    await api.app.outbox.drain()
    await hooks.waitFor((requests) => requests.length >= 2)

    const backlog = await metrics()
    const labels = { endpoint_id: String(endpoint.id) }
    expect(sample(backlog, 'webhook_pending_deliveries', labels)).toBe(3)
    const age = sample(backlog, 'webhook_oldest_pending_delivery_age_seconds', labels)
    expect(age).toBeGreaterThan(0)
    expect(age).toBeLessThan(60)

    hooks.respond(() => ({}))
    await settled(api, endpoint.id, 3)
    const after = await metrics()
    expect(sample(after, 'webhook_pending_deliveries', labels)).toBe(0)
    expect(after).not.toContain(`webhook_pending_deliveries{endpoint_id="${endpoint.id}"}`)
    const succeeded = (text: string) => sample(text, 'webhook_delivery_attempts_total', { outcome: 'succeeded' })
    expect(succeeded(after) - succeeded(before)).toBeGreaterThanOrEqual(3)
    const count = (text: string) => sample(text, 'webhook_delivery_attempt_duration_seconds_count')
    expect(count(after) - count(before)).toBeGreaterThanOrEqual(3)
    for (const outcome of ['retrying', 'failed', 'endpoint_disabled']) {
      expect(after).toContain(`webhook_delivery_attempts_total{outcome="${outcome}"}`)
    }
    expect(after).toContain('# TYPE webhook_delivery_attempt_duration_seconds histogram')
  })
})

describe('rotation', () => {
  it('when the secret is rotated, then deliveries carry two signatures, the new one first, and both verify', async () => {
    const hooks = await receiver()
    const endpoint = await createEndpoint(api, hooks.url)
    const rotated = await api.request('POST', `/webhook-endpoints/${endpoint.id}/rotate-secret`)
    expect(rotated.status).toBe(200)
    const newSecret = rotated.body.secret as string
    expect(newSecret).not.toBe(endpoint.secret)
    await createProduct(api)
    await hooks.waitFor((requests) => requests.length >= 1)

    const [request] = hooks.requests
    const signatures = String(request!.headers['webhook-signature']).split(' ')
    expect(signatures).toHaveLength(2)
    const only = (signature: string) => ({
      ...request!,
      headers: { ...request!.headers, 'webhook-signature': signature },
    })
    expect(verifies(only(signatures[0]!), newSecret)).toBe(true)
    expect(verifies(only(signatures[1]!), endpoint.secret)).toBe(true)
  })
})

describe('private addresses in production', () => {
  it('when an endpoint points at a loopback address, then nothing is sent and each attempt records why', async () => {
    const prod = await startTestApp({ ...ENV, NODE_ENV: 'production' })
    try {
      const hooks = await receiver()
      const refused = await prod.request('POST', '/webhook-endpoints', { url: hooks.url })
      expect(refused.status).toBe(422)
      // Written behind the API's back (or saved before its address changed): the dispatcher checks again.
      const now = new Date().toISOString()
      const row = (url: string) => ({
        url,
        events: '["*"]',
        enabled: 1,
        secret: 'whsec_' + Buffer.alloc(32, 1).toString('base64'),
        created_at: now,
        updated_at: now,
      })
      const [literal, named] = await prod.app.db
        .insertInto('webhook_endpoints')
        .values([row(`${hooks.url}/literal`), row(`http://localhost:${hooks.port}${hooks.path}/named`)])
        .returning('id')
        .execute()
      await createProduct(prod)

      const [byAddress] = await settled(prod, literal!.id)
      const [byName] = await settled(prod, named!.id)
      expect(byAddress).toMatchObject({ status: 'failed', attempts: 3, last_status_code: null })
      expect(byAddress!.last_error).toBe(
        'Blocked: 127.0.0.1 is a loopback, private or link-local address (allowed only with WEBHOOK_ALLOW_PRIVATE_URLS=true)',
      )
      expect(byName).toMatchObject({ status: 'failed', attempts: 3, last_status_code: null })
      expect(byName!.last_error).toMatch(/^Blocked: localhost resolves to the non-public address (127\.0\.0\.1|::1)/)
      expect(hooks.requests).toHaveLength(0)
    } finally {
      await prod.close()
    }
  })
})

describe('shutdown', () => {
  it('when the app closes during an attempt, then it closes without error and the delivery is sent at once by the next start, not counted twice', async () => {
    const database = await createTestDatabase()
    const env = { ...ENV, WEBHOOK_TIMEOUT_MS: '20000' }
    try {
      const hooks = await receiver((_request, index) => (index === 0 ? { hang: true } : {}))
      const first = await startTestApp(env, { databaseUrl: database.url })
      const endpoint = await createEndpoint(first, hooks.url)
      await createProduct(first)
      await hooks.waitFor((requests) => requests.length === 1)
      expect(first.app.eventDispatcher.inFlight()).toBe(1)

      const closing = Date.now()
      await first.app.close()
      const closedAfter = Date.now() - closing
      expect(closedAfter).toBeLessThan(5000)
      // The hanging request was given up, not left open.
      await hooks.waitFor((requests) => requests[0]!.finishedAt !== undefined, 2000)

      // Its lease (20 s + 5 s) was released: the next start sends it right away.
      const second = await startTestApp(env, { databaseUrl: database.url })
      try {
        await hooks.waitFor((requests) => requests.length === 2, 10_000)
        expect(hooks.requests[1]!.arrivedAt - closing).toBeLessThan(10_000)
        const [delivery] = await settled(second, endpoint.id)
        expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1 })
        expect(await attemptLog(second, delivery!.id)).toMatchObject([{ attempt: 1, status_code: 200 }])
      } finally {
        await second.app.close()
      }
    } finally {
      await database.drop()
    }
  })
})

describe('below HTTP', () => {
  it('when two connections claim at once, then no delivery is leased twice, each endpoint gets at most its slots and disabled ones none', async () => {
    const database = await createTestDatabase()
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: database.url })
    const one = createDb(config.database)
    const two = createDb(config.database)
    try {
      await migrateToLatest(one)
      const now = new Date().toISOString()
      const endpointRow = (enabled: number) => ({
        url: 'http://127.0.0.1:9/',
        events: '["*"]',
        enabled,
        secret: 'whsec_' + Buffer.alloc(32, 2).toString('base64'),
        created_at: now,
        updated_at: now,
      })
      const ids = await one
        .insertInto('webhook_endpoints')
        .values([endpointRow(1), endpointRow(1), endpointRow(0)])
        .returning('id')
        .execute()
      const [first, second, disabled] = ids.map((row) => Number(row.id))
      const events = await one
        .insertInto('events')
        .values(
          Array.from({ length: 20 }, (_, i) => ({
            id: `evt_claim_${i}`,
            type: 'product.created' as const,
            payload: '{}',
            created_at: now,
            fanned_out_at: now,
          })),
        )
        .returning(['seq', 'id'])
        .execute()
      await one
        .insertInto('webhook_deliveries')
        .values(
          // As the fan-out writes them: for each event, one per endpoint.
          events.flatMap((event) =>
            [first!, second!, disabled!].map((endpoint) => ({
              endpoint_id: endpoint,
              event_seq: Number(event.seq),
              event_id: event.id,
              event_type: 'product.created' as const,
              status: 'pending' as const,
              attempts: 0,
              next_attempt_at: now,
              created_at: now,
              updated_at: now,
            })),
          ),
        )
        .execute()

      const claimNow = (db: Db, slotsLeft = new Map<number, number>(), limit = 5, perEndpoint = 3) => {
        const at = new Date().toISOString()
        return claimDeliveries(db, { limit, perEndpoint, slotsLeft }, at, new Date(Date.now() + 60_000).toISOString())
      }
      const [a, b] = await Promise.all([claimNow(one), claimNow(two)])
      const claimed = [...a, ...b].map((d) => d.id)
      expect(new Set(claimed).size).toBe(claimed.length)
      for (const batch of [a, b]) {
        expect(batch.length).toBeGreaterThan(0)
        for (const endpoint of [first, second]) {
          expect(batch.filter((d) => d.endpoint_id === endpoint).length).toBeLessThanOrEqual(3)
        }
        expect(batch.some((d) => d.endpoint_id === disabled)).toBe(false)
      }
      // An endpoint at its limit in this instance is skipped; another gets only the slots it has left.
      const limited = await claimNow(
        one,
        new Map([
          [first!, 0],
          [second!, 2],
        ]),
      )
      expect(limited.map((d) => d.endpoint_id)).toEqual([second, second])
      // Leased deliveries are not claimed again while their lease runs.
      const leased = new Set([...claimed, ...limited.map((d) => d.id)])
      const again = await claimNow(two, new Map(), 100, 100)
      expect(again.some((d) => leased.has(d.id))).toBe(false)
      expect(leased.size + again.length).toBe(40)
    } finally {
      await one.destroy()
      await two.destroy()
      await database.drop()
    }
  })

  it('when the next attempt is scheduled, then it follows the schedule with at most 10% jitter, or a Retry-After on 429/503 capped at a day', () => {
    const now = new Date('2026-01-01T00:00:00.000Z')
    const policy = (random: number) => ({ scheduleSeconds: [10, 60], random: () => random })
    const waitOf = (state: { nextAttemptAt: string | null }) =>
      (Date.parse(state.nextAttemptAt!) - now.getTime()) / 1000

    expect(waitOf(nextState({ statusCode: 500, retryAfter: undefined }, 1, policy(0), now))).toBe(10)
    expect(waitOf(nextState({ statusCode: null, retryAfter: undefined }, 2, policy(0.999), now))).toBeCloseTo(65.994, 2)
    expect(nextState({ statusCode: 500, retryAfter: undefined }, 3, policy(0), now)).toEqual({
      status: 'failed',
      nextAttemptAt: null,
      outcome: 'failed',
    })
    expect(waitOf(nextState({ statusCode: 503, retryAfter: '120' }, 1, policy(0), now))).toBe(120)
    expect(waitOf(nextState({ statusCode: 429, retryAfter: 'Thu, 01 Jan 2026 00:05:00 GMT' }, 1, policy(0), now))).toBe(
      300,
    )
    expect(waitOf(nextState({ statusCode: 503, retryAfter: '9999999' }, 1, policy(0), now))).toBe(86_400)
    // Only 429 and 503 are asked to wait; an unreadable value falls back to the schedule.
    expect(waitOf(nextState({ statusCode: 500, retryAfter: '120' }, 1, policy(0), now))).toBe(10)
    expect(waitOf(nextState({ statusCode: 503, retryAfter: 'soon' }, 1, policy(0), now))).toBe(10)
    expect(nextState({ statusCode: 410, retryAfter: undefined }, 1, policy(0), now).outcome).toBe('endpoint_disabled')
    expect(nextState({ statusCode: 204, retryAfter: undefined }, 3, policy(0), now).outcome).toBe('succeeded')
  })
})
