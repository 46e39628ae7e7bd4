import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sqliteHandleOf } from '../src/db/connect.js'
import {
  completeKey,
  IDEMPOTENCY_MESSAGES,
  printOf,
  purgeExpiredKeys,
  reserveKey,
  startPurger,
  type KeyId,
  type RequestPrint,
} from '../src/plugins/idempotency.js'
import { startTestApp, type TestApp } from './helpers/app.js'
import { buildProduct } from './helpers/builders.js'
import { createTestDatabase, TEST_DIALECT } from './helpers/database.js'

/*
 * Idempotency-Key, with POST /products as the guarded operation: response (status, body, headers),
 * state (what the database holds afterwards) and the store's own guarantees below HTTP.
 */

let api: TestApp
beforeAll(async () => {
  api = await startTestApp()
})
afterAll(async () => {
  await api.close()
})

let keys = 0
/** A key no other test uses. */
const newKey = () => `key-${++keys}-${Math.random().toString(36).slice(2, 10)}`

const postProduct = (on: TestApp, body: unknown, key?: string, headers: Record<string, string> = {}) =>
  on.request('POST', '/products', body, key === undefined ? headers : { ...headers, 'Idempotency-Key': key })

async function productCount(on: TestApp = api, headers: Record<string, string> = {}): Promise<number> {
  return Number((await on.request('GET', '/products', undefined, headers)).headers['x-total-count'])
}

const recordOf = (on: TestApp, key: string, caller = '') =>
  on.app.db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('caller', '=', caller)
    .where('key', '=', key)
    .executeTakeFirst()

describe('replays', () => {
  it('when a POST is sent again with the same key and body, then the first status and body text come back with Idempotent-Replayed: true and nothing new is created', async () => {
    const key = newKey()
    const payload = buildProduct({ name: 'Café crème mug ☕', price: 12.5 })
    const before = await productCount()

    const first = await postProduct(api, payload, key)
    const again = await postProduct(api, payload, key)

    expect(first.status).toBe(201)
    expect(first.headers['idempotent-replayed']).toBeUndefined()
    expect(again.status).toBe(201)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.headers['content-type']).toBe(first.headers['content-type'])
    expect(again.text).toBe(first.text)
    expect(await productCount()).toBe(before + 1)
    // What was sent is the product as the API shows it anywhere else: the route's own serializer.
    expect(first.text).toBe((await api.request('GET', `/products/${first.body.id}`)).text)
  })

  it('when the key is sent in its quoted form, then it is the same key as unquoted', async () => {
    const key = newKey()
    const payload = buildProduct()
    const first = await postProduct(api, payload, `"${key}"`)
    expect(first.status).toBe(201)
    const again = await postProduct(api, payload, key)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.text).toBe(first.text)
    // Escapes of the quoted form (RFC 8941 strings) are undone: "a\"b" is the key a"b.
    const escaped = await postProduct(api, buildProduct(), '"quoted\\"key\\\\' + key + '"')
    expect(escaped.status).toBe(201)
    expect(await recordOf(api, `quoted"key\\${key}`)).toMatchObject({ state: 'done', response_status: 201 })
  })

  it('when the same request comes without the trailing slash, then it is still the same request', async () => {
    const key = newKey()
    const payload = buildProduct()
    const first = await api.request('POST', '/products/', payload, { 'Idempotency-Key': key })
    const again = await postProduct(api, payload, key)
    expect(first.status).toBe(201)
    expect(again.headers['idempotent-replayed']).toBe('true')
  })

  it('when the work itself answered 409 (SKU taken), then the 409 is recorded and replayed even after the SKU is free', async () => {
    const taken = (await postProduct(api, buildProduct())).body
    const key = newKey()
    const payload = buildProduct({ sku: taken.sku })

    const first = await postProduct(api, payload, key)
    expect(first.status).toBe(409)
    expect(first.body).toEqual({ detail: 'Product with this SKU already exists' })
    expect((await api.request('DELETE', `/products/${taken.id}`)).status).toBe(204)

    const again = await postProduct(api, payload, key)
    expect(again.status).toBe(409)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.text).toBe(first.text)
    // A new key is a new request: the SKU is free now.
    expect((await postProduct(api, payload, newKey())).status).toBe(201)
  })
})

