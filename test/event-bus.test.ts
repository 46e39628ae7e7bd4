import { randomUUID } from 'node:crypto'
import { StorageType, nanos, type NatsConnection } from 'nats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { claimBusEntries, deleteBusEntries, failBusEntry, releaseBusEntries } from '../src/modules/events/bus-outbox.js'
import { busBackoffMs } from '../src/plugins/event-bus.js'
import { startTestApp, TEST_WEBHOOK_SECRET, type TestApp } from './helpers/app.js'
import { createTestDatabase, TEST_DIALECT } from './helpers/database.js'
import { sample } from './helpers/metrics.js'
import { MACHINE_NATS_URL, natsClient, privateNats, readStream, type StreamMessage } from './helpers/nats.js'
import { startInstances } from './helpers/processes.js'
import { signWebhook } from './helpers/webhooks.js'

/*
 * The event bus: with EVENT_BUS_URL set, every event of GET /events is published to NATS
 * JetStream once, on <prefix>.<type>, its data the event's JSON, its Nats-Msg-Id the event id.
 * The SQLite and PostgreSQL runs share the machine's NATS: every test has a stream and a subject
 * prefix of its own, and deletes only those.
 */

interface Event {
  id: string
  type: string
  timestamp: string
  data: Record<string, unknown>
}

/** An HTTP client: the test app (inject) or a real server's URL. */
type Call = (method: string, url: string, body?: unknown, headers?: Record<string, string>) => Promise<Answer>
// Answers are whatever the API sent; the tests assert on their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Answer = { status: number; body: any; text: string; link?: string | undefined }

const viaApp =
  (api: TestApp): Call =>
  async (method, url, body, headers) => {
    const reply = await api.request(method as 'GET', url, body, headers)
    return { ...reply, link: reply.headers.link as string | undefined }
  }

