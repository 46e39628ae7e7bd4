import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { createProduct } from './helpers/builders.js'

// Apart from hardening.test.ts's rate-limit tests because it takes seconds of writes: vitest.config.ts
// leaves it out of `npm run test:quick`.

let api: TestApp
beforeAll(async () => {
  api = await startTestApp()
})
afterAll(() => api.close())

describe('rate limiting by default', () => {
  it('when RATE_LIMIT_MAX is not set, then 5,000 writes in a minute from one address all get through', async () => {
    const product = await createProduct(api, { stock: 5000 })
    const statuses: number[] = []
    for (let batch = 0; batch < 100; batch++) {
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => api.request('POST', '/orders', { product_id: product.id, quantity: 1 })),
      )
      statuses.push(...responses.map((r) => r.status))
    }
    expect(statuses.filter((status) => status !== 201)).toEqual([])
    expect((await api.request('GET', `/products/${product.id}`)).body.stock).toBe(0)
  }, 180_000) // on PostgreSQL, on two busy shared cores, 5,000 orders have taken over a minute
})
