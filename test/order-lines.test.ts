import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { createProduct } from './helpers/builders.js'
import { createTestDatabase } from './helpers/database.js'
import { startInstances } from './helpers/processes.js'
import { signWebhook } from './helpers/webhooks.js'

let api: TestApp
beforeAll(async () => {
  api = await startTestApp()
})
afterAll(() => api.close())

const stockOf = async (id: number) => (await api.request('GET', `/products/${id}`)).body.stock as number
const cart = (...lines: [number, number][]) => ({
  items: lines.map(([product_id, quantity]) => ({ product_id, quantity })),
})

interface Line {
  product_id: number
  quantity: number
}
/** Units held by the live orders (not CANCELED) of a product, counted over every line. */
async function heldBy(app: TestApp, productId: number): Promise<number> {
  const orders = (await app.request('GET', `/orders?product_id=${productId}&limit=1000`)).body as {
    status: string
    items: Line[]
  }[]
  return orders
    .filter((order) => order.status !== 'CANCELED')
    .flatMap((order) => order.items)
    .filter((line) => line.product_id === productId)
    .reduce((sum, line) => sum + line.quantity, 0)
}

describe('orders with several lines', () => {
  it('when a cart of two products is ordered, then both stocks are taken and the order shows its lines and total', async () => {
    const mug = await createProduct(api, { price: 12.5, stock: 10 })
    const pen = await createProduct(api, { price: 1.99, stock: 10 })
    const response = await api.request('POST', '/orders', cart([mug.id, 2], [pen.id, 3]))
    expect(response.status).toBe(201)
    expect(response.body).toMatchObject({
      product_id: null,
      quantity: 5,
      unit_price: null,
      status: 'PENDING',
      total: 30.97,
      items: [
        { product_id: mug.id, quantity: 2, unit_price: 12.5, total: 25 },
        { product_id: pen.id, quantity: 3, unit_price: 1.99, total: 5.97 },
      ],
    })
    expect([await stockOf(mug.id), await stockOf(pen.id)]).toEqual([8, 7])
    expect((await api.request('GET', `/orders/${response.body.id}`)).body).toEqual(response.body)
  })

  it('when one line is short, then 409 names its product and no product is touched', async () => {
    const plenty = await createProduct(api, { stock: 10 })
    const scarce = await createProduct(api, { stock: 2 })
    const response = await api.request('POST', '/orders', cart([plenty.id, 1], [scarce.id, 5]))
    expect(response.status).toBe(409)
    expect(response.body).toEqual({
      detail: `Insufficient stock for product ${scarce.id}. Available: 2, Requested: 5`,
    })
    expect([await stockOf(plenty.id), await stockOf(scarce.id)]).toEqual([10, 2])
  })

  it('when the same product is in two lines, then their demand is summed before stock is checked', async () => {
    const product = await createProduct(api, { stock: 5 })
    const refused = await api.request('POST', '/orders', cart([product.id, 3], [product.id, 3]))
    expect(refused.status).toBe(409)
    expect(refused.body.detail).toBe(`Insufficient stock for product ${product.id}. Available: 5, Requested: 6`)
    expect(await stockOf(product.id)).toBe(5)
    const placed = await api.request('POST', '/orders', cart([product.id, 3], [product.id, 2]))
    expect(placed.status).toBe(201)
    expect(placed.body.items).toHaveLength(2)
    expect(await stockOf(product.id)).toBe(0)
  })

  it('when a line names a missing or deleted product, then 404 and no product is touched', async () => {
    const kept = await createProduct(api, { stock: 10 })
    const deleted = await createProduct(api, { stock: 10 })
    expect((await api.request('DELETE', `/products/${deleted.id}`)).status).toBe(204)
    for (const missing of [deleted.id, 999_999]) {
      const response = await api.request('POST', '/orders', cart([kept.id, 1], [missing, 1]))
      expect(response.status).toBe(404)
      expect(response.body).toEqual({ detail: 'Product not found' })
    }
    expect(await stockOf(kept.id)).toBe(10)
  })

  it('when a one-line order comes in the items form, then it keeps product_id, quantity and the original wording', async () => {
    const product = await createProduct(api, { price: 4, stock: 3 })
    const placed = await api.request('POST', '/orders', cart([product.id, 2]))
    expect(placed.body).toMatchObject({ product_id: product.id, quantity: 2, unit_price: 4, total: 8 })
    const refused = await api.request('POST', '/orders', cart([product.id, 5]))
    expect(refused.body).toEqual({ detail: 'Insufficient stock. Available: 1, Requested: 5' })
  })

  it.each([
    [
      'both forms',
      (id: number) => ({ product_id: id, quantity: 1, items: [{ product_id: id, quantity: 1 }] }),
      ['body'],
    ],
    ['no line at all', () => ({}), ['body', 'product_id']],
    ['an empty cart', () => ({ items: [] }), ['body', 'items']],
    [
      '101 lines',
      (id: number) => cart(...Array.from({ length: 101 }, (): [number, number] => [id, 1])),
      ['body', 'items'],
    ],
    ['a line without quantity', (id: number) => ({ items: [{ product_id: id }] }), ['body', 'items', 0, 'quantity']],
    ['a line of 0 units', (id: number) => cart([id, 0]), ['body', 'items', 0, 'quantity']],
  ])('when the body has %s, then 422 names the place and nothing is taken', async (_case, body, loc) => {
    const product = await createProduct(api, { stock: 500 })
    const response = await api.request('POST', '/orders', body(product.id))
    expect(response.status).toBe(422)
    expect(response.body.detail).toEqual(expect.arrayContaining([expect.objectContaining({ loc })]))
    expect(await stockOf(product.id)).toBe(500)
  })

  it('when a cart is canceled by PUT or by DELETE, then every line returns its units exactly once', async () => {
    for (const cancel of [
      (id: number) => api.request('PUT', `/orders/${id}`, { status: 'CANCELED' }),
      (id: number) => api.request('DELETE', `/orders/${id}`),
    ]) {
      const a = await createProduct(api, { stock: 10 })
      const b = await createProduct(api, { stock: 10 })
      const order = (await api.request('POST', '/orders', cart([a.id, 2], [b.id, 3], [a.id, 1]))).body
      expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([7, 7])
      await cancel(order.id)
      await cancel(order.id) // again: a no-op PUT, or the DELETE of a canceled order
      expect([await stockOf(a.id), await stockOf(b.id)]).toEqual([10, 10])
    }
  })

  it('when orders are listed by product_id (or status_filter), then every order with any line of it comes back', async () => {
    const a = await createProduct(api, { stock: 10 })
    const b = await createProduct(api, { stock: 10 })
    const onlyA = (await api.request('POST', '/orders', { product_id: a.id, quantity: 1 })).body
    const both = (await api.request('POST', '/orders', cart([b.id, 1], [a.id, 1]))).body
    const onlyB = (await api.request('POST', '/orders', cart([b.id, 2]))).body
    const ids = async (query: string) =>
      (await api.request('GET', `/orders?${query}&limit=1000`)).body.map((order: { id: number }) => order.id)
    expect(await ids(`product_id=${a.id}`)).toEqual([onlyA.id, both.id])
    expect(await ids(`product_id=${b.id}`)).toEqual([both.id, onlyB.id])
    expect((await api.request('GET', `/orders?product_id=${b.id}`)).headers['x-total-count']).toBe('2')
    await api.request('PUT', `/orders/${both.id}`, { status: 'PAID' })
    expect(await ids(`product_id=${a.id}&status_filter=PAID`)).toEqual([both.id])
    expect(await ids(`product_id=${a.id}&status=PENDING`)).toEqual([onlyA.id])
  })

  it('when a product is only in the second line of a live order, then it cannot be deleted', async () => {
    const first = await createProduct(api, { stock: 10 })
    const second = await createProduct(api, { stock: 10 })
    const order = (await api.request('POST', '/orders', cart([first.id, 1], [second.id, 1]))).body
    const refused = await api.request('DELETE', `/products/${second.id}`)
    expect(refused.status).toBe(400)
    expect(refused.body).toEqual({ detail: 'Cannot delete product with pending or paid orders' })
    await api.request('DELETE', `/orders/${order.id}`)
    expect((await api.request('DELETE', `/products/${second.id}`)).status).toBe(204)
  })

  it('when the payment webhook gives an amount, then it is checked against the whole total', async () => {
    const a = await createProduct(api, { price: 10, stock: 10 })
    const b = await createProduct(api, { price: 2.5, stock: 10 })
    const order = (await api.request('POST', '/orders', cart([a.id, 1], [b.id, 2]))).body
    const pay = async (amount: number, id: string) => {
      const body = JSON.stringify({ event: 'payment.succeeded', order_id: order.id, amount })
      return api.request('POST', '/webhooks/payment', body, {
        'x-webhook-signature': signWebhook(body),
        'x-event-id': id,
      })
    }
    expect((await pay(10, 'cart-1')).status).toBe(422)
    expect((await pay(15, 'cart-2')).body).toMatchObject({ status: 'processed', new_status: 'PAID' })
  })
})

