import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inTransaction } from '../../src/db/transaction.js'
import { CatalogueCache } from '../../src/modules/products/catalogue-cache.js'
import * as orders from '../../src/modules/orders/service.js'
import * as products from '../../src/modules/products/service.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { buildProduct } from '../helpers/builders.js'

/*
 * PostgreSQL: a one-line order is one statement (products repository, placeOneLineOrder), and so
 * is its refusal; a take that crosses a stock line goes the usual way. What each path answers and
 * writes is compared on both databases in test/order-fast-path.test.ts.
 */

let api: TestApp
beforeAll(async () => {
  api = await startTestApp()
})
afterAll(() => api.close())

async function createProductWith(body: Record<string, unknown>) {
  const response = await api.request('POST', '/products', { ...buildProduct(), ...body })
  expect(response.status, response.text).toBe(201)
  return response.body as { id: number; stock: number; price: number }
}

/** The statements this process sent to the app's database while `action` ran, with their connection. */
async function statementsDuring(action: () => Promise<unknown>): Promise<{ client: pg.Client; text: string }[]> {
  const database = new URL(api.databaseUrl).pathname.slice(1)
  const sent: { client: pg.Client; text: string }[] = []
  const query = pg.Client.prototype.query
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    if (this.database === database) {
      const [first] = args as [string | { text: string }]
      sent.push({ client: this, text: typeof first === 'string' ? first : first.text })
    }
    return (query as (...a: unknown[]) => unknown).apply(this, args)
  } as typeof query
  try {
    await action()
  } finally {
    pg.Client.prototype.query = query
  }
  return sent
}

// The statements that write an order's rows (the outbox's fan-out and the sweeper write none of these).
const ORDER_WRITE = /\b(update products|insert into (orders|order_lines|stock_movements|events))\b/i

describe('a one-line order on PostgreSQL is one statement', () => {
  it('when placed without an Idempotency-Key, then its writes are one statement, in autocommit (no BEGIN)', async () => {
    const product = await createProductWith({ stock: 10 })
    const sent = await statementsDuring(async () => {
      expect((await api.request('POST', '/orders', { product_id: product.id, quantity: 2 })).status).toBe(201)
    })
    const writes = sent.filter((statement) => ORDER_WRITE.test(statement.text))
    expect(writes).toHaveLength(1)
    const [write] = writes
    expect(write!.text).toMatch(
      /update products[\s\S]*insert into orders[\s\S]*insert into order_lines[\s\S]*insert into stock_movements[\s\S]*insert into events/,
    )
    const onItsConnection = sent.filter((statement) => statement.client === write!.client)
    const before = onItsConnection[onItsConnection.indexOf(write!) - 1]
    expect(before?.text.trim().toLowerCase()).not.toBe('begin')
  })

  it('when placed with an Idempotency-Key, then its writes are one statement of the key record’s transaction', async () => {
    const product = await createProductWith({ stock: 10 })
    const sent = await statementsDuring(async () => {
      const headers = { 'idempotency-key': `one-statement-${product.id}` }
      expect((await api.request('POST', '/orders', { product_id: product.id, quantity: 2 }, headers)).status).toBe(201)
    })
    expect(sent.filter((statement) => ORDER_WRITE.test(statement.text))).toHaveLength(1)
  })

  it('when the order is refused (too little stock, no such product), then the one statement answers it: nothing else is sent', async () => {
    const product = await createProductWith({ stock: 2 })
    const sent = await statementsDuring(async () => {
      const short = await api.request('POST', '/orders', { product_id: product.id, quantity: 3 })
      expect(short.status).toBe(409)
      expect(short.body).toEqual({ detail: 'Insufficient stock. Available: 2, Requested: 3' })
      const missing = await api.request('POST', '/orders', { product_id: 987_654_321, quantity: 1 })
      expect(missing.status).toBe(404)
      expect(missing.body).toEqual({ detail: 'Product not found' })
    })
    const writes = sent.filter((statement) => ORDER_WRITE.test(statement.text))
    expect(writes).toHaveLength(2)
    expect(writes.every((statement) => /^with taken as/.test(statement.text.trim()))).toBe(true)
    expect(sent.some((statement) => /^\s*(begin|rollback)\b/i.test(statement.text))).toBe(false)
  })

  it('when the take would cross a stock line, then the one statement places nothing and the usual transaction does it all', async () => {
    const product = await createProductWith({ stock: 3 })
    const sent = await statementsDuring(async () => {
      expect((await api.request('POST', '/orders', { product_id: product.id, quantity: 3 })).status).toBe(201)
    })
    const writes = sent.filter((statement) => ORDER_WRITE.test(statement.text)).map((s) => s.text.trim())
    expect(writes[0]).toMatch(/^with taken as/)
    // Then, in a transaction: the take and its stock.depleted, the order, its line, its movement, its event.
    expect(writes.slice(1).map((text) => /^\w+ \w+ \w+/.exec(text)![0])).toEqual([
      'update products set',
      'insert into events',
      'insert into orders',
      'insert into order_lines',
      'insert into stock_movements',
      'insert into events',
    ])
  })

  it('when a read keeps the row while the statement waits for the product’s lock, then the cache forgets it once the statement has returned', async () => {
    const { db } = api.app
    const cache = new CatalogueCache()
    cache.serve()
    const product = await createProductWith({ stock: 10 })
    const locker = new pg.Client({ connectionString: api.databaseUrl })
    await locker.connect()
    try {
      await locker.query('begin')
      await locker.query('select id from products where id = $1 for update', [product.id])
      const placing = orders.placeOrder(db, { product_id: product.id, quantity: 1 }, cache)
      await waitUntilWaitingForLock(locker)
      // The statement has told the cache and waits: a reader reads the row as committed and keeps it.
      expect((await products.getProduct(db, product.id, cache)).stock).toBe(10)
      expect(cache.product(product.id)?.stock).toBe(10)
      await locker.query('commit')
      expect((await placing).status).toBe('PENDING')
      expect(cache.product(product.id)).toBeUndefined()
      expect((await products.getProduct(db, product.id, cache)).stock).toBe(9)
    } finally {
      await locker.end()
    }
  })

  it('when placed inside a caller’s transaction, then the cache forgets what a reader kept meanwhile once that transaction has ended', async () => {
    const { db } = api.app
    const cache = new CatalogueCache()
    cache.serve()
    const product = await createProductWith({ stock: 10 })
    await inTransaction(db, async (trx) => {
      await orders.placeOrder(trx, { product_id: product.id, quantity: 4 }, cache)
      expect((await products.getProduct(db, product.id, cache)).stock).toBe(10)
      expect(cache.product(product.id)?.stock).toBe(10)
    })
    expect(cache.product(product.id)).toBeUndefined()
    expect((await products.getProduct(db, product.id, cache)).stock).toBe(6)
  })
})

/** Waits until another connection waits for a lock that `locker` holds. */
async function waitUntilWaitingForLock(locker: pg.Client): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    const { rows } = await locker.query<{ n: string }>(
      `select count(*) as n from pg_locks where not granted and pid <> pg_backend_pid()`,
    )
    if (Number(rows[0]!.n) > 0) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error('no statement came to wait for the lock')
}
