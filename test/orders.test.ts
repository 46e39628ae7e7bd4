import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { createOrder, createProduct, setOrderStatus, stockOf } from './helpers/builders.js'

let api: TestApp
beforeAll(async () => {
  api = await startTestApp()
})
afterAll(async () => {
  await api.close()
})

const STATUSES = ['PENDING', 'PAID', 'SHIPPED', 'CANCELED'] as const
type Status = (typeof STATUSES)[number]
const ALLOWED: Record<Status, Status[]> = {
  PENDING: ['PAID', 'CANCELED'],
  PAID: ['SHIPPED', 'CANCELED'],
  SHIPPED: [],
  CANCELED: [],
}
const PATH_TO: Record<Status, Status[]> = {
  PENDING: [],
  PAID: ['PAID'],
  SHIPPED: ['PAID', 'SHIPPED'],
  CANCELED: ['CANCELED'],
}

/** A new order of `quantity` units walked to `status`, with its product. */
async function orderIn(status: Status, quantity = 2, stock = 10) {
  const product = await createProduct(api, { stock, price: 5.25 })
  const order = await createOrder(api, product.id, quantity)
  for (const step of PATH_TO[status]) await setOrderStatus(api, order.id, step)
  return { product, order }
}

describe('POST /orders', () => {
  it('when stock suffices, then 201 PENDING with unit price and total, and stock drops', async () => {
    const product = await createProduct(api, { stock: 10, price: 29.99 })
    const response = await api.request('POST', '/orders', { product_id: product.id, quantity: 3 })
    expect(response.status).toBe(201)
    expect(response.body).toMatchObject({
      id: expect.any(Number),
      product_id: product.id,
      quantity: 3,
      status: 'PENDING',
      unit_price: 29.99,
      total: 89.97,
    })
    expect(response.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(await stockOf(api, product.id)).toBe(7)
  })

  it('when the product price changes later, then the order keeps its price', async () => {
    const product = await createProduct(api, { price: 10 })
    const order = await createOrder(api, product.id, 2)
    const changed = await api.request('PUT', `/products/${product.id}`, { price: 99 })
    expect(changed.status).toBe(200)
    // The precondition: the product now costs 99, so an order still at 10 kept its own price.
    expect((await api.request('GET', `/products/${product.id}`)).body.price).toBe(99)
    const response = await api.request('GET', `/orders/${order.id}`)
    expect(response.body).toMatchObject({ unit_price: 10, total: 20 })
  })

  it('when stock is short, then 409 with the exact message and stock unchanged', async () => {
    const product = await createProduct(api, { stock: 50 })
    const response = await api.request('POST', '/orders', { product_id: product.id, quantity: 100 })
    expect(response.status).toBe(409)
    expect(response.body).toEqual({ detail: 'Insufficient stock. Available: 50, Requested: 100' })
    expect(await stockOf(api, product.id)).toBe(50)
  })

  it('when the whole stock is ordered, then it reaches 0 and the next order is refused', async () => {
    const product = await createProduct(api, { stock: 4 })
    await createOrder(api, product.id, 4)
    expect(await stockOf(api, product.id)).toBe(0)
    const response = await api.request('POST', '/orders', { product_id: product.id, quantity: 1 })
    expect(response.body).toEqual({ detail: 'Insufficient stock. Available: 0, Requested: 1' })
  })

  it('when the product does not exist, then 404 Product not found', async () => {
    const large = await api.request('POST', '/orders', { product_id: 2147483648, quantity: 1 })
    expect(large.status).toBe(404)
    const response = await api.request('POST', '/orders', { product_id: 987654, quantity: 1 })
    expect(response.status).toBe(404)
    expect(response.body).toEqual({ detail: 'Product not found' })
  })

  it.each([
    [{ product_id: 1 }, 'quantity'],
    [{ quantity: 1 }, 'product_id'],
    [{ product_id: 1, quantity: 0 }, 'quantity'],
    [{ product_id: 1, quantity: -2 }, 'quantity'],
    [{ product_id: 1, quantity: 1.5 }, 'quantity'],
    [{ product_id: 1, quantity: '2' }, 'quantity'],
    [{ product_id: 1, quantity: true }, 'quantity'],
    [{ product_id: 1, quantity: 1e20 }, 'quantity'],
    [{ product_id: 0, quantity: 1 }, 'product_id'],
    [{ product_id: 'one', quantity: 1 }, 'product_id'],
  ])('when the body is %j, then 422 naming %s', async (body, field) => {
    const response = await api.request('POST', '/orders', body)
    expect(response.status).toBe(422)
    expect(response.body.detail.map((d: { loc: string[] }) => d.loc)).toContainEqual(['body', field])
  })
})

describe('GET /orders', () => {
  it('when filtered by status and product, then only matching orders come, by id, with paging headers', async () => {
    const product = await createProduct(api, { stock: 20 })
    const a = await createOrder(api, product.id)
    const b = await createOrder(api, product.id)
    const c = await createOrder(api, product.id)
    await setOrderStatus(api, b.id, 'PAID')

    const pending = await api.request('GET', `/orders?product_id=${product.id}&status=PENDING`)
    expect(pending.status).toBe(200)
    expect(pending.body.map((o: { id: number }) => o.id)).toEqual([a.id, c.id])
    expect(pending.headers['x-total-count']).toBe('2')

    const paged = await api.request('GET', `/orders/?product_id=${product.id}&limit=1&offset=1`)
    expect(paged.body.map((o: { id: number }) => o.id)).toEqual([b.id])
    expect(paged.headers['x-total-count']).toBe('3')
    expect(paged.headers.link).toContain('rel="next"')
    expect(paged.headers.link).toContain(`product_id=${product.id}`)
  })

  it.each(['status=LOST', 'status=pending', 'product_id=abc', 'product_id=0', 'limit=5000'])(
    'when the query is %s, then 422',
    async (query) => {
      const response = await api.request('GET', `/orders?${query}`)
      expect(response.status).toBe(422)
    },
  )
})

describe('GET /orders/{id}', () => {
  it('when the order exists, then 200 with it', async () => {
    const { order } = await orderIn('PENDING')
    const response = await api.request('GET', `/orders/${order.id}`)
    expect(response.status).toBe(200)
    expect(response.body).toEqual(order)
  })

  it('when it does not exist, then 404 Order not found', async () => {
    const response = await api.request('GET', '/orders/987654')
    expect(response.status).toBe(404)
    expect(response.body).toEqual({ detail: 'Order not found' })
  })

  it.each(['x', '0', '-1', '2.5'])('when the id is %s, then 422', async (id) => {
    const response = await api.request('GET', `/orders/${id}`)
    expect(response.status).toBe(422)
    expect(response.body.detail[0].loc).toEqual(['path', 'order_id'])
  })
})

describe('PUT /orders/{id}: the transition matrix', () => {
  const cases = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as const))

  it.each(cases)('from %s to %s', async (from, to) => {
    const { product, order } = await orderIn(from, 2, 10)
    const stockBefore = await stockOf(api, product.id)
    const response = await api.request('PUT', `/orders/${order.id}`, { status: to })

    if (from === to) {
      expect(response.status).toBe(200) // idempotent no-op
      expect(response.body.status).toBe(from)
      expect(await stockOf(api, product.id)).toBe(stockBefore)
    } else if (ALLOWED[from].includes(to)) {
      expect(response.status).toBe(200)
      expect(response.body.status).toBe(to)
      expect(await stockOf(api, product.id)).toBe(to === 'CANCELED' ? stockBefore + 2 : stockBefore)
    } else {
      expect(response.status).toBe(400)
      expect(response.body).toEqual({ detail: `Invalid status transition from ${from} to ${to}` })
      expect((await api.request('GET', `/orders/${order.id}`)).body.status).toBe(from)
      expect(await stockOf(api, product.id)).toBe(stockBefore)
    }
  })

  it('when the order does not exist, then 404', async () => {
    const response = await api.request('PUT', '/orders/987654', { status: 'PAID' })
    expect(response.status).toBe(404)
    expect(response.body).toEqual({ detail: 'Order not found' })
  })

  it.each([{ status: 'DONE' }, { status: 'paid' }, {}, { status: null }])(
    'when the body is %j, then 422',
    async (body) => {
      const { order } = await orderIn('PENDING')
      const response = await api.request('PUT', `/orders/${order.id}`, body)
      expect(response.status).toBe(422)
    },
  )
})

