import SQLite from 'better-sqlite3'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { sqliteCommitStats, sqlitePathFromUrl } from '../../src/db/connect.js'
import { sample } from '../helpers/metrics.js'
import { startTestApp, type Reply, type TestApp } from '../helpers/app.js'
import { buildProduct, createProduct } from '../helpers/builders.js'

/**
 * Another process (a second instance, a seed script, a migration) holding SQLite's write lock: this
 * process keeps answering while its writes wait for the lock, and a write that waits too long gets
 * 503 with nothing of it stored.
 */
describe('SQLite write lock held by another process', () => {
  let api: TestApp
  let holder: SQLite.Database | undefined
  afterEach(async () => {
    if (holder?.inTransaction) holder.exec('rollback')
    holder?.close()
    holder = undefined
    await api.close()
  })

  /** Another connection on the app's file that takes the write lock and keeps it. */
  function holdWriteLock(): SQLite.Database {
    holder = new SQLite(sqlitePathFromUrl(api.databaseUrl))
    holder.exec('begin immediate')
    return holder
  }

  /** Starts a request without waiting for it; `settled()` says whether it has been answered. */
  function start(request: Promise<Reply>) {
    let settled = false
    const answered = request.finally(() => (settled = true))
    return { answered, settled: () => settled }
  }

  /**
   * Until this many writes of the app wait for the lock: they have reached the database (the
   * driver's counter only tells when; what the tests assert is seen through the API).
   */
  async function untilWaiting(writes: number) {
    await vi.waitFor(() => expect(sqliteCommitStats(api.app.db)!.lockWaits).toBeGreaterThanOrEqual(writes), {
      timeout: 10_000,
    })
  }

  // Writes may wait long here: a slow machine cannot turn a waiting write into a 503.
  const patient = { DATABASE_CONNECT_TIMEOUT_MS: '20000' }

  it('when another process holds the write lock, then /health and reads answer while a write waits, and the write lands once the lock is free', async () => {
    api = await startTestApp(patient)
    const product = await createProduct(api, { stock: 10 })
    const lock = holdWriteLock()

    const order = start(api.request('POST', '/orders', { product_id: product.id, quantity: 3 }))
    await untilWaiting(1)

    const health = await api.request('GET', '/health')
    expect(health.status).toBe(200)
    expect(order.settled()).toBe(false)
    const orders = await api.request('GET', '/orders')
    expect(orders.status).toBe(200)
    expect(orders.body).toEqual([])
    const read = await api.request('GET', `/products/${product.id}`)
    expect(read.status).toBe(200)
    expect(read.body.stock).toBe(10)
    expect(order.settled()).toBe(false)

    lock.exec('commit')
    const placed = await order.answered
    expect(placed.status).toBe(201)
    expect(placed.body).toMatchObject({ product_id: product.id, quantity: 3, status: 'PENDING' })
    expect((await api.request('GET', `/products/${product.id}`)).body.stock).toBe(7)
    expect((await api.request('GET', '/orders')).body).toMatchObject([{ id: placed.body.id, quantity: 3 }])
  })

  it('when many writes wait for the lock, then all of them land once it is free, none lost or doubled', async () => {
    api = await startTestApp(patient)
    const product = await createProduct(api, { stock: 100 })
    const lock = holdWriteLock()

    const orders = Array.from({ length: 30 }, () =>
      start(api.request('POST', '/orders', { product_id: product.id, quantity: 2 })),
    )
    const added = Array.from({ length: 10 }, (_, i) =>
      start(api.request('POST', '/products', buildProduct({ sku: `WAITED-${i}` }))),
    )
    await untilWaiting(40)
    expect((await api.request('GET', '/health')).status).toBe(200)
    expect([...orders, ...added].some((write) => write.settled())).toBe(false)

    lock.exec('commit')
    const placed = await Promise.all(orders.map((o) => o.answered))
    expect(placed.map((r) => r.status)).toEqual(Array(30).fill(201))
    // First come, first served: the writes ran in the order they arrived.
    const ids = placed.map((r) => r.body.id as number)
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
    expect((await Promise.all(added.map((p) => p.answered))).map((r) => r.status)).toEqual(Array(10).fill(201))
    expect((await api.request('GET', `/products/${product.id}`)).body.stock).toBe(40)
    expect((await api.request('GET', '/orders?limit=1000')).body).toHaveLength(30)
    const skus = (await api.request('GET', '/products?limit=1000')).body.map((p: { sku: string }) => p.sku)
    expect(skus.filter((sku: string) => sku.startsWith('WAITED-')).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `WAITED-${i}`),
    )
  })

  it('when the lock is held past DATABASE_CONNECT_TIMEOUT_MS, then the write gets 503 with Retry-After, nothing of it is stored, and it succeeds once the lock is free', async () => {
    api = await startTestApp({ DATABASE_CONNECT_TIMEOUT_MS: '300' })
    const product = await createProduct(api, { stock: 10 })
    // The product's event is fanned out first, so that only the two writes below meet the lock.
    await api.app.outbox.drain()
    const lock = holdWriteLock()

    const order = start(api.request('POST', '/orders', { product_id: product.id, quantity: 4 }))
    await untilWaiting(1)
    expect((await api.request('GET', '/health')).status).toBe(200)
    const refused = await order.answered
    expect(refused.status).toBe(503)
    expect(refused.headers['retry-after']).toBeDefined()
    expect(refused.body).toEqual({ detail: expect.any(String) })
    const payload = buildProduct({ sku: 'LOCKED-OUT' })
    const refusedProduct = await api.request('POST', '/products', payload)
    expect(refusedProduct.status).toBe(503)
    expect(refusedProduct.headers['retry-after']).toBeDefined()

    lock.exec('commit')
    // Nothing of either write was stored.
    expect((await api.request('GET', `/products/${product.id}`)).body.stock).toBe(10)
    expect((await api.request('GET', '/orders')).body).toEqual([])
    expect((await api.request('GET', '/products?limit=1000')).body).toHaveLength(1)

    const retried = await api.request('POST', '/orders', { product_id: product.id, quantity: 4 })
    expect(retried.status).toBe(201)
    expect((await api.request('POST', '/products', payload)).status).toBe(201)
    expect((await api.request('GET', `/products/${product.id}`)).body.stock).toBe(6)
    expect((await api.request('GET', '/orders')).body).toHaveLength(1)
    const metrics = (await api.request('GET', '/metrics')).text
    expect(sample(metrics, 'sqlite_write_lock_waits_total')).toBeGreaterThanOrEqual(2)
    expect(sample(metrics, 'sqlite_write_lock_timeouts_total')).toBe(2)
  })

  it('when the service closes while a write waits for the lock, then the write gets 503 and the close does not wait for the lock', async () => {
    // Longer than the test's own timeout: a close that waited for the lock would fail the test.
    api = await startTestApp({ DATABASE_CONNECT_TIMEOUT_MS: '60000' })
    const product = await createProduct(api, { stock: 10 })
    const lock = holdWriteLock()

    const order = start(api.request('POST', '/orders', { product_id: product.id, quantity: 1 }))
    await untilWaiting(1)
    await api.app.close()
    const refused = await order.answered
    expect(refused.status).toBe(503)
    expect(refused.headers['retry-after']).toBeDefined()
    lock.exec('commit')
    expect(lock.prepare('select count(*) from orders').pluck().get()).toBe(0)
  })
})
