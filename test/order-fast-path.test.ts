import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OrderRow } from '../src/db/types.js'
import * as orders from '../src/modules/orders/service.js'
import { findLines, findOrder } from '../src/modules/orders/repository.js'
import { startTestApp, type TestApp } from './helpers/app.js'
import { buildProduct, createOrder, stockOf } from './helpers/builders.js'
import { listen } from './helpers/http.js'
import { sample } from './helpers/metrics.js'

/*
 * A one-line order on PostgreSQL is placed by one statement (products repository,
 * placeOneLineOrder); on SQLite, and whenever that statement places nothing, by the usual
 * transaction. This file runs on both databases: every answer, event, movement and metric below
 * is the same on both paths. The statements each path sends, and a reader racing the one
 * statement, are in test/postgres/one-statement-order.test.ts.
 */

let api: TestApp
let send: Awaited<ReturnType<typeof listen>>['send']
beforeAll(async () => {
  api = await startTestApp()
  send = (await listen(api.app)).send
})
afterAll(() => api.close())

async function createProductWith(body: Record<string, unknown>) {
  const response = await api.request('POST', '/products', { ...buildProduct(), ...body })
  expect(response.status, response.text).toBe(201)
  return response.body as { id: number; stock: number; price: number }
}

interface StoredEvent {
  id: string
  type: string
  payload: string
}

/** The events stored since `afterSeq`, oldest first, as stored (the payload's text). */
async function eventsAfter(afterSeq: number): Promise<(StoredEvent & { seq: number })[]> {
  const rows = await api.app.db
    .selectFrom('events')
    .select(['seq', 'id', 'type', 'payload'])
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .execute()
  return rows.map((row) => ({ ...row, seq: Number(row.seq) }))
}

async function lastSeq(): Promise<number> {
  const row = await api.app.db
    .selectFrom('events')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .executeTakeFirst()
  return Number(row?.seq ?? 0)
}

/** What `action` wrote to the events table, oldest first. */
async function eventsDuring(action: () => Promise<unknown>): Promise<StoredEvent[]> {
  const since = await lastSeq()
  await action()
  return eventsAfter(since)
}

const typesOf = (events: StoredEvent[]) => events.map((event) => event.type).sort()

/** What the usual path writes for this order: eventOf('order.created', toOrder(row, lines), created_at). */
async function payloadOfUsualPath(orderId: number, eventId: string): Promise<string> {
  const row = (await findOrder(api.app.db, orderId)) as OrderRow
  const data = orders.toOrder(row, await findLines(api.app.db, [orderId]))
  return JSON.stringify({ id: eventId, type: 'order.created', timestamp: row.created_at, data })
}

