import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDb } from '../src/db/connect.js'
import { migrateTo, migrateToLatest } from '../src/db/migrate.js'
import type { Db } from '../src/db/types.js'
import { startTestApp } from './helpers/app.js'
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from './helpers/database.js'

const databaseConfig = (url: string) => ({ url, poolSize: 2, statementTimeoutMs: 0, connectTimeoutMs: 5000 })

describe('migrations keep the data written by older schemas', () => {
  let database: TestDatabase
  let old: Db
  beforeAll(async () => {
    database = await createTestDatabase()
    old = createDb(databaseConfig(database.url))
  })
  afterAll(async () => {
    await old.destroy().catch(() => {})
    await database.drop()
  })

  it('when a 0001 database with products, orders and webhook events is migrated, then every row reads back the same', async () => {
    await migrateTo(old, '0001_initial')
    const at = '2026-01-02T03:04:05.000Z'
    await sql`insert into products (sku, name, price_cents, stock, created_at, updated_at, deleted_at)
      values ('OLD-1', 'Old mug', 99999999, 7, ${at}, ${at}, null),
             ('OLD-2', 'Gone', 150, 0, ${at}, ${at}, ${at})`.execute(old)
    await sql`insert into orders (product_id, quantity, status, unit_price_cents, created_at, updated_at)
      values (1, 3, 'PAID', 99999999, ${at}, ${at}), (2, 1, 'CANCELED', 150, ${at}, ${at}),
             (1, 1, 'CANCELED', 99999999, ${at}, ${at})`.execute(old)
    // A deleted order: its id must never be given again.
    await sql`delete from orders where id = 3`.execute(old)
    await sql`insert into webhook_events (event_id, event_type, order_id, received_at)
      values ('evt-old', 'payment.succeeded', 1, ${at})`.execute(old)
    await old.destroy()

    const api = await startTestApp({}, { databaseUrl: database.url })
    try {
      expect((await api.request('GET', '/products/1')).body).toMatchObject({
        sku: 'OLD-1',
        price: 999999.99,
        stock: 7,
        created_at: at,
      })
      expect((await api.request('GET', '/products/2')).status).toBe(404)
      expect((await api.request('GET', '/orders?limit=10')).body).toMatchObject([
        { id: 1, product_id: 1, quantity: 3, status: 'PAID', unit_price: 999999.99, total: 2999999.97 },
        { id: 2, product_id: 2, quantity: 1, status: 'CANCELED', unit_price: 1.5 },
      ])
      // Every order became one line, with its unit price and total.
      expect((await api.request('GET', '/orders/1')).body.items).toEqual([
        { product_id: 1, quantity: 3, unit_price: 999999.99, total: 2999999.97 },
      ])
      expect((await api.request('GET', '/orders/2')).body.items).toEqual([
        { product_id: 2, quantity: 1, unit_price: 1.5, total: 1.5 },
      ])
      expect((await api.request('GET', '/orders?product_id=1')).body.map((o: { id: number }) => o.id)).toEqual([1])
      // The ledger starts from the stock each product had: the books balance from day one.
      expect((await api.request('GET', '/products/1/stock-movements')).body).toMatchObject([
        { product_id: 1, delta: 7, stock_after: 7, reason: 'initial', order_id: null },
      ])
      expect((await api.request('GET', '/inventory/reconciliation')).body).toMatchObject({ checked: 2, mismatches: [] })
      // Orders canceled before holds existed were canceled on request; none expires.
      expect((await api.request('GET', '/orders/2')).body).toMatchObject({
        cancel_reason: 'requested',
        expires_at: null,
      })
      expect((await api.request('GET', '/orders/1')).body).toMatchObject({ cancel_reason: null, expires_at: null })
      // Products of the old schema have no low-stock threshold; the outbox starts empty (the past
      // is not replayed as events) and records the changes from now on.
      expect((await api.request('GET', '/products/1')).body.low_stock_threshold).toBeNull()
      expect((await api.request('GET', '/events')).body).toEqual([])
      // The new limits hold on the migrated tables: a price of ten billion, and its orders.
      const product = await api.request('PATCH', '/products/1', { price: 10_000_000_000, stock: 100 })
      expect(product.body.price).toBe(10_000_000_000)
      const order = await api.request('POST', '/orders', { product_id: 1, quantity: 99 })
      expect(order.status).toBe(201)
      expect(order.body.total).toBe(990_000_000_000)
      expect(order.body.id).toBe(4)
      // An order of the old schema still cancels, its line's units back to stock.
      expect((await api.request('DELETE', '/orders/1')).status).toBe(204)
      expect((await api.request('GET', '/products/1')).body.stock).toBe(100 - 99 + 3)
      const events = (await api.request('GET', '/events')).body as { type: string; data: { id: number } }[]
      expect(events.map((event) => [event.type, event.data.id])).toEqual([
        ['product.updated', 1],
        ['order.created', 4],
        ['order.canceled', 1],
      ])
    } finally {
      await api.close()
    }
  })
})

describe('0007: the catalogue notifications', () => {
  it('when it is undone and done again, then the triggers go and come back (none on SQLite)', async () => {
    const database = await createTestDatabase()
    const db = createDb(databaseConfig(database.url))
    const triggers = async () => {
      if (TEST_DIALECT === 'sqlite') return []
      const { rows } = await sql<{ name: string }>`select tgname as name from pg_trigger
        where tgrelid = 'products'::regclass and not tgisinternal order by tgname`.execute(db)
      return rows.map((row) => row.name)
    }
    const all = ['products_catalogue_row', 'products_catalogue_truncate']
    try {
      await migrateToLatest(db)
      expect(await triggers()).toEqual(TEST_DIALECT === 'sqlite' ? [] : all)
      await migrateTo(db, '0006_events_and_webhooks')
      expect(await triggers()).toEqual([])
      await migrateToLatest(db)
      expect(await triggers()).toEqual(TEST_DIALECT === 'sqlite' ? [] : all)
    } finally {
      await db.destroy()
      await database.drop()
    }
  })
})
