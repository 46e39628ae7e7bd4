import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DeliveryStatus } from '../src/db/types.js'
import { findEndpointForDelivery } from '../src/modules/webhook-endpoints/repository.js'
import { encryptionKey, openSecret } from '../src/shared/secrets.js'
import { startTestApp, type TestApp } from './helpers/app.js'

/*
 * The management API of outbound webhook endpoints and their deliveries. Delivery rows are set up
 * directly in the database (the dispatcher makes them in real life); pending ones are due far in
 * the future unless a test makes them due, so that no dispatcher touches them meanwhile.
 */

const SECRET_FORMAT = /^whsec_[A-Za-z0-9+/]{43}=$/
const FAR_FUTURE = '2099-01-01T00:00:00.000Z'
const HOUR_MS = 3_600_000
/** Nothing listens there: a delivery made due is refused at once, without leaving the machine. */
const CLOSED_PORT_URL = 'http://127.0.0.1:9/hooks'

let api: TestApp
beforeAll(async () => {
  api = await startTestApp()
})
afterAll(() => api.close())

interface Endpoint {
  id: number
  url: string
  events: string[]
  description: string | null
  enabled: boolean
  disabled_reason: string | null
  created_at: string
  updated_at: string
  secret?: string
}

async function createEndpoint(body: Record<string, unknown> = {}, app: TestApp = api): Promise<Endpoint> {
  const response = await app.request('POST', '/webhook-endpoints', { url: 'https://hooks.example.com/in', ...body })
  expect(response.status, response.text).toBe(201)
  return response.body as Endpoint
}

const storedEndpoint = (id: number, app: TestApp = api) =>
  app.app.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirstOrThrow()

let eventCount = 0
/** An event already fanned out (so the outbox leaves it alone), as the deliveries' foreign key needs. */
async function insertEvent(type: 'order.paid' | 'product.created' = 'order.paid') {
  eventCount += 1
  const id = `evt_test${eventCount}x${Date.now().toString(36)}`
  const now = new Date().toISOString()
  const payload = JSON.stringify({ id, type, timestamp: now, data: { id: eventCount } })
  return api.app.db
    .insertInto('events')
    .values({ id, type, payload, created_at: now, fanned_out_at: now })
    .returning(['seq', 'id', 'type'])
    .executeTakeFirstOrThrow()
}

