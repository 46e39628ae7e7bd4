import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDb, sqliteCommitStats, sqliteHandleOf, sqlitePathFromUrl } from '../../src/db/connect.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import type { Db } from '../../src/db/types.js'
import * as products from '../../src/modules/products/service.js'
import { startTestApp } from '../helpers/app.js'
import { buildProduct, createProduct } from '../helpers/builders.js'
import { sample } from '../helpers/metrics.js'

describe('SQLite group commit', () => {
  it('when 100 orders arrive together, then they share a few commits and all are on disk', async () => {
    const api = await startTestApp()
    try {
      const product = await createProduct(api, { stock: 1000 })
      const before = (await api.request('GET', '/metrics')).text
      const responses = await Promise.all(
        Array.from({ length: 100 }, () => api.request('POST', '/orders', { product_id: product.id, quantity: 2 })),
      )
      expect(responses.map((r) => r.status)).toEqual(Array(100).fill(201))
      const after = (await api.request('GET', '/metrics')).text
      const commits = sample(after, 'sqlite_commits_total') - sample(before, 'sqlite_commits_total')
      const writes = sample(after, 'sqlite_committed_writes_total') - sample(before, 'sqlite_committed_writes_total')
      // The 100 orders, and the outbox fanning their events out (a write of its own, now and then,
      // batched with the orders like any other).
      expect(writes).toBeGreaterThanOrEqual(100)
      expect(writes).toBeLessThan(100 + commits + 1)
      expect(commits).toBeGreaterThan(0)
      expect(commits).toBeLessThan(20)

      // Read straight from the file, by another connection: every answered order is committed.
      const file = new SQLite(sqlitePathFromUrl(api.databaseUrl), { readonly: true })
      try {
        const orders = file.prepare('select count(*) as n, sum(quantity) as units from orders').get() as {
          n: number
          units: number
        }
        const stock = file.prepare('select stock from products where id = ?').pluck().get(product.id)
        expect(orders).toEqual({ n: 100, units: 200 })
        expect(stock).toBe(800)
      } finally {
        file.close()
      }
    } finally {
      await api.close()
    }
  })

  it('when a read comes between writes, then it waits for their commit and the writes after it join', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orders-group-commit-'))
    const db = createDb({
      url: `sqlite:${join(dir, 'db.sqlite')}`,
      poolSize: 1,
      statementTimeoutMs: 0,
      connectTimeoutMs: 1000,
    })
    try {
      await migrateToLatest(db)
      const insert = (sku: string) =>
        db
          .insertInto('products')
          .values({
            sku,
            name: sku,
            price_cents: 100,
            stock: 1,
            created_at: 'now',
            updated_at: 'now',
            deleted_at: null,
          })
          .execute()
      const before = { ...sqliteCommitStats(db)! }
      // In this order: 10 writes, a read, 10 more writes, all queued at once.
      const first = Array.from({ length: 10 }, (_, i) => insert(`A-${i}`))
      const read = db
        .selectFrom('products')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      const second = Array.from({ length: 10 }, (_, i) => insert(`B-${i}`))
      await Promise.all([...first, ...second])
      // The read ran after the commit: it saw every write of that commit, none uncommitted.
      expect(Number((await read).n)).toBe(20)
      const after = sqliteCommitStats(db)!
      expect(after.writes - before.writes).toBe(20)
      expect(after.commits - before.commits).toBe(1)
    } finally {
      await db.destroy()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('when writes in one batch fail, then only they are undone and the others are kept', async () => {
    const api = await startTestApp()
    try {
      const product = await createProduct(api, { stock: 5 })
      const taken = await createProduct(api)
      const results = await Promise.all([
        ...Array.from({ length: 10 }, () => api.request('POST', '/orders', { product_id: product.id, quantity: 1 })),
        ...Array.from({ length: 10 }, (_, i) =>
          api.request('POST', '/products', buildProduct({ sku: i % 2 ? taken.sku : `BATCH-${i}` })),
        ),
      ])
      const statuses = results.map((r) => r.status)
      expect(statuses.slice(0, 10).sort()).toEqual([...Array(5).fill(201), ...Array(5).fill(409)])
      expect(statuses.slice(10)).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 ? 409 : 201)))
      expect((await api.request('GET', `/products/${product.id}`)).body.stock).toBe(0)
      const skus = (await api.request('GET', '/products?limit=1000')).body.map((p: { sku: string }) => p.sku)
      expect(skus.filter((sku: string) => sku.startsWith('BATCH-')).sort()).toEqual([
        'BATCH-0',
        'BATCH-2',
        'BATCH-4',
        'BATCH-6',
        'BATCH-8',
      ])
      expect((await api.request('GET', '/orders?limit=1000')).body).toHaveLength(5)
    } finally {
      await api.close()
    }
  })

  describe('at the database layer (real SQLite files)', () => {
    const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))
    let dir: string
    let db: Db
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'orders-group-commit-'))
      db = createDb({
        url: `sqlite:${join(dir, 'db.sqlite')}`,
        poolSize: 1,
        statementTimeoutMs: 0,
        connectTimeoutMs: 1000,
      })
      await migrateToLatest(db)
    })
    afterEach(async () => {
      await db.destroy().catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    })
    const insert = (d: Db, sku: string, name = sku) =>
      d
        .insertInto('products')
        .values({ sku, name, price_cents: 100, stock: 1, created_at: 'now', updated_at: 'now', deleted_at: null })
        .execute()

    it('when a read of a product waits behind a transaction and an update queues after it, then the update wins in memory too', async () => {
      const product = await products.createProduct(db, { sku: 'RACE-1', name: 'race', price: 10, stock: 5 })
      const holder = db.transaction().execute(async (trx) => {
        await trx.selectFrom('products').selectAll().execute()
        await sleep(20)
      })
      await sleep(1)
      const read = products.getProduct(db, product.id)
      const update = products.updateProduct(db, product.id, { price: 99 })
      await Promise.all([holder, read, update])
      expect((await products.getProduct(db, product.id)).price).toBe(99)
    })

    it('when the disk fills up during a batch, then every write of that batch is refused and later writes work', async () => {
      const sqlite = sqliteHandleOf(db)!
      await insert(db, 'seed')
      sqlite.pragma(`max_page_count = ${(sqlite.pragma('page_count', { simple: true }) as number) + 2}`)
      const waiting = insert(db, 'waiting').then(
        () => 'ok',
        (error: { code?: string }) => error.code,
      )
      const filling = db
        .transaction()
        .execute(async (trx) => {
          for (let i = 0; ; i++) await insert(trx, `big-${i}`, 'x'.repeat(200))
        })
        .then(
          () => 'ok',
          (error: { code?: string }) => error.code,
        )
      expect(await filling).toBe('SQLITE_FULL')
      sqlite.pragma('max_page_count = 1000000')
      await insert(db, 'after')
      expect(await waiting).toBe('SQLITE_FULL')
      const skus = await db.selectFrom('products').select('sku').where('sku', 'not like', 'big-%').execute()
      expect(skus.map((row) => row.sku)).toEqual(['seed', 'after'])
    })

    it('when the database is closed while a transaction runs, then the transaction finishes first, whole', async () => {
      await insert(db, 'p')
      const running = db.transaction().execute(async (trx) => {
        await trx.updateTable('products').set({ stock: 0 }).execute()
        await sleep(20)
        await trx.updateTable('products').set({ name: 'done' }).execute()
      })
      await sleep(1)
      await db.destroy()
      await running
      const file = new SQLite(join(dir, 'db.sqlite'), { readonly: true })
      try {
        expect(file.prepare('select stock, name from products').get()).toEqual({ stock: 0, name: 'done' })
      } finally {
        file.close()
      }
    })
  })
})