const viaUrl =
  (base: string): Call =>
  async (method, url, body, headers = {}) => {
    const response = await fetch(`${base}${url}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await response.text()
    const json = (response.headers.get('content-type') ?? '').includes('json') && text ? JSON.parse(text) : undefined
    return { status: response.status, body: json, text, link: response.headers.get('link') ?? undefined }
  }

let client: NatsConnection
const streams: string[] = []

/** A stream and a subject prefix no other test (nor the other database's run) uses. */
function busNames() {
  const tag = `${TEST_DIALECT}-${randomUUID().slice(0, 8)}`
  const names = { stream: `TEST_BUS_${tag.replace('-', '_').toUpperCase()}`, prefix: `test-bus-${tag}` }
  streams.push(names.stream)
  return names
}

function busEnv(names: { stream: string; prefix: string }, url = MACHINE_NATS_URL): Record<string, string> {
  return { EVENT_BUS_URL: url, EVENT_BUS_STREAM: names.stream, EVENT_BUS_SUBJECT_PREFIX: names.prefix }
}

beforeAll(async () => {
  client = await natsClient(MACHINE_NATS_URL).catch((error: unknown) => {
    throw new Error(`These tests need NATS with JetStream at ${MACHINE_NATS_URL} (.ci/run starts it): ${String(error)}`)
  })
  // Streams an interrupted run left behind: test streams over an hour old, which no run still uses.
  const manager = await client.jetstreamManager()
  for await (const info of manager.streams.list()) {
    if (info.config.name.startsWith('TEST_BUS_') && Date.parse(info.created) < Date.now() - 3_600_000) {
      await manager.streams.delete(info.config.name).catch(() => false)
    }
  }
})
afterAll(async () => {
  const manager = await client.jetstreamManager()
  for (const stream of streams) await manager.streams.delete(stream).catch(() => false)
  await client.close()
})

async function ok(answer: Promise<Answer>, status = 201): Promise<Answer> {
  const done = await answer
  expect(done.status, done.text).toBe(status)
  return done
}

/** Every event so far, oldest first, paged through with after_id. */
async function allEvents(call: Call): Promise<Event[]> {
  const events: Event[] = []
  let url = '/events?limit=1000'
  for (;;) {
    const response = await ok(call('GET', url), 200)
    events.push(...(JSON.parse(response.text) as Event[]))
    const next = /<([^>]+)>; rel="next"/.exec(response.link ?? '')
    if (!next) return events
    url = next[1]!
  }
}

function pay(call: Call, orderId: number) {
  const body = JSON.stringify({ event: 'payment.succeeded', order_id: orderId, payment_id: `pay_bus_${orderId}` })
  return ok(call('POST', '/webhooks/payment', body, { 'x-webhook-signature': signWebhook(body) }), 200)
}

const product = (stock: number) => ({ sku: `BUS-${randomUUID().slice(0, 8)}`, name: 'Bus mug', price: 7.5, stock })

/**
 * Products created, updated and deleted, orders placed, paid and canceled: product.created/updated/
 * deleted, order.created/paid/canceled, stock.depleted and stock.replenished.
 */
async function writeStory(call: Call): Promise<void> {
  const scarce = (await ok(call('POST', '/products', product(2)))).body as { id: number }
  const plenty = (await ok(call('POST', '/products', product(50)))).body as { id: number }
  const doomed = (await ok(call('POST', '/products', product(1)))).body as { id: number }
  const emptied = (await ok(call('POST', '/orders', { product_id: scarce.id, quantity: 2 }))).body as { id: number }
  await ok(call('PUT', `/orders/${emptied.id}`, { status: 'CANCELED' }), 200)
  const paid = (await ok(call('POST', '/orders', { product_id: plenty.id, quantity: 3 }))).body as { id: number }
  await pay(call, paid.id)
  await ok(call('PATCH', `/products/${plenty.id}`, { name: 'Bus mug, large' }), 200)
  await ok(call('DELETE', `/products/${doomed.id}`), 204)
}

/** Polls `check` until it holds (at most `ms`), then returns its last value. */
async function eventually<T>(check: () => Promise<T>, holds: (value: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms
  let value = await check()
  while (!holds(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100))
    value = await check()
  }
  return value
}

async function streamCount(stream: string, nc = client): Promise<number> {
  const manager = await nc.jetstreamManager()
  return manager.streams.info(stream).then(
    (info) => info.state.messages,
    () => 0,
  )
}

const metric = async (call: Call, name: string) => sample((await ok(call('GET', '/metrics'), 200)).text, name)

/** Waits until the stream holds as many messages as GET /events has events, and nothing waits for the bus. */
async function publishedEverything(call: Call[], stream: string, nc = client): Promise<Event[]> {
  const events = await eventually(
    async () => {
      const events = await allEvents(call[0]!)
      const pending = await Promise.all(call.map((c) => metric(c, 'event_bus_pending_events')))
      const inStream = await streamCount(stream, nc)
      return { events, done: inStream === events.length && pending.every((p) => p === 0) }
    },
    ({ done }) => done,
  )
  expect(events.done).toBe(true)
  return events.events
}

/** Every event exactly once, in the same order, with its subject, data and Nats-Msg-Id. */
function expectEachOnce(messages: StreamMessage[], events: Event[], prefix: string) {
  expect(messages.map((m) => m.msgId).sort()).toEqual(events.map((e) => e.id).sort())
  const byId = new Map(messages.map((m) => [m.msgId, m]))
  for (const event of events) {
    const message = byId.get(event.id)!
    expect(message.subject).toBe(`${prefix}.${event.type}`)
    expect(JSON.parse(message.data)).toEqual(event)
  }
}

describe('publishing to NATS JetStream', { timeout: 60_000 }, () => {
  let api: TestApp
  let names: { stream: string; prefix: string }
  beforeAll(async () => {
    names = busNames()
    api = await startTestApp(busEnv(names))
  })
  afterAll(() => api.close())

  it('when products and orders change, then every event is in the stream once, on <prefix>.<type>, with its JSON and its id as Nats-Msg-Id', async () => {
    const call = viaApp(api)
    await writeStory(call)
    const events = await publishedEverything([call], names.stream)
    const types = new Set(events.map((e) => e.type))
    for (const type of [
      'product.created',
      'product.updated',
      'product.deleted',
      'order.created',
      'order.paid',
      'order.canceled',
      'stock.depleted',
      'stock.replenished',
    ]) {
      expect(types, type).toContain(type)
    }

    const messages = await readStream(client, names.stream)
    expectEachOnce(messages, events, names.prefix)
    // One instance publishes in the order of the events, each PubAck awaited before the next.
    expect(messages.map((m) => m.msgId)).toEqual(events.map((e) => e.id))
    // The data is the stored JSON byte for byte: the same text GET /events shows.
    const listed = (await ok(call('GET', '/events?limit=1000'), 200)).text
    expect(`[${messages.map((m) => m.data).join(',')}]`).toBe(listed)

    expect(await metric(call, 'event_bus_published_total')).toBe(events.length)
    expect(await metric(call, 'event_bus_lag_seconds')).toBe(0)
    expect(await api.app.db.selectFrom('bus_outbox').selectAll().execute()).toEqual([])
  })

  it('when the service starts, then it created its stream: file storage, subjects <prefix>.>, a duplicate window of at least 2 minutes', async () => {
    const info = await (await client.jetstreamManager()).streams.info(names.stream)
    expect(info.config.subjects).toEqual([`${names.prefix}.>`])
    expect(info.config.storage).toBe(StorageType.File)
    expect(info.config.duplicate_window).toBeGreaterThanOrEqual(nanos(2 * 60_000))
  })

  it('when an event is published again with its id, then JetStream drops it as a duplicate', async () => {
    const [event] = await allEvents(viaApp(api))
    const before = await streamCount(names.stream)
    const ack = await client
      .jetstream()
      .publish(`${names.prefix}.${event!.type}`, JSON.stringify(event), { msgID: event!.id })
    expect(ack.duplicate).toBe(true)
    expect(await streamCount(names.stream)).toBe(before)
  })
})

describe('a NATS outage', { timeout: 60_000 }, () => {
  it('when NATS dies while events are written, then the API still answers, the backlog grows, and after its restart every event is published once', async () => {
    const nats = await privateNats()
    const names = busNames()
    const api = await startTestApp(busEnv(names, nats.url))
    try {
      const call = viaApp(api)
      await ok(call('POST', '/products', product(5)))
      const observer = await natsClient(nats.url)
      await publishedEverything([call], names.stream, observer).finally(() => observer.close())

      await nats.kill()
      await writeStory(call)
      await ok(call('GET', '/health'), 200)
      const waiting = (await allEvents(call)).length - 1
      const pending = await eventually(
        () => metric(call, 'event_bus_pending_events'),
        (value) => value === waiting,
      )
      expect(pending).toBe(waiting)
      expect(await metric(call, 'event_bus_lag_seconds')).toBeGreaterThan(0)

      await nats.start()
      const back = await natsClient(nats.url)
      try {
        const events = await publishedEverything([call], names.stream, back)
        expectEachOnce(await readStream(back, names.stream), events, names.prefix)
      } finally {
        await back.close()
      }
    } finally {
      await api.close()
      await nats.remove()
    }
  })

  it('when NATS is not running at the start, then the service starts and serves, and publishes once NATS is started', async () => {
    const nats = await privateNats({ started: false })
    const names = busNames()
    const api = await startTestApp(busEnv(names, nats.url))
    try {
      const call = viaApp(api)
      await writeStory(call)
      const count = (await allEvents(call)).length
      expect(
        await eventually(
          () => metric(call, 'event_bus_pending_events'),
          (value) => value === count,
        ),
      ).toBe(count)

      await nats.start()
      const observer = await natsClient(nats.url)
      try {
        const events = await publishedEverything([call], names.stream, observer)
        expectEachOnce(await readStream(observer, names.stream), events, names.prefix)
      } finally {
        await observer.close()
      }
    } finally {
      await api.close()
      await nats.remove()
    }
  })

  it('when NATS never answers, then the app still closes at once', async () => {
    const nats = await privateNats({ started: false })
    const api = await startTestApp(busEnv(busNames(), nats.url))
    await ok(viaApp(api)('POST', '/products', product(1)))
    const closing = Date.now()
    await api.close()
    expect(Date.now() - closing).toBeLessThan(3000)
    await nats.remove()
  })
})

describe('several instances', { timeout: 120_000 }, () => {
  it('when two instances write events at once, then each event is published once', async () => {
    const database = await createTestDatabase()
    const names = busNames()
    const { urls, stop } = await startInstances(2, database.url, {
      ...busEnv(names),
      WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      RATE_LIMIT_MAX: '0',
    })
    try {
      const calls = urls.map(viaUrl)
      await Promise.all(calls.map((call) => writeStory(call)))
      await Promise.all(calls.map((call) => writeStory(call)))
      const events = await publishedEverything(calls, names.stream)
      expect(events.length).toBeGreaterThanOrEqual(4 * 11)
      expectEachOnce(await readStream(client, names.stream), events, names.prefix)
      // Claimed by one instance at a time: no event was ever sent twice.
      const sent = await Promise.all(calls.map((call) => metric(call, 'event_bus_published_total')))
      expect(sent[0]! + sent[1]!).toBe(events.length)
    } finally {
      await stop()
      await database.drop()
    }
  })
})

describe('without EVENT_BUS_URL', () => {
  let api: TestApp
  beforeAll(async () => {
    api = await startTestApp()
  })
  afterAll(() => api.close())

  it('when events are written, then no bus_outbox row is written and the bus metrics stay 0', async () => {
    const call = viaApp(api)
    await writeStory(call)
    await api.app.outbox.drain()
    expect((await allEvents(call)).length).toBeGreaterThan(0)
    expect(await api.app.db.selectFrom('bus_outbox').selectAll().execute()).toEqual([])
    const metrics = (await ok(call('GET', '/metrics'), 200)).text
    for (const name of [
      'event_bus_pending_events',
      'event_bus_lag_seconds',
      'event_bus_published_total',
      'event_bus_publish_failures_total',
    ]) {
      // Present (the dashboard and alerts may use them), and 0.
      expect(metrics).toMatch(new RegExp(`^${name} 0$`, 'm'))
    }
  })
})

describe('the bus queue, below HTTP', () => {
  let api: TestApp
  let seqs: number[]
  const at = (ms: number) => new Date(ms).toISOString()
  beforeAll(async () => {
    // No event bus here: the rows are written by the test, and nothing else touches them.
    api = await startTestApp()
    await writeStory(viaApp(api))
    await api.app.outbox.drain()
    const events = await api.app.db.selectFrom('events').select('seq').orderBy('seq').execute()
    seqs = events.map((e) => Number(e.seq))
  })
  afterAll(() => api.close())

  const queue = async (nextAttemptAt: string) => {
    await api.app.db.deleteFrom('bus_outbox').execute()
    await api.app.db
      .insertInto('bus_outbox')
      .values(seqs.map((seq) => ({ event_seq: seq, attempts: 0, next_attempt_at: nextAttemptAt })))
      .execute()
  }

  it('when two claims run at once, then each row goes to exactly one of them, oldest first', async () => {
    const now = Date.now()
    await queue(at(now))
    const claim = (limit: number) =>
      claimBusEntries(api.app.db, { now: at(now + 1), leaseUntil: at(now + 30_000), limit })
    const [first, second] = await Promise.all([claim(4), claim(100)])
    const claimed = [...first!, ...second!].map((entry) => entry.seq)
    expect(claimed.sort((a, b) => a - b)).toEqual(seqs)
    for (const batch of [first!, second!]) {
      expect(batch.map((e) => e.seq)).toEqual([...batch.map((e) => e.seq)].sort((a, b) => a - b))
    }
    expect(first!.length + second!.length).toBe(seqs.length)
    // On PostgreSQL one claim may take every row while the other skips them all: both are right.
    for (const entry of [...first!, ...second!]) expect(JSON.parse(entry.payload)).toMatchObject({ id: entry.id })
  })

  it('when a row is claimed, then nobody claims it again before its lease runs out, and anyone may after', async () => {
    const now = Date.now()
    await queue(at(now))
    const leaseUntil = at(now + 30_000)
    expect(await claimBusEntries(api.app.db, { now: at(now), leaseUntil, limit: 100 })).toHaveLength(seqs.length)
    expect(
      await claimBusEntries(api.app.db, { now: at(now + 29_000), leaseUntil: at(now + 59_000), limit: 100 }),
    ).toEqual([])
    const later = await claimBusEntries(api.app.db, { now: at(now + 30_000), leaseUntil: at(now + 60_000), limit: 100 })
    expect(later.map((e) => e.seq)).toEqual(seqs)
  })

  it('when a publish fails, then its row counts the attempt and waits for its backoff, and the rest of the batch is released', async () => {
    const now = Date.now()
    await queue(at(now))
    const leaseUntil = at(now + 30_000)
    const [failed, ...rest] = await claimBusEntries(api.app.db, { now: at(now), leaseUntil, limit: 100 })
    await failBusEntry(api.app.db, failed!.seq, { leaseUntil, nextAttemptAt: at(now + 1000), error: 'TIMEOUT' })
    // Another lease's token changes nothing.
    await releaseBusEntries(
      api.app.db,
      rest.map((e) => e.seq),
      { leaseUntil: at(now + 1) },
    )
    expect(await claimBusEntries(api.app.db, { now: at(now + 10), leaseUntil: at(now + 100), limit: 100 })).toEqual([])
    await releaseBusEntries(
      api.app.db,
      rest.map((e) => e.seq),
      { leaseUntil },
    )
    const again = await claimBusEntries(api.app.db, { now: at(now + 10), leaseUntil: at(now + 60_000), limit: 100 })
    expect(again.map((e) => e.seq)).toEqual(rest.map((e) => e.seq))
    const row = await api.app.db
      .selectFrom('bus_outbox')
      .selectAll()
      .where('event_seq', '=', failed!.seq)
      .executeTakeFirstOrThrow()
    expect(row).toMatchObject({ attempts: 1, last_error: 'TIMEOUT', lease_until: null })
    const retried = await claimBusEntries(api.app.db, { now: at(now + 1000), leaseUntil: at(now + 2000), limit: 100 })
    expect(retried).toMatchObject([{ seq: failed!.seq, attempts: 1 }])
    await deleteBusEntries(api.app.db, seqs)
    expect(await api.app.db.selectFrom('bus_outbox').selectAll().execute()).toEqual([])
  })

  it('when publishes keep failing, then the wait doubles from 1 s up to 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(busBackoffMs)).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ])
  })
})