async function insertDelivery(
  endpointId: number,
  overrides: { status?: DeliveryStatus; attempts?: number; next_attempt_at?: string | null; lease_until?: string } = {},
) {
  const event = await insertEvent()
  const now = new Date().toISOString()
  const status = overrides.status ?? 'pending'
  const row = await api.app.db
    .insertInto('webhook_deliveries')
    .values({
      endpoint_id: endpointId,
      event_seq: Number(event.seq),
      event_id: event.id,
      event_type: event.type,
      status,
      attempts: overrides.attempts ?? (status === 'pending' ? 0 : 1),
      next_attempt_at:
        overrides.next_attempt_at !== undefined ? overrides.next_attempt_at : status === 'pending' ? FAR_FUTURE : null,
      lease_until: overrides.lease_until ?? null,
      last_status_code: status === 'failed' ? 500 : status === 'succeeded' ? 204 : null,
      last_error: status === 'failed' ? 'The receiver answered 500' : null,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return Number(row.id)
}

const storedDelivery = (id: number) =>
  api.app.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst()

const detailOf = (response: { body: { detail: { loc: unknown[]; msg: string }[] } }) => response.body.detail

describe('creating webhook endpoints', () => {
  it('when an endpoint is created with only a url, then it takes every event type, is enabled, and shows a whsec_ secret of 32 bytes', async () => {
    const before = new Date().toISOString()
    const response = await api.request('POST', '/webhook-endpoints', { url: 'https://hooks.example.com/all' })
    expect(response.status).toBe(201)
    expect(response.body).toEqual({
      id: expect.any(Number),
      url: 'https://hooks.example.com/all',
      events: ['*'],
      description: null,
      enabled: true,
      disabled_reason: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      secret: expect.stringMatching(SECRET_FORMAT),
    })
    expect(response.body.created_at >= before).toBe(true)
    expect(response.body.updated_at).toBe(response.body.created_at)
    expect(Buffer.from(response.body.secret.slice('whsec_'.length), 'base64')).toHaveLength(32)
    // Without SECRETS_ENCRYPTION_KEY the secret is stored as it is.
    expect((await storedEndpoint(response.body.id)).secret).toBe(response.body.secret)
  })

  it('when an endpoint is created with a list of event types and a description, then both are kept', async () => {
    const endpoint = await createEndpoint({
      url: 'http://hooks.example.com:8080/orders?source=shop',
      events: ['order.paid', 'stock.low'],
      description: 'Warehouse: paid orders to pick',
    })
    expect(endpoint).toMatchObject({
      url: 'http://hooks.example.com:8080/orders?source=shop',
      events: ['order.paid', 'stock.low'],
      description: 'Warehouse: paid orders to pick',
    })
    const read = await api.request('GET', `/webhook-endpoints/${endpoint.id}`)
    expect(read.body).toMatchObject({
      events: ['order.paid', 'stock.low'],
      description: 'Warehouse: paid orders to pick',
    })
  })

  it('when two endpoints are created, then each has a secret of its own', async () => {
    const first = await createEndpoint()
    const second = await createEndpoint()
    expect(first.secret).not.toBe(second.secret)
  })

  it('when the url is not an http(s) URL, then 422 on body.url and nothing is created', async () => {
    const count = async () => (await api.request('GET', '/webhook-endpoints')).headers['x-total-count']
    const before = await count()
    for (const url of [
      'ftp://files.example.com/in',
      'javascript:alert(1)',
      'not a url',
      'hooks.example.com/in',
      'file:///etc/passwd',
    ]) {
      const response = await api.request('POST', '/webhook-endpoints', { url })
      expect(response.status, url).toBe(422)
      expect(detailOf(response), url).toEqual([
        {
          loc: ['body', 'url'],
          msg: expect.stringMatching(/^URL (is not valid|must use http or https)$/),
          type: 'value_error',
        },
      ])
    }
    for (const url of ['', `https://hooks.example.com/${'a'.repeat(2048)}`]) {
      const response = await api.request('POST', '/webhook-endpoints', { url })
      expect(response.status, url.slice(0, 40)).toBe(422)
      expect(detailOf(response)[0]!.loc).toEqual(['body', 'url'])
    }
    const missing = await api.request('POST', '/webhook-endpoints', { events: ['*'] })
    expect(missing.status).toBe(422)
    expect(detailOf(missing)).toEqual([{ loc: ['body', 'url'], msg: 'Field required', type: 'missing' }])
    expect(await count()).toBe(before)
  })

  it('when events has an unknown type, is empty, repeats a type or mixes "*" with types, then 422 on body.events', async () => {
    for (const events of [['order.exploded'], [], ['order.paid', 'order.paid'], ['*', 'order.paid'], '*', [1]]) {
      const response = await api.request('POST', '/webhook-endpoints', { url: 'https://hooks.example.com/in', events })
      expect(response.status, JSON.stringify(events)).toBe(422)
      expect(detailOf(response)[0]!.loc.slice(0, 2), JSON.stringify(events)).toEqual(['body', 'events'])
    }
    const unknown = await api.request('POST', '/webhook-endpoints', {
      url: 'https://x.example/',
      events: ['order.exploded'],
    })
    expect(detailOf(unknown)[0]!.msg).toContain("'order.paid'")
    const mixed = await api.request('POST', '/webhook-endpoints', {
      url: 'https://x.example/',
      events: ['*', 'order.paid'],
    })
    expect(detailOf(mixed)).toEqual([
      { loc: ['body', 'events'], msg: expect.stringContaining('send it alone'), type: 'value_error' },
    ])
  })

  it('when the same Idempotency-Key is sent twice, then one endpoint is created and the answer, secret included, is replayed', async () => {
    const body = { url: 'https://hooks.example.com/once' }
    const headers = { 'idempotency-key': `create-endpoint-${Date.now()}` }
    const first = await api.request('POST', '/webhook-endpoints', body, headers)
    const again = await api.request('POST', '/webhook-endpoints', body, headers)
    expect(first.status).toBe(201)
    expect(again.status).toBe(201)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.body).toEqual(first.body)
    const rows = await api.app.db
      .selectFrom('webhook_endpoints')
      .select('id')
      .where('url', '=', 'https://hooks.example.com/once')
      .execute()
    expect(rows).toHaveLength(1)
  })
})

describe('reading and changing webhook endpoints', () => {
  it('when endpoints are read, listed or changed, then no answer holds a secret', async () => {
    const endpoint = await createEndpoint({ url: 'https://hooks.example.com/quiet' })
    const secretText = endpoint.secret!.slice('whsec_'.length)
    const answers = [
      await api.request('GET', `/webhook-endpoints/${endpoint.id}`),
      await api.request('GET', '/webhook-endpoints?limit=1000'),
      await api.request('PATCH', `/webhook-endpoints/${endpoint.id}`, { description: 'changed' }),
    ]
    for (const answer of answers) {
      expect(answer.status).toBe(200)
      expect(answer.text).not.toContain(secretText)
      expect(answer.text).not.toContain('"secret"')
      expect(answer.text).not.toContain('previous_secret')
    }
    expect(answers[0]!.body).toEqual({ ...endpoint, secret: undefined })
  })

  it('when endpoints are listed, then they come by id with X-Total-Count and Link, as every list', async () => {
    const created = [await createEndpoint(), await createEndpoint(), await createEndpoint()]
    const all = await api.request('GET', '/webhook-endpoints?limit=1000')
    const total = Number(all.headers['x-total-count'])
    expect(total).toBe(all.body.length)
    const ids = (all.body as Endpoint[]).map((endpoint) => endpoint.id)
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
    expect(ids).toEqual(expect.arrayContaining(created.map((endpoint) => endpoint.id)))

    const page = await api.request('GET', `/webhook-endpoints?limit=2&offset=${total - 3}`)
    expect(page.body.map((endpoint: Endpoint) => endpoint.id)).toEqual(ids.slice(total - 3, total - 1))
    expect(page.headers.link).toContain(`offset=${total - 1}>; rel="next"`)
    const keyset = await api.request('GET', `/webhook-endpoints?limit=2&after_id=${created[0]!.id}`)
    expect(keyset.body.map((endpoint: Endpoint) => endpoint.id)).toEqual([created[1]!.id, created[2]!.id])
    expect((await api.request('GET', '/webhook-endpoints?limit=0')).status).toBe(422)
  })

  it('when each field is patched, then only that field changes and updated_at moves on', async () => {
    const endpoint = await createEndpoint({ events: ['order.paid'], description: 'first' })
    const patch = async (body: object) => {
      const response = await api.request('PATCH', `/webhook-endpoints/${endpoint.id}`, body)
      expect(response.status, response.text).toBe(200)
      return response.body as Endpoint
    }
    const moved = await patch({ url: 'https://other.example.com/hook' })
    expect(moved).toMatchObject({ url: 'https://other.example.com/hook', events: ['order.paid'], description: 'first' })
    expect(moved.updated_at >= endpoint.updated_at).toBe(true)
    expect(moved.created_at).toBe(endpoint.created_at)

    expect(await patch({ events: ['stock.low', 'stock.depleted'] })).toMatchObject({
      url: 'https://other.example.com/hook',
      events: ['stock.low', 'stock.depleted'],
    })
    expect((await patch({ events: ['*'] })).events).toEqual(['*'])
    expect((await patch({ description: 'second' })).description).toBe('second')
    expect((await patch({ description: null })).description).toBeNull()
    expect((await patch({ enabled: false })).enabled).toBe(false)
    expect((await patch({ enabled: true })).enabled).toBe(true)
    const unchanged = await patch({})
    expect(unchanged).toMatchObject({ url: 'https://other.example.com/hook', events: ['*'], enabled: true })
    expect((await storedEndpoint(endpoint.id)).secret).toBe(endpoint.secret)
  })

  it('when an endpoint the service disabled is enabled again, then its disabled_reason is cleared', async () => {
    const endpoint = await createEndpoint()
    // As the dispatcher leaves it after a 410.
    await api.app.db
      .updateTable('webhook_endpoints')
      .set({ enabled: 0, disabled_reason: 'The receiver answered 410 Gone' })
      .where('id', '=', endpoint.id)
      .execute()
    const disabled = await api.request('GET', `/webhook-endpoints/${endpoint.id}`)
    expect(disabled.body).toMatchObject({ enabled: false, disabled_reason: 'The receiver answered 410 Gone' })
    const described = await api.request('PATCH', `/webhook-endpoints/${endpoint.id}`, { description: 'still off' })
    expect(described.body).toMatchObject({ enabled: false, disabled_reason: 'The receiver answered 410 Gone' })
    const enabled = await api.request('PATCH', `/webhook-endpoints/${endpoint.id}`, { enabled: true })
    expect(enabled.status).toBe(200)
    expect(enabled.body).toMatchObject({ enabled: true, disabled_reason: null })
  })

  it('when a patch is invalid, then 422 and the endpoint is unchanged', async () => {
    const endpoint = await createEndpoint({ events: ['order.paid'] })
    for (const body of [
      { url: 'ftp://files.example.com/' },
      { events: [] },
      { events: ['nope'] },
      { events: ['*', 'order.paid'] },
      { enabled: 'yes' },
      { description: 'x'.repeat(501) },
    ]) {
      const response = await api.request('PATCH', `/webhook-endpoints/${endpoint.id}`, body)
      expect(response.status, JSON.stringify(body)).toBe(422)
      expect(detailOf(response)[0]!.loc[0]).toBe('body')
    }
    expect((await api.request('GET', `/webhook-endpoints/${endpoint.id}`)).body).toEqual({
      ...endpoint,
      secret: undefined,
    })
  })

  it('when an endpoint is deleted, then 204, it is gone with its deliveries and their attempts, and the others stay', async () => {
    const doomed = await createEndpoint()
    const kept = await createEndpoint()
    const deliveryId = await insertDelivery(doomed.id, { status: 'failed' })
    await api.app.db
      .insertInto('webhook_attempts')
      .values({
        delivery_id: deliveryId,
        attempt: 1,
        started_at: new Date().toISOString(),
        duration_ms: 5,
        status_code: 500,
        error: 'boom',
        response_excerpt: null,
      })
      .execute()
    const keptDelivery = await insertDelivery(kept.id, { status: 'succeeded' })

    const response = await api.request('DELETE', `/webhook-endpoints/${doomed.id}`)
    expect(response.status).toBe(204)
    expect(response.text).toBe('')
    expect((await api.request('GET', `/webhook-endpoints/${doomed.id}`)).status).toBe(404)
    expect((await api.request('DELETE', `/webhook-endpoints/${doomed.id}`)).body).toEqual({
      detail: 'Webhook endpoint not found',
    })
    expect((await api.request('GET', `/webhook-deliveries/${deliveryId}`)).status).toBe(404)
    expect(await storedDelivery(deliveryId)).toBeUndefined()
    const attempts = await api.app.db
      .selectFrom('webhook_attempts')
      .select('id')
      .where('delivery_id', '=', deliveryId)
      .execute()
    expect(attempts).toEqual([])

    expect((await api.request('GET', `/webhook-endpoints/${kept.id}`)).status).toBe(200)
    expect((await api.request('GET', `/webhook-deliveries/${keptDelivery}`)).status).toBe(200)
  })

  it('when an endpoint, a delivery or a path id does not exist, then 404 (or 422 for an id that is not one)', async () => {
    const missing = 987_654_321
    for (const [method, url, body] of [
      ['GET', `/webhook-endpoints/${missing}`, undefined],
      ['PATCH', `/webhook-endpoints/${missing}`, { enabled: true }],
      ['PATCH', `/webhook-endpoints/${missing}`, {}],
      ['DELETE', `/webhook-endpoints/${missing}`, undefined],
      ['POST', `/webhook-endpoints/${missing}/rotate-secret`, undefined],
      ['GET', `/webhook-endpoints/${missing}/deliveries`, undefined],
    ] as const) {
      const response = await api.request(method, url, body)
      expect(response.status, `${method} ${url}`).toBe(404)
      expect(response.body, `${method} ${url}`).toEqual({ detail: 'Webhook endpoint not found' })
    }
    for (const [method, url] of [
      ['GET', `/webhook-deliveries/${missing}`],
      ['POST', `/webhook-deliveries/${missing}/retry`],
    ] as const) {
      const response = await api.request(method, url)
      expect(response.status, `${method} ${url}`).toBe(404)
      expect(response.body, `${method} ${url}`).toEqual({ detail: 'Webhook delivery not found' })
    }
    expect((await api.request('GET', '/webhook-endpoints/abc')).status).toBe(422)
    expect((await api.request('GET', '/webhook-deliveries/0')).status).toBe(422)
  })
})

describe('rotating secrets', () => {
  it('when a secret is rotated, then a new one is shown once and the previous one keeps signing for 24 hours', async () => {
    const endpoint = await createEndpoint()
    const before = Date.now()
    const response = await api.request('POST', `/webhook-endpoints/${endpoint.id}/rotate-secret`)
    expect(response.status).toBe(200)
    const { secret, ...shown } = response.body as Endpoint
    expect(secret).toMatch(SECRET_FORMAT)
    expect(secret).not.toBe(endpoint.secret)
    expect(shown).toMatchObject({ id: endpoint.id, url: endpoint.url, events: endpoint.events, enabled: true })

    const stored = await storedEndpoint(endpoint.id)
    expect(stored.secret).toBe(secret)
    expect(stored.previous_secret).toBe(endpoint.secret)
    const expires = Date.parse(stored.previous_secret_expires_at!)
    expect(expires).toBeGreaterThanOrEqual(before + 24 * HOUR_MS - 1000)
    expect(expires).toBeLessThanOrEqual(Date.now() + 24 * HOUR_MS + 1000)
    expect((await findEndpointForDelivery(api.app.db, endpoint.id, undefined))?.secrets).toEqual([
      secret,
      endpoint.secret,
    ])

    const read = await api.request('GET', `/webhook-endpoints/${endpoint.id}`)
    expect(read.text).not.toContain(secret!.slice(6))
    expect(read.body.secret).toBeUndefined()
  })

  it('when the previous secret has expired, then only the current one signs; a second rotation keeps just the one it replaced', async () => {
    const endpoint = await createEndpoint()
    const second = (await api.request('POST', `/webhook-endpoints/${endpoint.id}/rotate-secret`)).body.secret as string
    const third = (await api.request('POST', `/webhook-endpoints/${endpoint.id}/rotate-secret`)).body.secret as string
    expect(new Set([endpoint.secret, second, third]).size).toBe(3)
    const found = await findEndpointForDelivery(api.app.db, endpoint.id, undefined)
    expect(found).toEqual({ url: endpoint.url, enabled: true, secrets: [third, second] })
    const dayAndAMinute = new Date(Date.now() + 24 * HOUR_MS + 60_000)
    expect((await findEndpointForDelivery(api.app.db, endpoint.id, undefined, dayAndAMinute))?.secrets).toEqual([third])
    expect(await findEndpointForDelivery(api.app.db, 987_654_321, undefined)).toBeUndefined()
  })
})

describe('deliveries', () => {
  it('when deliveries are listed, then they come oldest first, filtered by status, paged with X-Total-Count and Link', async () => {
    const endpoint = await createEndpoint()
    const other = await createEndpoint()
    const statuses: DeliveryStatus[] = ['pending', 'succeeded', 'failed', 'pending', 'succeeded', 'pending']
    const ids: number[] = []
    for (const status of statuses) ids.push(await insertDelivery(endpoint.id, { status }))
    await insertDelivery(other.id, { status: 'pending' })

    const all = await api.request('GET', `/webhook-endpoints/${endpoint.id}/deliveries`)
    expect(all.status).toBe(200)
    expect(all.headers['x-total-count']).toBe('6')
    expect(all.body.map((delivery: { id: number }) => delivery.id)).toEqual(ids)
    expect(all.body[2]).toEqual({
      id: ids[2],
      endpoint_id: endpoint.id,
      event_id: expect.stringMatching(/^evt_/),
      event_type: 'order.paid',
      status: 'failed',
      attempts: 1,
      next_attempt_at: null,
      last_status_code: 500,
      last_error: 'The receiver answered 500',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    })
    expect(all.body[0]).toMatchObject({
      status: 'pending',
      attempts: 0,
      next_attempt_at: FAR_FUTURE,
      last_status_code: null,
    })

    for (const status of ['pending', 'succeeded', 'failed'] as const) {
      const filtered = await api.request('GET', `/webhook-endpoints/${endpoint.id}/deliveries?status=${status}`)
      const expected = ids.filter((_, i) => statuses[i] === status)
      expect(
        filtered.body.map((delivery: { id: number }) => delivery.id),
        status,
      ).toEqual(expected)
      expect(filtered.headers['x-total-count'], status).toBe(String(expected.length))
    }

    const first = await api.request('GET', `/webhook-endpoints/${endpoint.id}/deliveries?status=pending&limit=2`)
    expect(first.body.map((delivery: { id: number }) => delivery.id)).toEqual([ids[0], ids[3]])
    expect(first.headers['x-total-count']).toBe('3')
    const next = /<([^>]+)>; rel="next"/.exec(String(first.headers.link))![1]!
    expect(next).toContain('status=pending')
    const second = await api.request('GET', next.replace(/^https?:\/\/[^/]+/, ''))
    expect(second.body.map((delivery: { id: number }) => delivery.id)).toEqual([ids[5]])
    expect(second.headers.link).toContain('rel="prev"')

    const keyset = await api.request('GET', `/webhook-endpoints/${endpoint.id}/deliveries?after_id=${ids[3]}`)
    expect(keyset.body.map((delivery: { id: number }) => delivery.id)).toEqual(ids.slice(4))

    const bad = await api.request('GET', `/webhook-endpoints/${endpoint.id}/deliveries?status=sent`)
    expect(bad.status).toBe(422)
    expect(detailOf(bad)[0]!.loc).toEqual(['query', 'status'])
  })

  it('when a delivery is read, then it comes with every attempt, first to last', async () => {
    const endpoint = await createEndpoint()
    const id = await insertDelivery(endpoint.id, { status: 'succeeded', attempts: 2 })
    const started = Date.now() - 60_000
    await api.app.db
      .insertInto('webhook_attempts')
      .values([
        {
          delivery_id: id,
          attempt: 1,
          started_at: new Date(started).toISOString(),
          duration_ms: 10_000,
          status_code: null,
          error: 'Timed out after 10000 ms',
          response_excerpt: null,
        },
        {
          delivery_id: id,
          attempt: 2,
          started_at: new Date(started + 30_000).toISOString(),
          duration_ms: 84,
          status_code: 204,
          error: null,
          response_excerpt: '',
        },
      ])
      .execute()
    const response = await api.request('GET', `/webhook-deliveries/${id}`)
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ id, endpoint_id: endpoint.id, status: 'succeeded', attempts: 2 })
    expect(response.body.attempt_log).toEqual([
      {
        attempt: 1,
        started_at: new Date(started).toISOString(),
        duration_ms: 10_000,
        status_code: null,
        error: 'Timed out after 10000 ms',
        response_excerpt: null,
      },
      {
        attempt: 2,
        started_at: new Date(started + 30_000).toISOString(),
        duration_ms: 84,
        status_code: 204,
        error: null,
        response_excerpt: '',
      },
    ])
    const fresh = await insertDelivery(endpoint.id)
    expect((await api.request('GET', `/webhook-deliveries/${fresh}`)).body.attempt_log).toEqual([])
  })

  it('when a failed delivery is retried, then 202, it is pending and due now, and the dispatcher is woken', async () => {
    const endpoint = await createEndpoint({ url: CLOSED_PORT_URL })
    const id = await insertDelivery(endpoint.id, { status: 'failed', attempts: 11 })
    let woken = 0
    api.app.outbox.onFannedOut(() => (woken += 1))
    const before = new Date().toISOString()
    const response = await api.request('POST', `/webhook-deliveries/${id}/retry`)
    const after = new Date().toISOString()
    expect(response.status).toBe(202)
    expect(response.body).toMatchObject({ id, endpoint_id: endpoint.id, status: 'pending', attempts: 11 })
    expect(response.body.next_attempt_at >= before && response.body.next_attempt_at <= after).toBe(true)
    expect(response.body.updated_at).toBe(response.body.next_attempt_at)
    expect(woken).toBeGreaterThanOrEqual(1)
  })

  it('when a succeeded delivery is retried, then it is sent again: pending and due now', async () => {
    const endpoint = await createEndpoint({ url: CLOSED_PORT_URL })
    const id = await insertDelivery(endpoint.id, { status: 'succeeded' })
    const response = await api.request('POST', `/webhook-deliveries/${id}/retry`)
    expect(response.status).toBe(202)
    expect(response.body).toMatchObject({ status: 'pending', next_attempt_at: expect.any(String) })
    expect(Date.parse(response.body.next_attempt_at)).toBeLessThanOrEqual(Date.now())
  })

  it('when a delivery whose attempt is in flight is retried, then its lease stays; an expired lease is cleared', async () => {
    const endpoint = await createEndpoint({ url: CLOSED_PORT_URL })
    const leaseUntil = new Date(Date.now() + HOUR_MS).toISOString()
    const inFlight = await insertDelivery(endpoint.id, { lease_until: leaseUntil })
    expect((await api.request('POST', `/webhook-deliveries/${inFlight}/retry`)).status).toBe(202)
    expect(await storedDelivery(inFlight)).toMatchObject({ status: 'pending', lease_until: leaseUntil })

    const expiredLease = '2001-01-01T00:00:00.000Z'
    const abandoned = await insertDelivery(endpoint.id, { status: 'failed', lease_until: expiredLease })
    expect((await api.request('POST', `/webhook-deliveries/${abandoned}/retry`)).status).toBe(202)
    // Cleared (a dispatcher may since have claimed it anew, with a lease of its own).
    expect((await storedDelivery(abandoned))?.lease_until).not.toBe(expiredLease)
  })

  it('when a delivery of a disabled endpoint is retried, then 409 and it is unchanged', async () => {
    const endpoint = await createEndpoint({ url: CLOSED_PORT_URL })
    const id = await insertDelivery(endpoint.id, { status: 'failed' })
    await api.request('PATCH', `/webhook-endpoints/${endpoint.id}`, { enabled: false })
    const before = await storedDelivery(id)
    const response = await api.request('POST', `/webhook-deliveries/${id}/retry`)
    expect(response.status).toBe(409)
    expect(response.body).toEqual({ detail: 'Webhook endpoint is disabled' })
    expect(await storedDelivery(id)).toEqual(before)
  })
})

