import { sql } from 'kysely'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { inTransaction } from '../../src/db/transaction.js'
import { CatalogueCache, type CachedPage } from '../../src/modules/products/catalogue-cache.js'
import * as products from '../../src/modules/products/service.js'
import { LISTENER_APPLICATION_NAME } from '../../src/plugins/catalogue-listener.js'
import { representationOf } from '../../src/shared/etag.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { buildProduct, createProduct } from '../helpers/builders.js'
import { createTestDatabase, onServer } from '../helpers/database.js'
import { sample } from '../helpers/metrics.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'

/*
 * The catalogue cache on PostgreSQL (docs/catalogue-cache.md): several instances, each with its
 * own pool and listener, on one database. The instance that wrote answers the new value on the
 * very next request; every other one within BOUND_MS (the notification's delay); an instance
 * whose listener is down reads from the database; a write by plain SQL reaches every instance.
 */

/** What the tests allow for a notification to reach another instance; typically a few ms. */
const BOUND_MS = 2000

interface Instances {
  apps: TestApp[]
  /** Each app's listener backend, to kill it. */
  listenerPids: number[]
  /** A plain connection to the database: the truth, and writes outside the service. */
  psql: pg.Client
  databaseName: string
}

let cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {})
  cleanup = []
})

async function listenerPids(psql: pg.Client): Promise<number[]> {
  const { rows } = await psql.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = current_database() and application_name = $1',
    [LISTENER_APPLICATION_NAME],
  )
  return rows.map((row) => row.pid)
}

/** `count` apps on one new database, started one after the other (the first migrates it). */
async function startInstances(count: number): Promise<Instances> {
  const database = await createTestDatabase('postgres')
  cleanup.push(() => database.drop())
  const apps: TestApp[] = []
  const pids: number[] = []
  let psql: pg.Client | undefined
  for (let i = 0; i < count; i += 1) {
    const api = await startTestApp({}, { databaseUrl: database.url })
    cleanup.push(() => api.close())
    apps.push(api)
    if (!psql) {
      psql = new pg.Client({ connectionString: database.url })
      await psql.connect()
      const connected = psql
      cleanup.push(() => connected.end())
    }
    // The listener the app just opened is the one not seen before.
    pids.push(...(await listenerPids(psql)).filter((pid) => !pids.includes(pid)))
    expect(pids).toHaveLength(i + 1)
  }
  return { apps, listenerPids: pids, psql: psql!, databaseName: new URL(database.url).pathname.slice(1) }
}

interface Seen {
  id: number
  name: string
  price: number
  stock: number
}
const seen = ({ id, name, price, stock }: Seen): Seen => ({ id, name, price, stock })

/** The live catalogue in the database, as the API shows it. */
async function truth(psql: pg.Client): Promise<Seen[]> {
  const { rows } = await psql.query<{ id: string; name: string; price_cents: string; stock: string }>(
    'select id, name, price_cents, stock from products where deleted_at is null order by id',
  )
  return rows.map((row) => ({
    id: Number(row.id),
    name: row.name,
    price: Number(row.price_cents) / 100,
    stock: Number(row.stock),
  }))
}

const PAGES = ['limit=2&offset=0', 'limit=100']

/** What `api` answers for these products, two pages and their X-Total-Count, one line each. */
async function answersOf(api: TestApp, ids: number[]): Promise<string[]> {
  const lines: string[] = []
  for (const id of ids) {
    const { status, body } = await api.request('GET', `/products/${id}`)
    lines.push(`product ${id}: ${status === 200 ? JSON.stringify(seen(body)) : status}`)
  }
  for (const query of PAGES) {
    const page = await api.request('GET', `/products?${query}`)
    lines.push(`page ${query}: ${JSON.stringify(page.body.map(seen))}, total ${page.headers['x-total-count']}`)
  }
  return lines
}

/** The same lines, as the database says they should be. */
function answersFrom(expected: Seen[], gone: number[]): string[] {
  const ids = [...expected.map((p) => p.id), ...gone]
  const byId = new Map(expected.map((p) => [p.id, p]))
  return [
    ...ids.map((id) => `product ${id}: ${byId.has(id) ? JSON.stringify(byId.get(id)) : 404}`),
    ...PAGES.map((query) => {
      const items = query === 'limit=100' ? expected.slice(0, 100) : expected.slice(0, 2)
      return `page ${query}: ${JSON.stringify(items)}, total ${expected.length}`
    }),
  ]
}

