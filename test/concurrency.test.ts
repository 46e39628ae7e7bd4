import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { createOrder, createProduct, stockOf } from './helpers/builders.js'
import { listen } from './helpers/http.js'
import { signWebhook } from './helpers/webhooks.js'

let api: TestApp
let http: Awaited<ReturnType<typeof listen>>
beforeAll(async () => {
  api = await startTestApp()
  http = await listen(api.app)
})
afterAll(async () => {
  await api.close()
})

/** stock + units held by PENDING, PAID and SHIPPED orders: must equal what was stocked. */
async function accountedUnits(productId: number): Promise<number> {
  const orders = await http.send('GET', `/orders?product_id=${productId}&limit=1000`)
  const held = orders.body
    .filter((o: { status: string }) => o.status !== 'CANCELED')
    .reduce((sum: number, o: { quantity: number }) => sum + o.quantity, 0)
  return (await stockOf(api, productId)) + held
}

describe('no oversell under concurrency (real HTTP, parallel requests)', () => {
  it('when 200 orders of 1 race for stock 50, then exactly 50 succeed and stock ends at 0', async () => {
    const product = await createProduct(api, { stock: 50 })
    const responses = await Promise.all(
      Array.from({ length: 200 }, () => http.send('POST', '/orders', { product_id: product.id, quantity: 1 })),
    )
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 201)).toHaveLength(50)
    expect(statuses.filter((s) => s === 409)).toHaveLength(150)
    expect(await stockOf(api, product.id)).toBe(0)
    expect(await accountedUnits(product.id)).toBe(50)
  })

  it('when orders of mixed sizes race, then the units sold never exceed the stock', async () => {
    const product = await createProduct(api, { stock: 37 })
    const quantities = Array.from({ length: 60 }, (_, i) => (i % 5) + 1)
    const responses = await Promise.all(
      quantities.map((quantity) => http.send('POST', '/orders', { product_id: product.id, quantity })),
    )
    const sold = responses.filter((r) => r.status === 201).reduce((sum, r) => sum + r.body.quantity, 0)
    expect(sold).toBeLessThanOrEqual(37)
    expect(await stockOf(api, product.id)).toBe(37 - sold)
    expect(await accountedUnits(product.id)).toBe(37)
  })

  it('when the stock is reset by PUT while orders race, then no order oversells either stock level', async () => {
    const product = await createProduct(api, { stock: 10 })
    const requests = Array.from({ length: 60 }, (_, i) =>
      i === 20
        ? http.send('PUT', `/products/${product.id}`, { stock: 100 })
        : http.send('POST', '/orders', { product_id: product.id, quantity: 1 }),
    )
    const responses = await Promise.all(requests)
    for (const response of responses) expect([200, 201, 409]).toContain(response.status)
    // Units sold before the reset came out of the first 10; everything after, out of the 100.
    const stock = await stockOf(api, product.id)
    const soldBeforeReset = (await accountedUnits(product.id)) - 100
    expect(stock).toBeGreaterThanOrEqual(0)
    expect(soldBeforeReset).toBeGreaterThanOrEqual(0)
    expect(soldBeforeReset).toBeLessThanOrEqual(10)
  })

  it('when a product is deleted while orders race for it, then either it is gone with no order or it stays with orders', async () => {
    for (let round = 0; round < 5; round++) {
      const product = await createProduct(api, { stock: 50 })
      const requests = Array.from({ length: 21 }, (_, i) =>
        i === 10
          ? http.send('DELETE', `/products/${product.id}`)
          : http.send('POST', '/orders', { product_id: product.id, quantity: 1 }),
      )
      const responses = await Promise.all(requests)
      const deleted = responses[10]!.status === 204
      const orders = await http.send('GET', `/orders?product_id=${product.id}`)
      if (deleted) {
        expect(orders.body).toEqual([])
        expect((await http.send('GET', `/products/${product.id}`)).status).toBe(404)
      } else {
        expect(responses[10]!.status).toBe(400)
        expect(orders.body.length).toBeGreaterThan(0)
        expect(await accountedUnits(product.id)).toBe(50)
      }
      for (const response of responses) expect(response.status).toBeLessThan(500)
    }
  })

  it('when 20 cancels of one order race (PUT and DELETE), then the stock comes back exactly once', async () => {
    const product = await createProduct(api, { stock: 10 })
    const order = await createOrder(api, product.id, 4)
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? http.send('PUT', `/orders/${order.id}`, { status: 'CANCELED' })
          : http.send('DELETE', `/orders/${order.id}`),
      ),
    )
    // Every request succeeded or found the record already deleted by a DELETE on a CANCELED order.
    for (const response of responses) expect([200, 204, 404]).toContain(response.status)
    expect(await stockOf(api, product.id)).toBe(10)
  })

  it('when orders, cancels, status changes and webhooks race on one product, then the invariant holds', async () => {
    const product = await createProduct(api, { stock: 30 })
    const seed = await Promise.all(Array.from({ length: 10 }, () => createOrder(api, product.id, 1)))
    const requests = [
      ...Array.from({ length: 40 }, () => http.send('POST', '/orders', { product_id: product.id, quantity: 1 })),
      ...seed.map((o, i) =>
        i % 3 === 0
          ? http.send('DELETE', `/orders/${o.id}`)
          : http.send('PUT', `/orders/${o.id}`, { status: i % 3 === 1 ? 'PAID' : 'CANCELED' }),
      ),
      ...seed.map((o) => {
        const body = JSON.stringify({ event: 'payment.succeeded', order_id: o.id, event_id: `race-${o.id}` })
        return http.send('POST', '/webhooks/payment', body, { 'x-webhook-signature': signWebhook(body) })
      }),
      ...Array.from({ length: 10 }, () => http.send('PUT', `/products/${product.id}`, { name: 'Renamed under load' })),
    ]
    const responses = await Promise.all(requests)
    for (const response of responses) expect(response.status).toBeLessThan(500)
    expect(await accountedUnits(product.id)).toBe(30)
  })
})