describe('webhook endpoints in production', () => {
  const PRIVATE_URLS = [
    'http://127.0.0.1/',
    'http://localhost/',
    'http://10.1.2.3/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/',
    'http://192.168.0.10:8080/hooks',
    'http://[::ffff:127.0.0.1]/',
    'http://2130706433/',
    'http://0x7f.1/',
  ]
  const production = { NODE_ENV: 'production', WEBHOOK_SECRET: 'a-production-secret-of-32-bytes!' }

  it('when a URL resolves to a loopback, private or link-local address, then it is refused with 422, on create and on patch', async () => {
    const prod = await startTestApp(production)
    try {
      for (const url of PRIVATE_URLS) {
        const response = await prod.request('POST', '/webhook-endpoints', { url })
        expect(response.status, url).toBe(422)
        expect(detailOf(response), url).toEqual([
          {
            loc: ['body', 'url'],
            msg: expect.stringContaining('loopback, private or link-local'),
            type: 'value_error',
          },
        ])
      }
      const unresolvable = await prod.request('POST', '/webhook-endpoints', { url: 'https://hooks.invalid/in' })
      expect(unresolvable.status).toBe(422)
      expect(detailOf(unresolvable)[0]!.msg).toBe('URL host hooks.invalid does not resolve')

      // A public address is accepted (an IP literal: no DNS needed).
      const endpoint = await createEndpoint({ url: 'https://93.184.215.14/hooks' }, prod)
      const patched = await prod.request('PATCH', `/webhook-endpoints/${endpoint.id}`, { url: 'http://10.0.0.1/' })
      expect(patched.status).toBe(422)
      expect((await prod.request('GET', `/webhook-endpoints/${endpoint.id}`)).body.url).toBe(
        'https://93.184.215.14/hooks',
      )
      expect((await prod.request('GET', '/webhook-endpoints')).body).toHaveLength(1)
    } finally {
      await prod.close()
    }
  })

  it('when WEBHOOK_ALLOW_PRIVATE_URLS=true, then private URLs are accepted in production', async () => {
    const prod = await startTestApp({ ...production, WEBHOOK_ALLOW_PRIVATE_URLS: 'true' })
    try {
      for (const url of PRIVATE_URLS.slice(0, 5)) expect((await createEndpoint({ url }, prod)).url).toBe(url)
    } finally {
      await prod.close()
    }
  })
})