/** The lines where what `api` answers differs from the database. */
async function disagreements(api: TestApp, expected: Seen[], gone: number[] = []): Promise<string[]> {
  const answered = await answersOf(api, [...expected.map((p) => p.id), ...gone])
  const wanted = answersFrom(expected, gone)
  return answered.filter((line, i) => line !== wanted[i])
}

/** Waits until `api` agrees with the database, at most BOUND_MS; returns how long it took. */
async function agreesWithin(api: TestApp, expected: Seen[], gone: number[] = []): Promise<number> {
  const started = performance.now()
  for (;;) {
    const found = await disagreements(api, expected, gone)
    const elapsed = performance.now() - started
    if (found.length === 0) return elapsed
    if (elapsed > BOUND_MS) throw new Error(`still stale after ${BOUND_MS} ms: ${found.join('; ')}`)
    await new Promise((done) => setTimeout(done, 5))
  }
}

async function metric(api: TestApp, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sample((await api.request('GET', '/metrics')).text, name, labels)
}

async function hits(api: TestApp): Promise<number> {
  const text = (await api.request('GET', '/metrics')).text
  return (
    sample(text, 'catalogue_cache_hits_total', { kind: 'product' }) +
    sample(text, 'catalogue_cache_hits_total', { kind: 'page' })
  )
}

/** Reads every product, two pages and the total twice, so that the second reads are hits. */
async function warm(api: TestApp, ids: number[]): Promise<void> {
  for (let round = 0; round < 2; round += 1) {
    for (const id of ids) await api.request('GET', `/products/${id}`)
    await api.request('GET', '/products?limit=2&offset=0')
    await api.request('GET', '/products?limit=100')
  }
}

async function expectOk(response: Promise<{ status: number; text: string }>): Promise<void> {
  const { status, text } = await response
  expect(status, text).toBeLessThan(300)
}