describe('a key reused for another request', () => {
  it('when the same key comes with another body, then 422 and nothing is created', async () => {
    const key = newKey()
    expect((await postProduct(api, buildProduct(), key)).status).toBe(201)
    const before = await productCount()
    const reused = await postProduct(api, buildProduct(), key)
    expect(reused.status).toBe(422)
    expect(reused.body).toEqual({ detail: 'Idempotency-Key reused with a different request' })
    expect(await productCount()).toBe(before)
  })

  it('when the same key comes with the same body on another path (a query string), then 422', async () => {
    const key = newKey()
    const payload = buildProduct()
    expect((await postProduct(api, payload, key)).status).toBe(201)
    const reused = await api.request('POST', '/products?source=retry', payload, { 'Idempotency-Key': key })
    expect(reused.status).toBe(422)
    expect(reused.body).toEqual({ detail: IDEMPOTENCY_MESSAGES.reused })
  })

  it('when the body is the same JSON written differently, then it is another request (the fingerprint is of the raw body)', async () => {
    const key = newKey()
    const payload = buildProduct()
    expect((await postProduct(api, JSON.stringify(payload), key)).status).toBe(201)
    expect((await postProduct(api, JSON.stringify(payload, null, 2), key)).status).toBe(422)
  })

  it('when two API keys send the same Idempotency-Key, then each gets its own product, and each its own replay', async () => {
    const keyed = await startTestApp({ API_KEYS: 'shop:admin:shop-secret-1,backoffice:admin:office-secret-2' })
    try {
      const key = newKey()
      const shop = { authorization: 'Bearer shop-secret-1' }
      const office = { authorization: 'Bearer office-secret-2' }
      const [shopProduct, officeProduct] = [buildProduct(), buildProduct()]
      const fromShop = await postProduct(keyed, shopProduct, key, shop)
      const fromOffice = await postProduct(keyed, officeProduct, key, office)
      expect(fromShop.status).toBe(201)
      expect(fromOffice.status).toBe(201)
      expect(fromOffice.body.id).not.toBe(fromShop.body.id)
      const shopAgain = await postProduct(keyed, shopProduct, key, shop)
      const officeAgain = await postProduct(keyed, officeProduct, key, office)
      expect(shopAgain.headers['idempotent-replayed']).toBe('true')
      expect(shopAgain.text).toBe(fromShop.text)
      expect(officeAgain.headers['idempotent-replayed']).toBe('true')
      expect(officeAgain.text).toBe(fromOffice.text)
      expect(await productCount(keyed, shop)).toBe(2)
      expect(await recordOf(keyed, key, 'shop')).toMatchObject({ state: 'done' })
      expect(await recordOf(keyed, key, 'backoffice')).toMatchObject({ state: 'done' })
    } finally {
      await keyed.close()
    }
  })
})

describe('malformed keys', () => {
  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a control character', 'abc\u0001def'],
    ['a tab', 'abc\tdef'],
    ['non-ASCII', 'clé-1'],
    ['an unclosed quote', '"abc'],
    ['empty quotes', '""'],
    ['an unescaped quote inside quotes', '"ab"c"'],
  ])('when the key is %s, then 400 saying what a key must be, and nothing is created', async (_case, key) => {
    const before = await productCount()
    const response = await postProduct(api, buildProduct(), key)
    expect(response.status).toBe(400)
    expect(response.body).toEqual({ detail: IDEMPOTENCY_MESSAGES.malformed })
    expect(response.body.detail).toMatch(/1 to 255 printable ASCII/)
    expect(await productCount()).toBe(before)
  })

  it('when the key has 255 printable characters (spaces and quotes inside), then it is accepted', async () => {
    const key = `a "b" c ${'~'.repeat(247)}`
    expect(key).toHaveLength(255)
    expect((await postProduct(api, buildProduct(), key)).status).toBe(201)
  })

  it('when two Idempotency-Key headers are sent, then 400', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/products',
      headers: { 'content-type': 'application/json', 'idempotency-key': ['one', 'two'] },
      payload: JSON.stringify(buildProduct()),
    })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({ detail: IDEMPOTENCY_MESSAGES.repeated })
  })
})