describe('secrets at rest', () => {
  const ENCRYPTION_KEY = 'a-long-random-string-kept-outside-the-database'

  it('when SECRETS_ENCRYPTION_KEY is set, then secrets are stored sealed, rotated secrets too, and open with the key', async () => {
    const sealed = await startTestApp({ SECRETS_ENCRYPTION_KEY: ENCRYPTION_KEY })
    try {
      const key = encryptionKey(ENCRYPTION_KEY)
      const endpoint = await createEndpoint({}, sealed)
      const stored = await storedEndpoint(endpoint.id, sealed)
      expect(stored.secret.startsWith('enc:v1:')).toBe(true)
      expect(stored.secret).not.toContain(endpoint.secret!.slice('whsec_'.length))
      expect(openSecret(stored.secret, key)).toBe(endpoint.secret)

      const rotated = (await sealed.request('POST', `/webhook-endpoints/${endpoint.id}/rotate-secret`)).body.secret
      const after = await storedEndpoint(endpoint.id, sealed)
      expect(after.secret.startsWith('enc:v1:')).toBe(true)
      expect(after.previous_secret!.startsWith('enc:v1:')).toBe(true)
      expect(openSecret(after.secret, key)).toBe(rotated)
      expect(openSecret(after.previous_secret!, key)).toBe(endpoint.secret)
      expect((await findEndpointForDelivery(sealed.app.db, endpoint.id, key))?.secrets).toEqual([
        rotated,
        endpoint.secret,
      ])
    } finally {
      await sealed.close()
    }
  })

  it('when SECRETS_ENCRYPTION_KEY is set and a create or rotation is sent with an Idempotency-Key, then its recorded answer is sealed too and a retry still gets the secret', async () => {
    const sealed = await startTestApp({ SECRETS_ENCRYPTION_KEY: ENCRYPTION_KEY })
    try {
      const headers = { 'idempotency-key': 'create-sealed-endpoint' }
      const body = { url: 'https://hooks.example.com/sealed' }
      const first = await sealed.request('POST', '/webhook-endpoints', body, headers)
      expect(first.status).toBe(201)
      const rotateHeaders = { 'idempotency-key': 'rotate-sealed-endpoint' }
      const rotated = await sealed.request(
        'POST',
        `/webhook-endpoints/${first.body.id}/rotate-secret`,
        undefined,
        rotateHeaders,
      )
      expect(rotated.status).toBe(200)
      const records = await sealed.app.db.selectFrom('idempotency_keys').select(['key', 'response_body']).execute()
      expect(records).toHaveLength(2)
      for (const record of records) {
        expect(record.response_body!.startsWith('enc:v1:'), record.key).toBe(true)
        expect(record.response_body).not.toContain(first.body.secret.slice('whsec_'.length))
        expect(record.response_body).not.toContain(rotated.body.secret.slice('whsec_'.length))
      }
      const replayed = await sealed.request('POST', '/webhook-endpoints', body, headers)
      expect(replayed.status).toBe(201)
      expect(replayed.headers['idempotent-replayed']).toBe('true')
      expect(replayed.body).toEqual(first.body)
      const rotatedAgain = await sealed.request(
        'POST',
        `/webhook-endpoints/${first.body.id}/rotate-secret`,
        undefined,
        rotateHeaders,
      )
      expect(rotatedAgain.body.secret).toBe(rotated.body.secret)
    } finally {
      await sealed.close()
    }
  })

  it('when the key is introduced after secrets were stored plainly, then a rotation seals the previous secret too', async () => {
    const plain = await startTestApp()
    try {
      const endpoint = await createEndpoint({}, plain)
      const sealed = await startTestApp({ SECRETS_ENCRYPTION_KEY: ENCRYPTION_KEY }, { databaseUrl: plain.databaseUrl })
      try {
        const key = encryptionKey(ENCRYPTION_KEY)
        // Plain secrets stay readable under the key.
        expect((await findEndpointForDelivery(sealed.app.db, endpoint.id, key))?.secrets).toEqual([endpoint.secret])
        const rotated = await sealed.request('POST', `/webhook-endpoints/${endpoint.id}/rotate-secret`)
        expect(rotated.status).toBe(200)
        const stored = await storedEndpoint(endpoint.id, sealed)
        expect(stored.previous_secret!.startsWith('enc:v1:')).toBe(true)
        expect(openSecret(stored.previous_secret!, key)).toBe(endpoint.secret)
      } finally {
        await sealed.close()
      }
    } finally {
      await plain.close()
    }
  })
})