describe('several instances on one PostgreSQL database', () => {
  it.each([2, 3])(
    'when each kind of product write goes through one of %i instances, then that one answers it at once and every other within the bound',
    async (count) => {
      const { apps, psql } = await startInstances(count)
      const [first] = apps
      const ids: number[] = []
      for (let i = 0; i < 5; i += 1) ids.push((await createProduct(first!, { stock: 20, price: 10 })).id)
      const gone: number[] = []
      for (const api of apps) {
        await warm(api, ids)
        expect(await disagreements(api, await truth(psql))).toEqual([])
      }
      const hitsBefore = await Promise.all(apps.map(hits))
      const [a, b, c] = ids as [number, number, number]

      const writes: [string, (api: TestApp) => Promise<void>][] = [
        ['PATCH price', (api) => expectOk(api.request('PATCH', `/products/${a}`, { price: 12.5 }))],
        ['PATCH stock', (api) => expectOk(api.request('PATCH', `/products/${a}`, { stock: 40 }))],
        ['an order', (api) => expectOk(api.request('POST', '/orders', { product_id: b, quantity: 2 }))],
        [
          'a stock adjustment',
          (api) => expectOk(api.request('POST', `/products/${b}/stock-adjustments`, { delta: 5, reason: 'received' })),
        ],
        [
          'a new product',
          async (api) => {
            const created = await api.request('POST', '/products', buildProduct({ price: 3, stock: 1 }))
            expect(created.status).toBe(201)
            ids.push(created.body.id)
          },
        ],
        [
          'a deleted product',
          async (api) => {
            expect((await api.request('DELETE', `/products/${c}`)).status).toBe(204)
            gone.push(c)
          },
        ],
      ]
      for (const [i, [what, write]] of writes.entries()) {
        const writer = apps[i % count]!
        await write(writer)
        // The writer's client: the very next requests, before anything else.
        const answered = await answersOf(writer, [...ids.filter((id) => !gone.includes(id)), ...gone])
        const expected = await truth(psql)
        expect(answered, `${what}, on the writer`).toEqual(answersFrom(expected, gone))
        for (const other of apps.filter((api) => api !== writer)) await agreesWithin(other, expected, gone)
        // Warm again, so that the next write meets a full cache everywhere.
        for (const api of apps)
          await warm(
            api,
            expected.map((p) => p.id),
          )
      }
      // The answers above came from the cache too: each instance served hits.
      const hitsAfter = await Promise.all(apps.map(hits))
      for (const [i, before] of hitsBefore.entries()) expect(hitsAfter[i]).toBeGreaterThan(before + 20)
    },
  )

  it('when writes through every instance race with many reads, then every instance ends agreeing with the database, and each writer reads its own write', async () => {
    const { apps, psql } = await startInstances(3)
    const ids: number[] = []
    for (let i = 0; i < 4; i += 1) ids.push((await createProduct(apps[0]!, { stock: 100 })).id)
    for (const api of apps) await warm(api, ids)
    const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!

    const reads = Array.from({ length: 300 }, async () => {
      const api = pick(apps)
      const url = Math.random() < 0.5 ? `/products/${pick(ids)}` : `/products?limit=${pick([2, 100])}`
      expect((await api.request('GET', url)).status).toBe(200)
    })
    // Stock only goes up here, so a read after a write's answer shows at least the stock it left.
    const writes = Array.from({ length: 60 }, async () => {
      const api = pick(apps)
      const id = pick(ids)
      const adjusted = await api.request('POST', `/products/${id}/stock-adjustments`, { delta: 1, reason: 'received' })
      expect(adjusted.status).toBe(201)
      const atLeast = adjusted.body.stock_after as number
      expect((await api.request('GET', `/products/${id}`)).body.stock).toBeGreaterThanOrEqual(atLeast)
      const page = await api.request('GET', '/products?limit=100')
      expect(page.body.find((p: Seen) => p.id === id).stock).toBeGreaterThanOrEqual(atLeast)
    })
    await Promise.all([...reads, ...writes])

    const expected = await truth(psql)
    expect(expected.reduce((sum, p) => sum + p.stock, 0)).toBe(4 * 100 + 60)
    for (const api of apps) await agreesWithin(api, expected)
    // Still agreeing a moment later: nothing stale was kept to come back.
    await new Promise((done) => setTimeout(done, 50))
    for (const api of apps) expect(await disagreements(api, expected)).toEqual([])
  })

  it('when a product is written by plain SQL (outside the service), then every instance shows it within the bound', async () => {
    const { apps, psql } = await startInstances(3)
    const ids: number[] = []
    for (let i = 0; i < 4; i += 1) ids.push((await createProduct(apps[0]!, { stock: 10 })).id)
    const [a, b] = ids as [number, number]
    const now = new Date().toISOString()
    const gone: number[] = []
    const statements: [string, unknown[], number?][] = [
      ['update products set price_cents = 4242, stock = 7 where id = $1', [a]],
      [
        `insert into products (sku, name, price_cents, stock, created_at, updated_at) values ('SQL-1', 'By hand', 100, 3, $1, $1)`,
        [now],
      ],
      // A soft delete, as the service does it.
      ['update products set deleted_at = $2 where id = $1', [b, now], b],
      ['update products set name = $2 where id = any($1)', [ids, 'Renamed by SQL']],
      // Many rows at once: more notifications arrive together than a listener applies one by one.
      [
        `insert into products (sku, name, price_cents, stock, created_at, updated_at)
          select 'SQL-BULK-' || n, 'Bulk ' || n, 100 + n, n, $1, $1 from generate_series(1, 150) as n`,
        [now],
      ],
      ['update products set stock = stock + 1 where deleted_at is null', []],
    ]
    for (const [statement, values, deleted] of statements) {
      for (const api of apps)
        await warm(
          api,
          (await truth(psql)).map((p) => p.id),
        )
      await psql.query(statement, values)
      if (deleted) gone.push(deleted)
      const expected = await truth(psql)
      for (const api of apps) await agreesWithin(api, expected, gone)
    }
  })
})

