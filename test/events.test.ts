import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { buildProduct, createOrder, createProduct, setOrderStatus } from './helpers/builders.js'
import { signWebhook } from './helpers/webhooks.js'

/*
 * The outbox: every state change writes its event in the same transaction (GET /events shows
 * them), and a refused or rolled-back change writes none.
 */

let api: TestApp
beforeAll(async () => {
  api = await startTestApp()
})
afterAll(() => api.close())

interface Event {
  id: string
  type: string
  timestamp: string
  data: Record<string, unknown> & { id: number }
}

/** Every event so far, oldest first, paged through with after_id. */
async function allEvents(app: TestApp = api): Promise<Event[]> {
  const events: Event[] = []
  let url = '/events?limit=1000'
  for (;;) {
    const response = await app.request('GET', url)
    expect(response.status).toBe(200)
    events.push(...(response.body as Event[]))
    const next = /<([^>]+)>; rel="next"/.exec(String(response.headers.link ?? ''))
    if (!next) return events
    url = next[1]!
  }
}

/** What happens during `action`: the events it wrote, oldest first. */
async function eventsDuring(action: () => Promise<unknown>): Promise<Event[]> {
  const before = new Set((await allEvents()).map((event) => event.id))
  await action()
  return (await allEvents()).filter((event) => !before.has(event.id))
}

const typesOf = (events: Event[]) => events.map((event) => event.type)

async function createProductWith(body: Record<string, unknown>) {
  const response = await api.request('POST', '/products', { ...buildProduct(), ...body })
  expect(response.status, response.text).toBe(201)
  return response.body as { id: number; stock: number; low_stock_threshold: number | null }
}

const pay = (orderId: number) => {
  const body = JSON.stringify({ event: 'payment.succeeded', order_id: orderId, payment_id: `pay_evt_${orderId}` })
  return api.request('POST', '/webhooks/payment', body, {
    'content-type': 'application/json',
    'x-webhook-signature': signWebhook(body),
  })
}

describe('each change is an event', () => {
  it('when a product is created, updated and deleted, then product.created, product.updated and product.deleted carry it as GET showed it', async () => {
    let id = 0
    const created = await eventsDuring(async () => (id = (await createProduct(api, { stock: 5 })).id))
    expect(typesOf(created)).toEqual(['product.created'])
    expect(created[0]!.data).toEqual((await api.request('GET', `/products/${id}`)).body)

    const updated = await eventsDuring(() => api.request('PATCH', `/products/${id}`, { name: 'Renamed mug' }))
    expect(typesOf(updated)).toEqual(['product.updated'])
    const shown = (await api.request('GET', `/products/${id}`)).body
    expect(updated[0]!.data).toEqual(shown)

    const deleted = await eventsDuring(() => api.request('DELETE', `/products/${id}`))
    expect(typesOf(deleted)).toEqual(['product.deleted'])
    expect(deleted[0]!.data).toMatchObject({ id, name: 'Renamed mug' })
  })

  it('when an order is placed, paid and shipped, then order.created, order.paid and order.shipped carry it as GET showed it', async () => {
    const product = await createProduct(api, { stock: 10, price: 12.5 })
    let orderId = 0
    const placed = await eventsDuring(async () => (orderId = (await createOrder(api, product.id, 2)).id))
    expect(typesOf(placed)).toEqual(['order.created'])
    expect(placed[0]!.data).toMatchObject({ id: orderId, status: 'PENDING', total: 25, items: [{ quantity: 2 }] })

    const paid = await eventsDuring(async () => expect((await pay(orderId)).status).toBe(200))
    expect(typesOf(paid)).toEqual(['order.paid'])
    expect(paid[0]!.data).toMatchObject({ id: orderId, status: 'PAID' })

    const shipped = await eventsDuring(() => setOrderStatus(api, orderId, 'SHIPPED'))
    expect(typesOf(shipped)).toEqual(['order.shipped'])
    expect(shipped[0]!.data).toEqual((await api.request('GET', `/orders/${orderId}`)).body)
  })

  it('when an order is canceled by PUT or DELETE, then order.canceled carries cancel_reason "requested"', async () => {
    const product = await createProduct(api, { stock: 10 })
    const first = await createOrder(api, product.id)
    const second = await createOrder(api, product.id)
    const canceled = await eventsDuring(async () => {
      await setOrderStatus(api, first.id, 'CANCELED')
      expect((await api.request('DELETE', `/orders/${second.id}`)).status).toBe(204)
    })
    expect(typesOf(canceled)).toEqual(['order.canceled', 'order.canceled'])
    expect(canceled.map((event) => [event.data.id, event.data.cancel_reason])).toEqual([
      [first.id, 'requested'],
      [second.id, 'requested'],
    ])
  })

  it('when an order expires, then order.canceled carries cancel_reason "expired"', async () => {
    const product = await createProduct(api, { stock: 10 })
    const order = (
      await api.request('POST', '/orders', { product_id: product.id, quantity: 1, expires_in_seconds: 60 })
    ).body as { id: number }
    const expired = await eventsDuring(async () => {
      await api.app.db
        .updateTable('orders')
        .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
        .where('id', '=', order.id)
        .execute()
      await api.app.orderSweeper.sweepNow()
    })
    expect(typesOf(expired)).toEqual(['order.canceled'])
    expect(expired[0]!.data).toMatchObject({ id: order.id, status: 'CANCELED', cancel_reason: 'expired' })
  })

  it('when an event is written, then its id is evt_ and unique and its timestamp is the change time', async () => {
    const events = await eventsDuring(() => createProduct(api))
    expect(events[0]!.id).toMatch(/^evt_[A-Za-z0-9_-]+$/)
    expect(events[0]!.timestamp).toBe(events[0]!.data.created_at)
    const ids = (await allEvents()).map((event) => event.id)
    expect(new Set(ids).size).toBe(ids.length)
  })
})

