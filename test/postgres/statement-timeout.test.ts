import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { createProduct } from '../helpers/builders.js'

/** DATABASE_STATEMENT_TIMEOUT_MS's default (src/config.ts). */
const DEFAULT_TIMEOUT_MS = 5000

let unlimited: TestApp
let limited: TestApp
beforeAll(async () => {
  unlimited = await startTestApp({ DATABASE_STATEMENT_TIMEOUT_MS: '0' })
  limited = await startTestApp({ DATABASE_STATEMENT_TIMEOUT_MS: '1000' }, { databaseUrl: unlimited.databaseUrl })
})
afterAll(async () => {
  await limited.close()
  await unlimited.close()
})

describe('DATABASE_STATEMENT_TIMEOUT_MS', () => {
  it('when it is 0, then an order that waits on a row lock longer than the default timeout waits and succeeds; with 1000 it gets 503', async () => {
    const product = await createProduct(unlimited, { stock: 3 })
    // Another client holds the product's row lock, as a long transaction would: placing an order
    // locks that row, so the order's statement waits for as long as the lock is held.
    const locker = new pg.Client({ connectionString: unlimited.databaseUrl })
    await locker.connect()
    let released = false
    try {
      await locker.query('begin')
      await locker.query('select id from products where id = $1 for update', [product.id])
      const order = { product_id: product.id, quantity: 1 }
      const waiting = unlimited.request('POST', '/orders', order).then((reply) => ({ reply, released }))
      const timedOut = limited.request('POST', '/orders', order).then((reply) => ({ reply, released }))

      await new Promise((resolve) => setTimeout(resolve, DEFAULT_TIMEOUT_MS + 500))
      const limitedOutcome = await timedOut
      expect(limitedOutcome.reply.status).toBe(503)
      expect(limitedOutcome.released).toBe(false) // given up on while the lock was held
      released = true
      await locker.query('rollback')

      const unlimitedOutcome = await waiting
      expect(unlimitedOutcome.released).toBe(true) // answered only once the lock was gone
      expect(unlimitedOutcome.reply.status).toBe(201)
    } finally {
      await locker.end()
    }
    expect((await unlimited.request('GET', `/products/${product.id}`)).body.stock).toBe(2)
  })
})