describe('a lost listener', () => {
  it('when an instance loses its listener, then it reads from the database (never stale) until the listener is back, and then serves from its cache again', async () => {
    const { apps, listenerPids, psql, databaseName } = await startInstances(2)
    const [writer, reader] = apps as [TestApp, TestApp]
    const ids: number[] = []
    for (let i = 0; i < 3; i += 1) ids.push((await createProduct(writer, { stock: 10, price: 1 })).id)
    const [id] = ids as [number]
    // Open a few pooled connections on each app: no new connection can be opened while the
    // database refuses them below, and the pools' idle ones serve meanwhile.
    for (const api of apps)
      await Promise.all(Array.from({ length: 4 }, () => sql`select pg_sleep(0.05)`.execute(api.app.db)))
    await warm(reader, ids)
    expect(await metric(reader, 'catalogue_cache_serving')).toBe(1)

    const allowConnections = (allow: boolean) =>
      onServer((client) => client.query(`alter database ${databaseName} allow_connections ${allow}`))
    cleanup.push(() => allowConnections(true))
    // The listener cannot come back while the database refuses new connections.
    await allowConnections(false)
    await psql.query('select pg_terminate_backend($1)', [listenerPids[1]])
    const deadline = Date.now() + BOUND_MS
    while ((await metric(reader, 'catalogue_cache_serving')) !== 0) {
      if (Date.now() > deadline) throw new Error('the reader did not notice its listener was gone')
      await new Promise((done) => setTimeout(done, 5))
    }

    const hitsWhileDown = await hits(reader)
    for (let price = 2; price < 6; price += 1) {
      await expectOk(writer.request('PATCH', `/products/${id}`, { price }))
      // No notification reaches the reader now: only reading the database keeps it right.
      expect(await disagreements(reader, await truth(psql))).toEqual([])
    }
    ids.push((await createProduct(writer)).id)
    expect(await disagreements(reader, await truth(psql))).toEqual([])
    expect(await hits(reader)).toBe(hitsWhileDown)
    expect(await metric(reader, 'catalogue_cache_serving')).toBe(0)

    await allowConnections(true)
    const back = Date.now() + BOUND_MS + 1000
    while ((await metric(reader, 'catalogue_cache_serving')) !== 1) {
      if (Date.now() > back) throw new Error('the listener did not come back')
      await new Promise((done) => setTimeout(done, 20))
    }
    await warm(reader, ids)
    expect(await hits(reader)).toBeGreaterThan(hitsWhileDown)
    // And it hears the writer again.
    await expectOk(writer.request('PATCH', `/products/${id}`, { price: 9 }))
    await agreesWithin(reader, await truth(psql))
  })

  it('when the listener connection goes silent without an error, then the heartbeat gives it up within about 3 s and a new one serves', async () => {
    const database = await createTestDatabase('postgres')
    cleanup.push(() => database.drop())
    const direct = new URL(database.url)
    const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) })
    cleanup.push(() => proxy.close())
    const viaProxy = new URL(database.url)
    viaProxy.port = String(proxy.port)
    const api = await startTestApp({ DATABASE_STATEMENT_TIMEOUT_MS: '500' }, { databaseUrl: viaProxy.toString() })
    cleanup.push(() => api.close())
    const cache = api.app.catalogueCache
    expect(cache.serving).toBe(true)

    // No reset, no end: the socket stays open and nothing comes through, as after a failover.
    proxy.freezeOpenConnections()
    const frozenAt = performance.now()
    while (cache.serving) {
      if (performance.now() - frozenAt > 4000) throw new Error('the stalled listener was not noticed')
      await new Promise((done) => setTimeout(done, 20))
    }
    expect(performance.now() - frozenAt).toBeLessThan(3500)
    // New connections work: it listens again.
    while (!cache.serving) {
      if (performance.now() - frozenAt > 6000) throw new Error('the listener did not come back')
      await new Promise((done) => setTimeout(done, 20))
    }
  })

  it('when an app closes, even right after losing its listener, then no listener connection is left and nothing reconnects', async () => {
    const timersBefore = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length
    const {
      apps,
      listenerPids: [pid],
      psql,
    } = await startInstances(1)
    await psql.query('select pg_terminate_backend($1)', [pid])
    // Closed once the loss is seen, while the app waits to reconnect.
    while (apps[0]!.app.catalogueCache.serving) await new Promise((done) => setTimeout(done, 1))
    await apps[0]!.close()
    // Longer than the first wait before reconnecting (50 ms), shorter than a heartbeat's interval.
    await new Promise((done) => setTimeout(done, 300))
    expect(await listenerPids(psql)).toEqual([])
    const timersAfter = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length
    expect(timersAfter).toBeLessThanOrEqual(timersBefore)
  })
})