describe('stock events', () => {
  it('when low_stock_threshold is given, then products show it (null by default) and it can be changed by PUT and PATCH', async () => {
    expect((await createProductWith({})).low_stock_threshold).toBeNull()
    const product = await createProductWith({ low_stock_threshold: 3 })
    expect(product.low_stock_threshold).toBe(3)
    expect((await api.request('PATCH', `/products/${product.id}`, { low_stock_threshold: 5 })).body).toMatchObject({
      low_stock_threshold: 5,
    })
    expect((await api.request('PUT', `/products/${product.id}`, { low_stock_threshold: null })).body).toMatchObject({
      low_stock_threshold: null,
    })
    for (const bad of [-1, 1.5, '3']) {
      const response = await api.request('POST', '/products', { ...buildProduct(), low_stock_threshold: bad })
      expect(response.status, JSON.stringify(bad)).toBe(422)
    }
  })

  it('when an order takes the stock below the threshold and to 0, then stock.low and stock.depleted follow it; a cancel gives stock.replenished', async () => {
    const product = await createProductWith({ stock: 5, low_stock_threshold: 3 })
    const aboveLine = await eventsDuring(() => createOrder(api, product.id, 2))
    expect(typesOf(aboveLine)).toEqual(['order.created'])

    const belowLine = await eventsDuring(() => createOrder(api, product.id, 1))
    expect(typesOf(belowLine).sort()).toEqual(['order.created', 'stock.low'])
    expect(belowLine.find((e) => e.type === 'stock.low')!.data).toMatchObject({ id: product.id, stock: 2 })

    let last = 0
    const depleted = await eventsDuring(async () => (last = (await createOrder(api, product.id, 2)).id))
    expect(typesOf(depleted).sort()).toEqual(['order.created', 'stock.depleted'])

    const replenished = await eventsDuring(() => setOrderStatus(api, last, 'CANCELED'))
    expect(typesOf(replenished).sort()).toEqual(['order.canceled', 'stock.replenished'])
    expect(replenished.find((e) => e.type === 'stock.replenished')!.data).toMatchObject({ stock: 2 })
  })

  it('when an adjustment or a PUT of stock crosses a line, then its stock event is written with it', async () => {
    const product = await createProductWith({ stock: 4, low_stock_threshold: 2 })
    const damaged = await eventsDuring(() =>
      api.request('POST', `/products/${product.id}/stock-adjustments`, { delta: -4, reason: 'damaged' }),
    )
    expect(typesOf(damaged)).toEqual(['stock.low', 'stock.depleted'])
    const received = await eventsDuring(() =>
      api.request('POST', `/products/${product.id}/stock-adjustments`, { delta: 10, reason: 'received' }),
    )
    expect(typesOf(received)).toEqual(['stock.replenished'])
    const put = await eventsDuring(() => api.request('PUT', `/products/${product.id}`, { stock: 0 }))
    expect(typesOf(put)).toEqual(['product.updated', 'stock.low', 'stock.depleted'])
    const noThreshold = await createProductWith({ stock: 3 })
    const noLow = await eventsDuring(() => createOrder(api, noThreshold.id, 1))
    expect(typesOf(noLow)).toEqual(['order.created'])
  })
})