describe('requests that leave no record', () => {
  it('when the first request failed validation (422), then no record is kept and the same key then works with a valid body', async () => {
    const key = newKey()
    const invalid = await postProduct(api, buildProduct({ price: -1 }), key)
    expect(invalid.status).toBe(422)
    expect(await recordOf(api, key)).toBeUndefined()
    const valid = await postProduct(api, buildProduct(), key)
    expect(valid.status).toBe(201)
    expect(valid.headers['idempotent-replayed']).toBeUndefined()
  })

  it('when the work fails with 503 after the key was reserved, then no record is left and the same key then works', async () => {
    const key = newKey()
    const payload = buildProduct()
    const before = await productCount()
    const outage = await failWrites(api, 'insert on products')
    let failed
    try {
      failed = await postProduct(api, payload, key)
    } finally {
      await outage.end()
    }
    expect(failed.status).toBe(503)
    expect(failed.headers['retry-after']).toBeDefined()
    expect(await recordOf(api, key)).toBeUndefined()

    const retried = await postProduct(api, payload, key)
    expect(retried.status).toBe(201)
    expect(retried.headers['idempotent-replayed']).toBeUndefined()
    expect(await productCount()).toBe(before + 1)
  })

  it('when recording the outcome fails, then the work is rolled back with it (one transaction): no product, no record', async () => {
    const key = newKey()
    const payload = buildProduct()
    const before = await productCount()
    const outage = await failWrites(api, 'update on idempotency_keys')
    let failed
    try {
      failed = await postProduct(api, payload, key)
    } finally {
      await outage.end()
    }
    expect(failed.status).toBe(503)
    expect(await productCount()).toBe(before)
    expect(await recordOf(api, key)).toBeUndefined()
    expect((await postProduct(api, payload, key)).status).toBe(201)
    expect(await productCount()).toBe(before + 1)
  })
})

describe('concurrency and leases', () => {
  it('when 30 requests with one key arrive at once, then exactly one product is created and the others get 409 in progress or the replay', async () => {
    const key = newKey()
    const payload = buildProduct()
    const before = await productCount()
    const answers = await Promise.all(Array.from({ length: 30 }, () => postProduct(api, payload, key)))

    const created = answers.filter((a) => a.status === 201 && a.headers['idempotent-replayed'] === undefined)
    const replayed = answers.filter((a) => a.status === 201 && a.headers['idempotent-replayed'] === 'true')
    const inProgress = answers.filter((a) => a.status === 409)
    expect(created).toHaveLength(1)
    expect(replayed.length + inProgress.length).toBe(29)
    for (const replay of replayed) expect(replay.text).toBe(created[0]!.text)
    for (const busy of inProgress) {
      expect(busy.body).toEqual({ detail: 'A request with this Idempotency-Key is in progress' })
      expect(busy.headers['retry-after']).toBe('1')
    }
    expect(await productCount()).toBe(before + 1)
  })

  it('when a request with the key is still running elsewhere, then 409 in progress with Retry-After; with another body, 422', async () => {
    const key = newKey()
    const payload = buildProduct()
    // Set-up: another instance has reserved the key and is still working on it.
    const running = await reserveKey(api.app.db, { caller: '', key }, postPrint('/products', payload), timing())
    expect(running).toBeDefined()

    const busy = await postProduct(api, payload, key)
    expect(busy.status).toBe(409)
    expect(busy.body).toEqual({ detail: IDEMPOTENCY_MESSAGES.inProgress })
    expect(busy.headers['retry-after']).toBe('1')
    expect((await postProduct(api, buildProduct(), key)).status).toBe(422)
  })

  it('when a running request has outlived its lease (its instance died), then the same request takes the key over and creates the product once', async () => {
    const key = newKey()
    const payload = buildProduct()
    const before = await productCount()
    const crashed = await reserveKey(api.app.db, { caller: '', key }, postPrint('/products', payload), timing())
    // Set-up: the lease of the crashed instance's reservation has run out.
    await api.app.db
      .updateTable('idempotency_keys')
      .set({ locked_until: new Date(Date.now() - 1000).toISOString() })
      .where('key', '=', key)
      .execute()

    const taken = await postProduct(api, payload, key)
    expect(taken.status).toBe(201)
    expect((await postProduct(api, payload, key)).headers['idempotent-replayed']).toBe('true')
    expect(await productCount()).toBe(before + 1)
    // The crashed holder, were it alive after all, can no longer complete the key.
    expect(await completeKey(api.app.db, { caller: '', key }, crashed!, 201, '{}')).toBe(false)
  })

  it('when a lease has run out, then only the same request may take it over, and the old holder can no longer complete (below HTTP)', async () => {
    const id: KeyId = { caller: 'store-test', key: newKey() }
    const print = postPrint('/products', { sku: 'LEASE' })
    const other = postPrint('/products', { sku: 'OTHER' })
    const start = Date.now()
    const at = (ms: number) => ({ now: start + ms, ttlMs: 3_600_000, leaseMs: 1000 })

    const first = await reserveKey(api.app.db, id, print, at(0))
    expect(first).toBeDefined()
    expect(await reserveKey(api.app.db, id, print, at(500))).toBeUndefined()
    expect(await reserveKey(api.app.db, id, other, at(2000))).toBeUndefined()
    const second = await reserveKey(api.app.db, id, print, at(2000))
    expect(second).toBeDefined()
    expect(second).not.toBe(first)
    expect(await completeKey(api.app.db, id, first!, 201, '{"from":"first"}')).toBe(false)
    expect(await completeKey(api.app.db, id, second!, 201, '{"from":"second"}')).toBe(true)
    // Done: no lease to take over any more, however late.
    expect(await reserveKey(api.app.db, id, print, at(60_000))).toBeUndefined()
    expect(await recordOf(api, id.key, id.caller)).toMatchObject({ state: 'done', response_body: '{"from":"second"}' })
  })
})