describe('DELETE /orders/{id}', () => {
  it.each(['PENDING', 'PAID'] as const)(
    'when the order is %s, then 204, it is CANCELED and the stock is back',
    async (status) => {
      const { product, order } = await orderIn(status, 3, 10)
      expect(await stockOf(api, product.id)).toBe(7)
      const response = await api.request('DELETE', `/orders/${order.id}`)
      expect(response.status).toBe(204)
      expect((await api.request('GET', `/orders/${order.id}`)).body.status).toBe('CANCELED')
      expect(await stockOf(api, product.id)).toBe(10)
    },
  )

  it('when the order is CANCELED, then the record is deleted and the other orders survive', async () => {
    const { product, order } = await orderIn('CANCELED', 1, 10)
    const other = await createOrder(api, product.id, 1)
    const response = await api.request('DELETE', `/orders/${order.id}`)
    expect(response.status).toBe(204)
    expect((await api.request('GET', `/orders/${order.id}`)).status).toBe(404)
    expect((await api.request('GET', `/orders/${other.id}`)).body).toEqual(other)
    expect(await stockOf(api, product.id)).toBe(9)
  })

  it('when the order is SHIPPED, then 400 and nothing changes', async () => {
    const { product, order } = await orderIn('SHIPPED', 2, 10)
    const response = await api.request('DELETE', `/orders/${order.id}`)
    expect(response.status).toBe(400)
    expect(response.body).toEqual({ detail: 'Cannot cancel order with status SHIPPED' })
    expect((await api.request('GET', `/orders/${order.id}`)).body.status).toBe('SHIPPED')
    expect(await stockOf(api, product.id)).toBe(8)
  })

  it('when DELETE carries a JSON content type and no body, then it cancels as usual', async () => {
    const { product, order } = await orderIn('PENDING', 2, 10)
    const response = await api.request('DELETE', `/orders/${order.id}`, '', { 'content-type': 'application/json' })
    expect(response.status).toBe(204)
    expect(await stockOf(api, product.id)).toBe(10)
  })

  it('when the order does not exist, then 404', async () => {
    const response = await api.request('DELETE', '/orders/987654')
    expect(response.status).toBe(404)
    expect(response.body).toEqual({ detail: 'Order not found' })
  })

  it('when canceled by PUT and then by DELETE, then the stock comes back once and the record goes', async () => {
    const { product, order } = await orderIn('PENDING', 4, 10)
    expect((await api.request('PUT', `/orders/${order.id}`, { status: 'CANCELED' })).status).toBe(200)
    expect((await api.request('PUT', `/orders/${order.id}`, { status: 'CANCELED' })).status).toBe(200)
    expect(await stockOf(api, product.id)).toBe(10)
    expect((await api.request('DELETE', `/orders/${order.id}`)).status).toBe(204)
    expect(await stockOf(api, product.id)).toBe(10)
    expect((await api.request('DELETE', `/orders/${order.id}`)).status).toBe(404)
    expect(await stockOf(api, product.id)).toBe(10)
  })

  it('when canceled by DELETE and then by PUT, then the stock comes back once', async () => {
    const { product, order } = await orderIn('PAID', 4, 10)
    expect((await api.request('DELETE', `/orders/${order.id}`)).status).toBe(204)
    expect((await api.request('PUT', `/orders/${order.id}`, { status: 'CANCELED' })).status).toBe(200)
    expect(await stockOf(api, product.id)).toBe(10)
  })
})