describe('no event without its change', () => {
  it('when orders, adjustments and product writes are refused, then no event is written', async () => {
    const product = await createProduct(api, { stock: 2 })
    const refused = await eventsDuring(async () => {
      expect((await api.request('POST', '/orders', { product_id: product.id, quantity: 3 })).status).toBe(409)
      expect((await api.request('POST', '/orders', { product_id: 999_999, quantity: 1 })).status).toBe(404)
      expect((await api.request('POST', '/orders', { product_id: product.id, quantity: 0 })).status).toBe(422)
      expect(
        (
          await api.request('POST', '/orders', {
            items: [
              { product_id: product.id, quantity: 1 },
              { product_id: 999_999, quantity: 1 },
            ],
          })
        ).status,
      ).toBe(404)
      expect(
        (await api.request('POST', `/products/${product.id}/stock-adjustments`, { delta: -5, reason: 'damaged' }))
          .status,
      ).toBe(409)
      expect((await api.request('POST', '/products', { ...buildProduct(), price: -1 })).status).toBe(422)
      const order = await createOrder(api, product.id)
      await setOrderStatus(api, order.id, 'CANCELED')
      expect((await pay(order.id)).status).toBe(409)
      expect((await api.request('PUT', `/orders/${order.id}`, { status: 'SHIPPED' })).status).toBe(400)
    })
    // Only the order that was placed and canceled on purpose.
    expect(typesOf(refused)).toEqual(['order.created', 'order.canceled'])
  })

  it('when an order is rolled back after its stock was taken (its total is too large), then neither it nor a stock event exists', async () => {
    const product = await createProductWith({ stock: 1000, price: 10_000_000_000, low_stock_threshold: 999 })
    const rolledBack = await eventsDuring(async () => {
      const response = await api.request('POST', '/orders', { product_id: product.id, quantity: 1000 })
      expect(response.status).toBe(422)
    })
    expect(rolledBack).toEqual([])
    expect((await api.request('GET', `/products/${product.id}`)).body.stock).toBe(1000)
  })

  it('when a POST is retried with the same Idempotency-Key, then its event is written once', async () => {
    const product = await createProduct(api, { stock: 5 })
    const headers = { 'idempotency-key': `events-${product.id}` }
    const events = await eventsDuring(async () => {
      const first = await api.request('POST', '/orders', { product_id: product.id, quantity: 1 }, headers)
      const again = await api.request('POST', '/orders', { product_id: product.id, quantity: 1 }, headers)
      expect(again.body.id).toBe(first.body.id)
    })
    expect(typesOf(events)).toEqual(['order.created'])
  })
})

describe('GET /events', () => {
  it('when listed with type and limit, then only that type comes, oldest first, with X-Total-Count and a Link to the next page', async () => {
    const products = [await createProduct(api), await createProduct(api), await createProduct(api)]
    const all = (await allEvents()).filter((event) => event.type === 'product.created')
    const first = await api.request('GET', '/events?type=product.created&limit=2')
    expect(first.status).toBe(200)
    expect(Number(first.headers['x-total-count'])).toBe(all.length)
    expect((first.body as Event[]).map((e) => e.id)).toEqual(all.slice(0, 2).map((e) => e.id))
    const next = /<([^>]+)>; rel="next"/.exec(String(first.headers.link))![1]!
    expect(next).toContain(`after_id=${all[1]!.id}`)
    expect(next).toContain('type=product.created')
    const second = await api.request('GET', next)
    expect((second.body as Event[])[0]!.id).toBe(all[2]!.id)
    const tail = await api.request('GET', `/events?type=product.created&after_id=${all.at(-1)!.id}`)
    expect(tail.body).toEqual([])
    expect(tail.headers.link).toBeUndefined()
    expect(all.slice(-3).map((e) => e.data.id)).toEqual(products.map((p) => p.id))
  })

  it('when the query is malformed, then 422 names the parameter', async () => {
    for (const query of ['type=order.exploded', 'after_id=42', 'after_id=evt_doesnotexist', 'limit=0', 'limit=1001']) {
      const response = await api.request('GET', `/events?${query}`)
      expect(response.status, query).toBe(422)
      expect(JSON.stringify(response.body), query).toContain(query.split('=')[0]!)
    }
  })

  it('when API keys are set, then a read key lists events', async () => {
    const keyed = await startTestApp({ API_KEYS: 'viewer:read:viewer-key-123' })
    try {
      expect((await keyed.request('GET', '/events')).status).toBe(401)
      expect(
        (await keyed.request('GET', '/events', undefined, { authorization: 'Bearer viewer-key-123' })).status,
      ).toBe(200)
    } finally {
      await keyed.close()
    }
  })
})