describe('instances and restarts', () => {
  it('when two instances share the database, then a key used on one is replayed by the other', async () => {
    const other = await startTestApp({}, { databaseUrl: api.databaseUrl })
    try {
      const key = newKey()
      const payload = buildProduct()
      const first = await postProduct(api, payload, key)
      const again = await postProduct(other, payload, key)
      expect(again.status).toBe(201)
      expect(again.headers['idempotent-replayed']).toBe('true')
      expect(again.text).toBe(first.text)
      expect((await postProduct(other, buildProduct(), key)).status).toBe(422)

      // And at once on both: still one product.
      const raced = newKey()
      const racedPayload = buildProduct()
      const before = await productCount()
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => postProduct(i % 2 ? other : api, racedPayload, raced)),
      )
      expect(answers.filter((a) => a.status === 201 && !a.headers['idempotent-replayed'])).toHaveLength(1)
      expect(answers.every((a) => a.status === 201 || a.status === 409)).toBe(true)
      expect(await productCount()).toBe(before + 1)
    } finally {
      await other.app.close()
    }
  })

  it('when the service restarts, then a key used before is still replayed', async () => {
    const database = await createTestDatabase()
    try {
      const before = await startTestApp({}, { databaseUrl: database.url })
      const key = newKey()
      const payload = buildProduct()
      const first = await postProduct(before, payload, key)
      await before.app.close()

      const after = await startTestApp({}, { databaseUrl: database.url })
      try {
        const again = await postProduct(after, payload, key)
        expect(again.status).toBe(201)
        expect(again.headers['idempotent-replayed']).toBe('true')
        expect(again.text).toBe(first.text)
        expect(await productCount(after)).toBe(1)
      } finally {
        await after.app.close()
      }
    } finally {
      await database.drop()
    }
  })
})

