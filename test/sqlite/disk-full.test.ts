import { describe, expect, it } from 'vitest'
import { sqliteHandleOf } from '../../src/db/connect.js'
import { isDatabaseUnavailable, isStorageFailure, isStorageFull } from '../../src/db/errors.js'
import { startTestApp, type Reply, type TestApp } from '../helpers/app.js'
import { buildProduct, createOrder, createProduct } from '../helpers/builders.js'

/** Sends `write` until it is not answered 201 (at most `limit` times); returns that answer and the 201s. */
async function untilRefused(write: () => Promise<Reply>, limit = 1000) {
  let stored = 0
  for (let i = 0; i < limit; i++) {
    const response = await write()
    if (response.status !== 201) return { refused: response, stored }
    stored += 1
  }
  throw new Error(`still accepted after ${limit} writes`)
}

async function liveUnits(api: TestApp, productId: number): Promise<number> {
  const orders = (await api.request('GET', `/orders?product_id=${productId}&limit=1000`)).body as {
    quantity: number
    status: string
  }[]
  return orders.filter((o) => o.status !== 'CANCELED').reduce((sum, o) => sum + o.quantity, 0)
}

describe('SQLite storage full', () => {
  it('when the disk is full, then writes get 503 with Retry-After, /ready says storage full, reads work and nothing is half-written; once there is room, writes and /ready work again', async () => {
    const api = await startTestApp()
    try {
      const product = await createProduct(api, { stock: 1000 })
      await createOrder(api, product.id, 5)
      expect((await api.request('GET', '/ready')).status).toBe(200)

      // As if the disk were full: the file may not grow by a single page.
      const sqlite = sqliteHandleOf(api.app.db)!
      sqlite.pragma(`max_page_count = ${sqlite.pragma('page_count', { simple: true }) as number}`)

      const products = await untilRefused(() =>
        api.request('POST', '/products', buildProduct({ name: 'x'.repeat(200) })),
      )
      expect(products.refused.status).toBe(503)
      expect(products.refused.headers['retry-after']).toBeDefined()
      expect(products.refused.body).toEqual({ detail: expect.stringMatching(/storage is full/) })

      const ready = await api.request('GET', '/ready')
      expect(ready.status).toBe(503)
      expect(ready.body.detail).toMatch(/storage is full/)

      // Orders take the stock and record the order in one transaction: refused whole, or kept whole.
      const orders = await untilRefused(() => api.request('POST', '/orders', { product_id: product.id, quantity: 1 }))
      expect(orders.refused.status).toBe(503)
      expect(orders.refused.headers['retry-after']).toBeDefined()

      // Reads still work, and show only whole writes.
      const read = await api.request('GET', `/products/${product.id}`)
      expect(read.status).toBe(200)
      expect(read.body.stock + (await liveUnits(api, product.id))).toBe(1000)
      expect(read.body.stock).toBe(1000 - 5 - orders.stored)
      const listed = await api.request('GET', '/products?limit=1000')
      expect(listed.status).toBe(200)
      expect(listed.body).toHaveLength(1 + products.stored)
      expect((await api.request('GET', '/orders?limit=1000')).body).toHaveLength(1 + orders.stored)
      expect((await api.request('GET', '/ready')).status).toBe(503)

      // Room again: the next write succeeds, and with it the service is ready again.
      sqlite.pragma('max_page_count = 1000000')
      expect((await api.request('POST', '/products', buildProduct({ name: 'x'.repeat(200) }))).status).toBe(201)
      expect((await api.request('GET', '/ready')).status).toBe(200)
      expect((await api.request('POST', '/orders', { product_id: product.id, quantity: 1 })).status).toBe(201)
      expect(
        (await api.request('GET', `/products/${product.id}`)).body.stock + (await liveUnits(api, product.id)),
      ).toBe(1000)
    } finally {
      await api.close()
    }
  })

  it('when SQLite or PostgreSQL report full or failing storage, then it is an unavailable database (503), not a fault', () => {
    for (const code of ['SQLITE_FULL', '53100']) {
      expect(isStorageFull({ code })).toBe(true)
      expect(isDatabaseUnavailable({ code })).toBe(true)
    }
    for (const code of ['SQLITE_IOERR', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_FSYNC', 'SQLITE_IOERR_SHMSIZE', '58030']) {
      expect(isStorageFull({ code })).toBe(false)
      expect(isStorageFailure({ code })).toBe(true)
      expect(isDatabaseUnavailable({ code })).toBe(true)
    }
    for (const code of ['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CORRUPT', 'SQLITE_ERROR', '23505']) {
      expect(isStorageFailure({ code })).toBe(false)
      expect(isDatabaseUnavailable({ code })).toBe(false)
    }
  })
})