describe('a one-line order, on either path', () => {
  it.each([
    ['whole', 10, 3],
    ['one decimal', 0.5, 7],
    ['one decimal, more units', 12.5, 2],
    ['two decimals', 9.99, 3],
    ['one cent', 0.01, 1],
    ['two decimals, large', 1_234_567_890.12, 3],
    ['the largest price, 1000 units', 9_999_999_999.99, 1000],
    ['the largest price', 10_000_000_000, 99],
  ])(
    'when placed at a %s price (%d x %d), then its order.created payload is byte for byte the one the usual path writes, and carries the answer',
    async (_, price, quantity) => {
      const product = await createProductWith({ price, stock: 5000 })
      let answer: { status: number; body: { id: number }; text: string } | undefined
      const events = await eventsDuring(async () => {
        answer = await api.request('POST', '/orders', { product_id: product.id, quantity })
      })
      expect(answer!.status, answer!.text).toBe(201)
      expect(events.map((event) => event.type)).toEqual(['order.created'])
      const [event] = events
      expect(event!.payload).toBe(await payloadOfUsualPath(answer!.body.id, event!.id))
      expect(JSON.parse(event!.payload).data).toEqual(answer!.body)
      expect(answer!.body).toMatchObject({ unit_price: price, total: fromCentsOf(price, quantity) })
    },
  )

  it('when placed in the items form, with a hold, then its payload is the usual one too and the answer is the same shape', async () => {
    const product = await createProductWith({ price: 7.3, stock: 50 })
    let answer: { status: number; body: { id: number; expires_at: string | null; items: unknown[] } } | undefined
    const events = await eventsDuring(async () => {
      answer = await api.request('POST', '/orders', {
        items: [{ product_id: product.id, quantity: 4 }],
        expires_in_seconds: 600,
      })
    })
    expect(answer!.status).toBe(201)
    expect(answer!.body).toMatchObject({
      product_id: product.id,
      quantity: 4,
      unit_price: 7.3,
      total: 29.2,
      status: 'PENDING',
      cancel_reason: null,
      items: [{ product_id: product.id, quantity: 4, unit_price: 7.3, total: 29.2 }],
    })
    expect(answer!.body.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(events[0]!.payload).toBe(await payloadOfUsualPath(answer!.body.id, events[0]!.id))
    expect((await api.request('GET', `/orders/${answer!.body.id}`)).body).toEqual(answer!.body)
  })

  it('when placed with an API key, then its ledger movement is order_placed, -quantity, the stock after, the order and the actor', async () => {
    const keyed = await startTestApp({ API_KEYS: 'clerk:admin:secret-clerk-key-0123456789' })
    try {
      const headers = { authorization: 'Bearer secret-clerk-key-0123456789' }
      const product = (await keyed.request('POST', '/products', buildProduct({ stock: 9 }), headers)).body
      const order = (await keyed.request('POST', '/orders', { product_id: product.id, quantity: 4 }, headers)).body
      const movements = (await keyed.request('GET', `/products/${product.id}/stock-movements`, undefined, headers)).body
      expect(movements).toMatchObject([
        { reason: 'initial', delta: 9, stock_after: 9 },
        { reason: 'order_placed', delta: -4, stock_after: 5, order_id: order.id, actor: 'clerk', reference: null },
      ])
      expect(movements[1].created_at).toBe(order.created_at)
    } finally {
      await keyed.close()
    }
  })

  it('when an order crosses the low-stock line, then stock.low is written with it; when one takes the last units, stock.depleted', async () => {
    const product = await createProductWith({ stock: 6, low_stock_threshold: 3 })
    expect(typesOf(await eventsDuring(() => createOrder(api, product.id, 2)))).toEqual(['order.created'])
    const low = await eventsDuring(() => createOrder(api, product.id, 2))
    expect(typesOf(low)).toEqual(['order.created', 'stock.low'])
    expect(JSON.parse(low.find((e) => e.type === 'stock.low')!.payload).data).toMatchObject({ stock: 2 })
    expect(typesOf(await eventsDuring(() => createOrder(api, product.id, 1)))).toEqual(['order.created'])
    const depleted = await eventsDuring(() => createOrder(api, product.id, 1))
    expect(typesOf(depleted)).toEqual(['order.created', 'stock.depleted'])

    const noThreshold = await createProductWith({ stock: 2 })
    const both = await eventsDuring(() => createOrder(api, noThreshold.id, 2))
    expect(typesOf(both)).toEqual(['order.created', 'stock.depleted'])
    const lowAndDepleted = await createProductWith({ stock: 4, low_stock_threshold: 4 })
    expect(typesOf(await eventsDuring(() => createOrder(api, lowAndDepleted.id, 4)))).toEqual([
      'order.created',
      'stock.depleted',
      'stock.low',
    ])
    for (const id of [product.id, noThreshold.id, lowAndDepleted.id]) expect(await stockOf(api, id)).toBe(0)
  })

  it('when an order is refused (too little stock, no product, a deleted one, a total too large), then the answers are as ever and nothing is written', async () => {
    const product = await createProductWith({ stock: 2 })
    const expensive = await createProductWith({ stock: 1000, price: 10_000_000_000 })
    const deleted = await createProductWith({ stock: 5 })
    expect((await api.request('DELETE', `/products/${deleted.id}`)).status).toBe(204)
    const metricsBefore = (await api.request('GET', '/metrics')).text
    const answers: { status: number; body: unknown }[] = []
    const events = await eventsDuring(async () => {
      for (const body of [
        { product_id: product.id, quantity: 3 },
        { items: [{ product_id: product.id, quantity: 3 }] },
        { product_id: 999_999, quantity: 1 },
        { product_id: deleted.id, quantity: 1 },
        { product_id: expensive.id, quantity: 1000, expires_in_seconds: 60 },
      ]) {
        const { status, body: answer } = await api.request('POST', '/orders', body)
        answers.push({ status, body: answer })
      }
      const { status, body } = await api.request('POST', '/orders', {
        items: [{ product_id: expensive.id, quantity: 1000 }],
      })
      answers.push({ status, body })
    })
    const tooLarge = (field: string) => ({
      status: 422,
      body: {
        detail: [{ loc: ['body', field], msg: 'The order total would exceed 9999999999999.99', type: 'value_error' }],
      },
    })
    expect(answers).toEqual([
      { status: 409, body: { detail: 'Insufficient stock. Available: 2, Requested: 3' } },
      { status: 409, body: { detail: 'Insufficient stock. Available: 2, Requested: 3' } },
      { status: 404, body: { detail: 'Product not found' } },
      { status: 404, body: { detail: 'Product not found' } },
      tooLarge('quantity'),
      tooLarge('items'),
    ])
    expect(events).toEqual([])
    expect(await stockOf(api, product.id)).toBe(2)
    expect(await stockOf(api, expensive.id)).toBe(1000)
    const metricsAfter = (await api.request('GET', '/metrics')).text
    const rejected = 'orders_rejected_insufficient_stock_total'
    expect(sample(metricsAfter, rejected) - sample(metricsBefore, rejected)).toBe(2)
    expect(sample(metricsAfter, 'orders_created_total')).toBe(sample(metricsBefore, 'orders_created_total'))
  })

  it('when an order is sent twice with one Idempotency-Key, then it is placed once and the second answer is the first, replayed', async () => {
    const product = await createProductWith({ stock: 10, price: 4.2 })
    const headers = { 'idempotency-key': `fast-path-${product.id}` }
    const body = { product_id: product.id, quantity: 3 }
    let first: Awaited<ReturnType<TestApp['request']>> | undefined
    let again: Awaited<ReturnType<TestApp['request']>> | undefined
    const events = await eventsDuring(async () => {
      first = await api.request('POST', '/orders', body, headers)
      again = await api.request('POST', '/orders', body, headers)
    })
    expect(first!.status).toBe(201)
    expect(again!.status).toBe(201)
    expect(again!.text).toBe(first!.text)
    expect(again!.headers['idempotent-replayed']).toBe('true')
    expect(events.map((event) => event.type)).toEqual(['order.created'])
    expect(events[0]!.payload).toBe(await payloadOfUsualPath(first!.body.id, events[0]!.id))
    expect(await stockOf(api, product.id)).toBe(7)
    const movements = (await api.request('GET', `/products/${product.id}/stock-movements`)).body
    expect(movements.map((m: { reason: string }) => m.reason)).toEqual(['initial', 'order_placed'])

    // A refusal under a key is recorded and replayed as well.
    const refusedHeaders = { 'idempotency-key': `fast-path-refused-${product.id}` }
    const refused = await api.request('POST', '/orders', { product_id: product.id, quantity: 8 }, refusedHeaders)
    const replayed = await api.request('POST', '/orders', { product_id: product.id, quantity: 8 }, refusedHeaders)
    expect(refused.status).toBe(409)
    expect(replayed.text).toBe(refused.text)
    expect(replayed.headers['idempotent-replayed']).toBe('true')
  })

  it('when 120 one-unit orders race for 60 units (real HTTP), then exactly 60 are placed, one stock.low and one stock.depleted are written, and the books balance', async () => {
    const product = await createProductWith({ stock: 60, low_stock_threshold: 10 })
    const since = await lastSeq()
    const responses = await Promise.all(
      Array.from({ length: 120 }, () => send('POST', '/orders', { product_id: product.id, quantity: 1 })),
    )
    const statuses = responses.map((response) => response.status)
    expect(statuses.filter((status) => status === 201)).toHaveLength(60)
    expect(statuses.filter((status) => status === 409)).toHaveLength(60)
    expect(await stockOf(api, product.id)).toBe(0)
    const stockEvents = (await eventsAfter(since)).filter((event) => event.type.startsWith('stock.'))
    expect(typesOf(stockEvents)).toEqual(['stock.depleted', 'stock.low'])
    expect(stockEvents.map((event) => JSON.parse(event.payload).data.id)).toEqual([product.id, product.id])
    const created = (await eventsAfter(since)).filter((event) => event.type === 'order.created')
    expect(created).toHaveLength(60)
    const reconciliation = await api.request('GET', '/inventory/reconciliation')
    expect(reconciliation.body.mismatches).toEqual([])
    const movements = (await api.request('GET', `/products/${product.id}/stock-movements?limit=1000`)).body as {
      delta: number
      stock_after: number
    }[]
    expect(movements).toHaveLength(61)
    // Each movement's stock_after follows from the ones before it, in the ledger's order.
    let running = 0
    for (const movement of movements) {
      running += movement.delta
      expect(movement.stock_after).toBe(running)
    }
  })

  it('when a product was read (and cached) before an order, then the next read after the 201 shows the new stock', async () => {
    const product = await createProductWith({ stock: 30 })
    let stock = 30
    for (const quantity of [1, 2, 3]) {
      await cached(product.id, stock)
      expect((await api.request('POST', '/orders', { product_id: product.id, quantity })).status).toBe(201)
      stock -= quantity
      expect((await api.request('GET', `/products/${product.id}`)).body.stock).toBe(stock)
    }
  })
})

/**
 * Reads the product until a read is answered from the catalogue cache (on PostgreSQL, the
 * notification of an earlier write may drop what the first read kept), with the stock expected.
 */
async function cached(id: number, stock: number): Promise<void> {
  const { stats } = api.app.catalogueCache
  for (let i = 0; i < 100; i += 1) {
    const hits = stats.productHits
    expect((await api.request('GET', `/products/${id}`)).body.stock).toBe(stock)
    if (stats.productHits > hits) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`product ${id} was never answered from the cache`)
}

/** fromCents(unit cents x quantity): the total as the API shows it. */
function fromCentsOf(price: number, quantity: number): number {
  return (Math.round(price * 100) * quantity) / 100
}
