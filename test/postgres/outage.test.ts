import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { createProduct } from '../helpers/builders.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { sample } from '../helpers/metrics.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'

let database: TestDatabase
let proxy: Awaited<ReturnType<typeof startTcpProxy>>
let api: TestApp

beforeAll(async () => {
  database = await createTestDatabase('postgres')
  const direct = new URL(database.url)
  proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) })
  const viaProxy = new URL(database.url)
  viaProxy.hostname = '127.0.0.1'
  viaProxy.port = String(proxy.port)
  api = await startTestApp(
    { DATABASE_CONNECT_TIMEOUT_MS: '1000', DATABASE_STATEMENT_TIMEOUT_MS: '700', DATABASE_POOL_SIZE: '4' },
    { databaseUrl: viaProxy.toString() },
  )
})

afterAll(async () => {
  proxy.restore()
  await api.close()
  await proxy.close()
  await database.drop()
})

async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('losing the PostgreSQL connection', () => {
  it('when the database goes away, then requests get 503 with a detail; when it returns, then the service recovers without a restart', async () => {
    const product = await createProduct(api, { stock: 5 })
    expect((await api.request('GET', '/ready')).status).toBe(200)

    proxy.cut()
    // Restored in `finally`: a failed check must not leave the database away for the next tests.
    try {
      const ready = await api.request('GET', '/ready')
      expect(ready.status).toBe(503)
      expect(ready.body).toEqual({ detail: expect.any(String) })
      for (const [method, url, body] of [
        ['GET', `/products/${product.id}`, undefined],
        ['GET', '/orders', undefined],
        ['POST', '/orders', { product_id: product.id, quantity: 1 }],
      ] as const) {
        const response = await api.request(method, url, body)
        expect(response.status, `${method} ${url}`).toBe(503)
        expect(response.body).toEqual({ detail: 'Database unavailable, please retry' })
        expect(response.headers['retry-after']).toBe('1')
      }
      expect((await api.request('GET', '/health')).status).toBe(200)
    } finally {
      proxy.restore()
    }
    await eventually(async () => (await api.request('GET', '/ready')).status === 200)
    expect((await api.request('POST', '/orders', { product_id: product.id, quantity: 2 })).status).toBe(201)
    // The failed order took nothing.
    expect((await api.request('GET', `/products/${product.id}`)).body.stock).toBe(3)
  })

  it('when the database stops answering, then requests fail with 503 after the connect timeout instead of hanging', async () => {
    const product = await createProduct(api)
    proxy.blackhole()
    try {
      const started = Date.now()
      const responses = await Promise.all(
        Array.from({ length: 6 }, () => api.request('GET', `/products/${product.id}`)),
      )
      expect(responses.map((r) => r.status)).toEqual(Array(6).fill(503))
      expect(Date.now() - started).toBeLessThan(15_000) // a hang would hit the test timeout instead
    } finally {
      proxy.restore()
    }
    // An order, not a product read: those may come from the catalogue cache without a connection.
    await eventually(async () => (await api.request('GET', '/orders?limit=1')).status === 200)
  })

  it('when the server freezes with connections open, then requests and /ready get 503 instead of hanging', async () => {
    const product = await createProduct(api)
    // Warm the pool so that requests pick connections that are already open.
    await Promise.all(Array.from({ length: 8 }, () => api.request('GET', `/products/${product.id}`)))
    proxy.stall()
    try {
      const [ready, ...responses] = await Promise.all([
        api.request('GET', '/ready'),
        ...Array.from({ length: 6 }, () => api.request('GET', `/products/${product.id}`)),
      ])
      expect(ready.status).toBe(503)
      expect(responses.map((r) => r.status)).toEqual(Array(6).fill(503))
    } finally {
      // The server wakes up and sends the replies it owed. Connections that timed out were thrown
      // away, so no late reply can be taken for the answer to a later query.
      proxy.resume()
    }
    const others = await Promise.all(Array.from({ length: 4 }, (_, i) => createProduct(api, { name: `Other ${i}` })))
    const answers = await Promise.all(others.map((p) => api.request('GET', `/products/${p.id}`)))
    expect(answers.map((r) => r.body.id)).toEqual(others.map((p) => p.id))
    expect((await api.request('GET', '/ready')).status).toBe(200)
  })

  it('when the connections in the pool go silent for good but new ones work, then the service moves to new ones', async () => {
    // Order reads: they always query the database (product reads may come from the catalogue cache).
    const order = (await api.request('POST', '/orders', { product_id: (await createProduct(api)).id, quantity: 1 }))
      .body
    const read = () => api.request('GET', `/orders/${order.id}`)
    await Promise.all(Array.from({ length: 8 }, read))
    proxy.freezeOpenConnections()
    try {
      // The requests that meet a silent connection time out (503); those connections are dropped.
      await Promise.all(Array.from({ length: 8 }, read))
      const after = await Promise.all(Array.from({ length: 8 }, read))
      expect(after.map((r) => r.status)).toEqual(Array(8).fill(200))
    } finally {
      proxy.restore()
    }
    // An order, not a product read: those may come from the catalogue cache without a connection.
    await eventually(async () => (await api.request('GET', '/orders?limit=1')).status === 200)
  })

  it('when a query waits longer than the statement timeout, then 503, and the row is usable once released', async () => {
    const product = await createProduct(api, { stock: 4 })
    const locker = new pg.Client({ connectionString: database.url })
    await locker.connect()
    try {
      await locker.query('begin')
      await locker.query('select * from products where id = $1 for update', [product.id])
      const blocked = await api.request('POST', '/orders', { product_id: product.id, quantity: 1 })
      expect(blocked.status).toBe(503)
      expect(blocked.body).toEqual({ detail: 'Database unavailable, please retry' })
      await locker.query('rollback')
    } finally {
      await locker.end()
    }
    expect((await api.request('POST', '/orders', { product_id: product.id, quantity: 1 })).status).toBe(201)
    expect((await api.request('GET', `/products/${product.id}`)).body.stock).toBe(3)
  })
})