describe('expiry', () => {
  const expire = (key: string) =>
    // Set-up: the record's IDEMPOTENCY_TTL_HOURS have passed.
    api.app.db
      .updateTable('idempotency_keys')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('key', '=', key)
      .execute()

  it('when a key is used again after it expired, then it is a new key: a new request runs (no 422, no replay)', async () => {
    const key = newKey()
    const first = await postProduct(api, buildProduct(), key)
    await expire(key)
    const later = await postProduct(api, buildProduct(), key)
    expect(later.status).toBe(201)
    expect(later.headers['idempotent-replayed']).toBeUndefined()
    expect(later.body.id).not.toBe(first.body.id)
    const record = await recordOf(api, key)
    expect(new Date(record!.expires_at).getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000)
  })

  it('when records have expired, then the purge deletes them and only them', async () => {
    const [old, fresh] = [newKey(), newKey()]
    await postProduct(api, buildProduct(), old)
    await postProduct(api, buildProduct(), fresh)
    await expire(old)
    expect(await api.app.purgeExpiredIdempotencyKeys()).toBeGreaterThanOrEqual(1)
    expect(await recordOf(api, old)).toBeUndefined()
    expect(await recordOf(api, fresh)).toBeDefined()
  })

  it('when many records have expired, then each purge batch is bounded and the timer clears them all, until stopped (below HTTP)', async () => {
    const database = await createTestDatabase()
    const app = await startTestApp({}, { databaseUrl: database.url })
    try {
      const past = new Date(Date.now() - 1000).toISOString()
      const rows = Array.from({ length: 25 }, (_, i) => ({
        caller: '',
        key: `expired-${i}`,
        method: 'POST',
        path: '/products',
        fingerprint: 'f',
        state: 'done' as const,
        lease_token: 't',
        locked_until: past,
        response_status: 201,
        response_body: '{}',
        created_at: past,
        expires_at: past,
      }))
      await app.app.db.insertInto('idempotency_keys').values(rows).execute()
      expect(await purgeExpiredKeys(app.app.db, Date.now(), 10)).toBe(10)

      const purger = startPurger(app.app.db, app.app.log, { intervalMs: 20, batch: 4, maxBatches: 2 })
      try {
        await expect.poll(() => remaining(app), { timeout: 10_000 }).toBe(0)
      } finally {
        await purger.stop()
      }
      await app.app.db.insertInto('idempotency_keys').values(rows[0]!).execute()
      await new Promise((done) => setTimeout(done, 100))
      expect(await remaining(app)).toBe(1)
    } finally {
      await app.app.close()
      await database.drop()
    }
  })
})

describe('documentation', () => {
  it('when /openapi.json is read, then POST /products documents the header with an example, the TTL, 400, 409 and 422; the payment webhook does not take it', async () => {
    const doc = (await api.request('GET', '/openapi.json')).body
    const create = doc.paths['/products'].post
    const header = create.parameters.find((p: { in: string; name: string }) => p.in === 'header')
    expect(header).toMatchObject({ name: 'Idempotency-Key', required: false })
    expect(header.description).toMatch(/255 printable ASCII/)
    expect(header.schema.examples ?? header.example).toBeDefined()
    expect(create.description).toMatch(/Idempotency-Key.*24 hours \(IDEMPOTENCY_TTL_HOURS\)/s)
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['400', '409', '422']))
    expect(create.responses['201'].headers['Idempotent-Replayed']).toBeDefined()
    const webhook = doc.paths['/webhooks/payment'].post
    expect(JSON.stringify(webhook.parameters ?? [])).not.toMatch(/Idempotency-Key/i)
  })

  it('when IDEMPOTENCY_TTL_HOURS is set, then the OpenAPI document states that TTL', async () => {
    const other = await startTestApp({ IDEMPOTENCY_TTL_HOURS: '48' }, { databaseUrl: api.databaseUrl })
    try {
      const doc = (await other.request('GET', '/openapi.json')).body
      expect(doc.paths['/products'].post.description).toMatch(/48 hours/)
    } finally {
      await other.app.close()
    }
  })
})

describe('browsers (CORS)', () => {
  it('when CORS is on, then a browser may send Idempotency-Key and read Idempotent-Replayed (and the conditional-request headers)', async () => {
    const cors = await startTestApp({ CORS_ORIGINS: 'https://shop.example' }, { databaseUrl: api.databaseUrl })
    try {
      const preflight = await cors.request('OPTIONS', '/products', undefined, {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, idempotency-key',
      })
      expect(preflight.status).toBe(204)
      const allowed = String(preflight.headers['access-control-allow-headers'])
        .toLowerCase()
        .split(/\s*,\s*/)
      expect(allowed).toEqual(expect.arrayContaining(['idempotency-key', 'if-match', 'if-none-match']))
      const created = await postProduct(cors, buildProduct(), newKey(), { origin: 'https://shop.example' })
      const exposed = String(created.headers['access-control-expose-headers'])
        .toLowerCase()
        .split(/\s*,\s*/)
      expect(exposed).toEqual(expect.arrayContaining(['idempotent-replayed', 'etag', 'retry-after']))
    } finally {
      await cors.app.close()
    }
  })
})

// --- helpers -----------------------------------------------------------------------------------

function timing() {
  return { now: Date.now(), ttlMs: 24 * 3_600_000, leaseMs: 60_000 }
}