describe('access', () => {
  const KEYS = { reader: 'reader-key-0000000001', admin: 'admin-key-0000000003', shop: 'shop-key-00000000002' }
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` })

  it('when API_KEYS are set, then a read key lists and reads but every change needs an admin key (403 Insufficient scope)', async () => {
    const keyed = await startTestApp({
      API_KEYS: `console:read:${KEYS.reader}, storefront:orders:${KEYS.shop}, backoffice:admin:${KEYS.admin}`,
    })
    try {
      const created = await keyed.request(
        'POST',
        '/webhook-endpoints',
        { url: 'https://hooks.example.com/k' },
        bearer(KEYS.admin),
      )
      expect(created.status).toBe(201)
      const id = created.body.id as number
      for (const path of ['/webhook-endpoints', `/webhook-endpoints/${id}`, `/webhook-endpoints/${id}/deliveries`]) {
        expect((await keyed.request('GET', path, undefined, bearer(KEYS.reader))).status, path).toBe(200)
      }
      for (const key of [KEYS.reader, KEYS.shop]) {
        for (const [method, url, body] of [
          ['POST', '/webhook-endpoints', { url: 'https://hooks.example.com/r' }],
          ['PATCH', `/webhook-endpoints/${id}`, { enabled: false }],
          ['DELETE', `/webhook-endpoints/${id}`, undefined],
          ['POST', `/webhook-endpoints/${id}/rotate-secret`, undefined],
          ['POST', '/webhook-deliveries/1/retry', undefined],
        ] as const) {
          const response = await keyed.request(method, url, body, bearer(key))
          expect(response.status, `${method} ${url}`).toBe(403)
          expect(response.body).toEqual({ detail: 'Insufficient scope' })
        }
      }
      expect((await keyed.request('GET', '/webhook-endpoints')).status).toBe(401)
      const after = await keyed.request('GET', `/webhook-endpoints/${id}`, undefined, bearer(KEYS.admin))
      expect(after.body).toMatchObject({ enabled: true })
      expect((await keyed.request('GET', '/webhook-endpoints', undefined, bearer(KEYS.admin))).body).toHaveLength(1)
    } finally {
      await keyed.close()
    }
  })
})