describe('pool size', () => {
  it('when many requests arrive at once, then the pool never opens more connections than DATABASE_POOL_SIZE', async () => {
    const own = await createTestDatabase('postgres')
    const pooled = await startTestApp({ DATABASE_POOL_SIZE: '3' }, { databaseUrl: own.url })
    const watcher = new pg.Client({ connectionString: own.url })
    await watcher.connect()
    const counts: number[] = []
    try {
      const product = await createProduct(pooled, { stock: 1000 })
      const load = Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          i % 2
            ? pooled.request('POST', '/orders', { product_id: product.id, quantity: 1 })
            : pooled.request('GET', '/products'),
        ),
      )
      for (let i = 0; i < 5; i++) {
        const { rows } = await watcher.query<{ n: string }>(
          "select count(*) as n from pg_stat_activity where datname = current_database() and application_name = 'orders-inventory'",
        )
        counts.push(Number(rows[0]!.n))
      }
      const statuses = (await load).map((r) => r.status)
      expect(statuses.filter((status) => status !== 200 && status !== 201)).toEqual([])
      // The pool's gauges on /metrics tell the same story.
      const exposed = (await pooled.request('GET', '/metrics')).text
      const inUse = sample(exposed, 'db_pool_connections', { state: 'in_use' })
      const idle = sample(exposed, 'db_pool_connections', { state: 'idle' })
      expect(inUse + idle).toBeGreaterThan(0)
      expect(inUse + idle).toBeLessThanOrEqual(3)
      expect(exposed).toMatch(/^db_pool_waiting_requests 0$/m)
    } finally {
      await watcher.end()
      await pooled.close()
      await own.drop()
    }
    expect(Math.max(...counts)).toBeLessThanOrEqual(3)
    expect(Math.max(...counts)).toBeGreaterThan(0)
  })
})