describe('below HTTP: the cache on PostgreSQL', () => {
  const product = (id: number, price = 1) =>
    representationOf({
      id,
      sku: `S-${id}`,
      name: `P ${id}`,
      price,
      stock: 1,
      low_stock_threshold: null,
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    })
  const page = (ids: number[], limit = ids.length): CachedPage => ({
    json: Buffer.from(JSON.stringify(ids)),
    limit,
    size: ids.length,
    firstId: ids[0],
    lastId: ids.at(-1),
  })
  const serving = () => {
    const cache = new CatalogueCache()
    cache.serve()
    return cache
  }

  it('when a notice comes while a read is in flight, then the read keeps only what the notice does not concern', () => {
    const cache = serving()
    const mark = cache.beginRead()
    cache.changed(7)
    cache.keepProduct(product(7), mark)
    cache.keepProduct(product(900), mark)
    cache.keepPage('page with 7', page([5, 6, 7, 8]), mark)
    cache.keepPage('page 50', page([50, 51, 52, 53]), mark)
    cache.keepTotal(60, mark)
    expect(cache.product(7)).toBeUndefined()
    expect(cache.product(900)).toBeDefined()
    expect(cache.page('page with 7')).toBeUndefined()
    expect(cache.page('page 50')).toBeDefined()
    expect(cache.total()).toBe(60)

    const later = cache.beginRead()
    cache.removed(30)
    cache.keepTotal(59, later)
    cache.keepPage('page 10', page([10, 11]), later)
    cache.keepPage('page 40', page([40, 41]), later)
    expect(cache.total()).toBeUndefined()
    expect(cache.page('page 10')).toBeDefined()
    expect(cache.page('page 40')).toBeUndefined()
  })

  it('when more notices came during a read than the cache remembers, then the read keeps nothing', () => {
    const cache = serving()
    const mark = cache.beginRead()
    for (let i = 0; i < 5000; i += 1) cache.changed(1)
    cache.keepProduct(product(900), mark)
    expect(cache.product(900)).toBeUndefined()
    cache.keepProduct(product(900), cache.beginRead())
    expect(cache.product(900)).toBeDefined()
  })

  it('when the writer adds a product (its id not known yet), then every page goes: on PostgreSQL ids may commit out of order', () => {
    const cache = serving()
    cache.keepPage('full', page([1, 2, 3]), cache.beginRead())
    cache.keepPage('short', page([4], 3), cache.beginRead())
    cache.added(99)
    expect(cache.page('full')).toBeDefined()
    expect(cache.page('short')).toBeUndefined()
    cache.keepPage('short', page([4, 99], 3), cache.beginRead())
    cache.added()
    expect(cache.page('full')).toBeUndefined()
    expect(cache.page('short')).toBeUndefined()
  })

  it('when it is not serving (no listener), then nothing is found or kept; once serving, nothing read before is kept', () => {
    const cache = new CatalogueCache()
    const before = cache.beginRead()
    cache.keepProduct(product(1), before)
    expect(cache.product(1)).toBeUndefined()
    cache.serve()
    cache.keepProduct(product(1), before)
    expect(cache.product(1)).toBeUndefined()
    cache.keepProduct(product(1), cache.beginRead())
    expect(cache.product(1)).toBeDefined()
    const during = cache.beginRead()
    cache.stopServing()
    expect(cache.product(1)).toBeUndefined()
    cache.serve()
    cache.keepProduct(product(1), during)
    expect(cache.product(1)).toBeUndefined()
  })

  it('when a request comes after a notice, then it does not join a read begun before it', async () => {
    const cache = serving()
    let reads = 0
    const read = () => new Promise<number>((done) => setTimeout(() => done((reads += 1)), 10))
    const first = cache.shared('k', read)
    const joined = cache.shared('k', read)
    cache.changed(1)
    const after = cache.shared('k', read)
    expect(await Promise.all([first, joined, after])).toEqual([1, 1, 2])
  })

  it('when a read runs beside a write and keeps the row as it was before the commit, then the write drops it once committed, before it answers', async () => {
    const api = await startTestApp()
    cleanup.push(() => api.close())
    const { db } = api.app
    // Without a listener: only the writer's own notices reach this cache.
    const cache = serving()
    const created = await products.createProduct(db, { sku: 'RACE-PG', name: 'race', price: 10, stock: 5 }, cache)
    const pageOf = async () =>
      JSON.parse(String((await products.listProducts(db, { limit: 10, offset: 0 }, cache)).json))[0].price
    await inTransaction(db, async (trx) => {
      await products.updateProduct(trx, created.id, { price: 99 }, cache)
      // Not committed yet: a reader on another connection reads and keeps the old row and page.
      expect((await products.getProduct(db, created.id, cache)).price).toBe(10)
      expect(await pageOf()).toBe(10)
      expect(cache.product(created.id)?.price).toBe(10)
    })
    expect(cache.product(created.id)).toBeUndefined()
    expect((await products.getProduct(db, created.id, cache)).price).toBe(99)
    expect(await pageOf()).toBe(99)
  })
})