/** The print of a POST of this JSON body (its text as the test helper sends it). */
const postPrint = (path: string, body: unknown): RequestPrint => printOf('POST', path, JSON.stringify(body))

async function remaining(on: TestApp): Promise<number> {
  const row = await on.app.db
    .selectFrom('idempotency_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/**
 * Makes the database fail one kind of write as an unavailable database does (SQLITE_BUSY, or
 * PostgreSQL's 57P03 "cannot connect now"): both map to 503. `end` removes the failure.
 */
async function failWrites(on: TestApp, what: 'insert on products' | 'update on idempotency_keys') {
  const [, event, table] = /^(\w+) on (\w+)$/.exec(what)!
  const when = table === 'idempotency_keys' ? `when (new.state = 'done')` : ''
  if (TEST_DIALECT === 'sqlite') {
    sqliteHandleOf(on.app.db)!.function('simulated_outage', () => {
      throw Object.assign(new Error('database is locked (simulated)'), { code: 'SQLITE_BUSY' })
    })
    await sql
      .raw(`create trigger simulated_outage before ${event} on ${table} ${when} begin select simulated_outage(); end`)
      .execute(on.app.db)
    return { end: () => sql.raw('drop trigger simulated_outage').execute(on.app.db) }
  }
  await sql
    .raw(
      `create function simulated_outage() returns trigger language plpgsql as $$
       begin raise exception 'simulated outage' using errcode = '57P03'; end $$`,
    )
    .execute(on.app.db)
  await sql
    .raw(
      `create trigger simulated_outage before ${event} on ${table} for each row ${when}
       execute function simulated_outage()`,
    )
    .execute(on.app.db)
  return {
    end: async () => {
      await sql.raw(`drop trigger simulated_outage on ${table}`).execute(on.app.db)
      await sql.raw('drop function simulated_outage()').execute(on.app.db)
    },
  }
}

describe('orders', () => {
  const postOrder = (body: unknown, key: string) => api.request('POST', '/orders', body, { 'Idempotency-Key': key })
  const stockOf = async (id: number) => (await api.request('GET', `/products/${id}`)).body.stock as number
  const ordersCreated = async () => {
    const text = (await api.request('GET', '/metrics')).text
    return Number(/^orders_created_total (\S+)$/m.exec(text)?.[1] ?? 0)
  }

  it('when an order is retried with its key, then the same order comes back, the stock is taken once and it is counted once', async () => {
    const product = (await postProduct(api, buildProduct({ stock: 10 }))).body
    const key = newKey()
    const body = {
      items: [
        { product_id: product.id, quantity: 2 },
        { product_id: product.id, quantity: 1 },
      ],
    }
    const counted = await ordersCreated()
    const first = await postOrder(body, key)
    const again = await postOrder(body, key)
    expect(first.status).toBe(201)
    expect(again.status).toBe(201)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.text).toBe(first.text)
    expect(await stockOf(product.id)).toBe(7)
    expect(await ordersCreated()).toBe(counted + 1)
  })

  it('when an order was refused for stock, then the 409 is replayed even after stock arrives', async () => {
    const product = (await postProduct(api, buildProduct({ stock: 1 }))).body
    const key = newKey()
    const refused = await postOrder({ product_id: product.id, quantity: 5 }, key)
    expect(refused.status).toBe(409)
    await api.request('PATCH', `/products/${product.id}`, { stock: 100 })
    const replay = await postOrder({ product_id: product.id, quantity: 5 }, key)
    expect(replay.status).toBe(409)
    expect(replay.text).toBe(refused.text)
    expect(replay.headers['idempotent-replayed']).toBe('true')
    expect(await stockOf(product.id)).toBe(100)
  })

  it('when 30 orders with one key arrive at once, then exactly one order is placed and one unit taken', async () => {
    const product = (await postProduct(api, buildProduct({ stock: 50 }))).body
    const key = newKey()
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => postOrder({ product_id: product.id, quantity: 1 }, key)),
    )
    expect(answers.filter((answer) => ![201, 409].includes(answer.status))).toEqual([])
    const created = answers.filter((answer) => answer.status === 201)
    expect(new Set(created.map((answer) => answer.body.id)).size).toBe(1)
    expect(await stockOf(product.id)).toBe(49)
    const orders = (await api.request('GET', `/orders?product_id=${product.id}`)).body
    expect(orders).toHaveLength(1)
  })
})