describe('several-line orders under concurrency', () => {
  /** 50 carts over 4 shared products, lines in random order, against `urls` (one or several instances). */
  async function fiftyCarts(place: (body: object) => Promise<number>, ids: number[]) {
    const shuffled = () => [...ids].sort(() => Math.random() - 0.5)
    return Promise.all(
      Array.from({ length: 50 }, () =>
        place(cart(...shuffled().map((id): [number, number] => [id, 1 + Math.floor(Math.random() * 3)]))),
      ),
    )
  }

  it('when 50 carts over 4 shared products arrive at once, then no deadlock, no 5xx, no oversell, every unit accounted for', async () => {
    const ids = []
    for (let i = 0; i < 4; i++) ids.push((await createProduct(api, { stock: 60 })).id)
    const statuses = await fiftyCarts(async (body) => (await api.request('POST', '/orders', body)).status, ids)
    expect(statuses.filter((status) => status !== 201 && status !== 409)).toEqual([])
    expect(statuses.filter((status) => status === 201).length).toBeGreaterThan(0)
    for (const id of ids) {
      const stock = await stockOf(id)
      expect(stock).toBeGreaterThanOrEqual(0)
      expect(stock + (await heldBy(api, id))).toBe(60)
    }
  })

  it('when the carts are split across two instances on one database, then the same holds', async () => {
    const database = await createTestDatabase()
    const { urls, stop } = await startInstances(2, database.url)
    try {
      const call = async (url: string, method: string, path: string, body?: object) => {
        const response = await fetch(`${url}${path}`, {
          method,
          headers: body ? { 'content-type': 'application/json' } : {},
          body: body ? JSON.stringify(body) : undefined,
        })
        return { status: response.status, body: (await response.json()) as Record<string, unknown> }
      }
      const ids: number[] = []
      for (let i = 0; i < 4; i++) {
        const created = await call(urls[0]!, 'POST', '/products', {
          sku: `SPLIT-${i}`,
          name: 'Split',
          price: 1,
          stock: 60,
        })
        ids.push(created.body.id as number)
      }
      let turn = 0
      const statuses = await fiftyCarts(
        async (body) => (await call(urls[turn++ % 2]!, 'POST', '/orders', body)).status,
        ids,
      )
      expect(statuses.filter((status) => status !== 201 && status !== 409)).toEqual([])
      const view = await startTestApp({}, { databaseUrl: database.url })
      try {
        for (const id of ids) {
          const stock = (await view.request('GET', `/products/${id}`)).body.stock as number
          expect(stock).toBeGreaterThanOrEqual(0)
          expect(stock + (await heldBy(view, id))).toBe(60)
        }
      } finally {
        await view.close()
      }
    } finally {
      await stop()
      await database.drop()
    }
  })
})
