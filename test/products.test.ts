import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { TEST_DIALECT } from './helpers/database.js'
import { buildProduct, createOrder, createProduct, setOrderStatus } from './helpers/builders.js'

let api: TestApp
beforeAll(async () => {
  api = await startTestApp()
})
afterAll(async () => {
  await api.close()
})

describe('POST /products', () => {
  it('when the product is valid, then it is created with 201 and every field', async () => {
    const input = buildProduct({ price: 59.99, stock: 7 })
    const response = await api.request('POST', '/products', input)
    expect(response.status).toBe(201)
    expect(response.body).toMatchObject({ ...input, id: expect.any(Number) })
    expect(new Date(response.body.created_at).toISOString()).toBe(response.body.created_at)
    expect(response.body.updated_at).toBe(response.body.created_at)
  })

  it.each(['application/json; charset=utf-8', 'application/json;charset=UTF-8', 'application/json; charset="utf-8"'])(
    'when the content type is %s, then the body is read as JSON',
    async (contentType) => {
      const response = await api.request('POST', '/products', JSON.stringify(buildProduct()), {
        'content-type': contentType,
      })
      expect(response.status).toBe(201)
    },
  )

  it('when stock is omitted, then it defaults to 0', async () => {
    const input: Partial<ReturnType<typeof buildProduct>> = buildProduct()
    delete input.stock
    const response = await api.request('POST', '/products', input)
    expect(response.status).toBe(201)
    expect(response.body.stock).toBe(0)
  })

  it('when the SKU belongs to a live product, then 409', async () => {
    const existing = await createProduct(api)
    const response = await api.request('POST', '/products', buildProduct({ sku: existing.sku }))
    expect(response.status).toBe(409)
    expect(response.body).toEqual({ detail: 'Product with this SKU already exists' })
  })

  it('when prices have two decimals, then they come back exactly, with no float drift', async () => {
    for (const price of [0.01, 0.1, 0.3, 19.99, 1.005 + 0.005, 999999.99, 1_000_000]) {
      const rounded = Math.round(price * 100) / 100
      const response = await api.request('POST', '/products', buildProduct({ price: rounded }))
      expect(response.status).toBe(201)
      expect(response.text).toContain(`"price":${rounded}`)
    }
  })

  it.each([
    ['price 0', { price: 0 }, 'price'],
    ['negative price', { price: -1 }, 'price'],
    ['three decimals', { price: 1.234 }, 'price'],
    ['price as string', { price: '10' }, 'price'],
    ['price too large', { price: 1e12 }, 'price'],
    ['negative stock', { stock: -1 }, 'stock'],
    ['fractional stock', { stock: 1.5 }, 'stock'],
    ['empty sku', { sku: '' }, 'sku'],
    ['sku of 65 chars', { sku: 'x'.repeat(65) }, 'sku'],
    ['empty name', { name: '' }, 'name'],
    ['name of 201 chars', { name: 'n'.repeat(201) }, 'name'],
    ['null name', { name: null }, 'name'],
  ])('when %s, then 422 with a FastAPI-style list naming the field', async (_case, overrides, field) => {
    const response = await api.request('POST', '/products', { ...buildProduct(), ...overrides })
    expect(response.status).toBe(422)
    expect(response.body.detail).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ loc: ['body', field], msg: expect.any(String), type: expect.any(String) }),
      ]),
    )
  })

  it('when a required field is missing, then 422 says "Field required" for it', async () => {
    const response = await api.request('POST', '/products', { name: 'No SKU', price: 1 })
    expect(response.status).toBe(422)
    expect(response.body.detail).toEqual([{ loc: ['body', 'sku'], msg: 'Field required', type: 'missing' }])
  })

  it('when prices are large but have two decimals, then they are accepted exactly', async () => {
    for (const price of [111848.18, 654321.07, 999999.99, 123456.78]) {
      const response = await api.request('POST', '/products', buildProduct({ price }))
      expect(response.status, String(price)).toBe(201)
      expect(response.body.price).toBe(price)
    }
  })

  it('when a price carries float noise beyond two decimals, then 422', async () => {
    const response = await api.request('POST', '/products', buildProduct({ price: 19.9900000000001 }))
    expect(response.status).toBe(422)
  })

  it('when sku or name contain a NUL character, then 422 (not a database error)', async () => {
    for (const overrides of [{ sku: '\u0000' }, { name: 'a\u0000b' }]) {
      const response = await api.request('POST', '/products', buildProduct(overrides))
      expect(response.status).toBe(422)
    }
    const product = await createProduct(api)
    expect((await api.request('PUT', `/products/${product.id}`, { name: '\u0000abc' })).status).toBe(422)
  })

  it('when unknown fields are sent, then they are ignored', async () => {
    const response = await api.request('POST', '/products', { ...buildProduct(), id: 999999, color: 'red' })
    expect(response.status).toBe(201)
    expect(response.body.id).not.toBe(999999)
    expect(response.body).not.toHaveProperty('color')
  })

  it('when the same SKU wins a race, then exactly one of the parallel creates gets 201', async () => {
    const input = buildProduct()
    const responses = await Promise.all(Array.from({ length: 10 }, () => api.request('POST', '/products', input)))
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1)
    expect(responses.filter((r) => r.status === 409)).toHaveLength(9)
  })
})

describe('GET /products', () => {
  it('when listing, then the body is a bare array ordered by id with X-Total-Count and Link', async () => {
    for (let i = 0; i < 3; i++) await createProduct(api)
    const all = await api.request('GET', '/products?limit=1000')
    const total = all.body.length
    expect(Number(all.headers['x-total-count'])).toBe(total)
    const ids = all.body.map((p: { id: number }) => p.id)
    expect(ids).toEqual([...ids].sort((a: number, b: number) => a - b))

    const page = await api.request('GET', '/products?limit=2&offset=1')
    expect(page.status).toBe(200)
    expect(Array.isArray(page.body)).toBe(true)
    expect(page.body.map((p: { id: number }) => p.id)).toEqual(ids.slice(1, 3))
    expect(page.headers['x-total-count']).toBe(String(total))
    expect(page.headers.link).toContain('rel="next"')
    expect(page.headers.link).toContain('offset=3')
    expect(page.headers.link).toContain('rel="prev"')
  })

  it('when listing, then each item is the same JSON text as GET /products/{id} answers', async () => {
    const prices = [0.01, 0.1, 0.3, 1, 9.99, 10, 19.9, 123.45, 999999.99, 1_000_000]
    const names = [
      'plain',
      'quote " and \\ backslash',
      'tab\tand\nnewline\u0001',
      'é€😀 \u2028 ünïcode',
      '<b>&amp;</b>',
    ]
    const created = []
    for (const [i, price] of prices.entries())
      created.push(await createProduct(api, { price, name: names[i % names.length]!, stock: i * 1_000_000 }))
    const first = created[0]!.id
    const list = await api.request('GET', `/products?after_id=${first - 1}&limit=${created.length}`)
    expect(list.headers['content-type']).toBe('application/json; charset=utf-8')
    const items = list.text.slice(1, -1)
    const expected: string[] = []
    for (const product of created) expected.push((await api.request('GET', `/products/${product.id}`)).text)
    expect(items).toBe(expected.join(','))
    expect(list.body.map((p: { price: number }) => p.price)).toEqual(prices)
  })

  it('when the Host header is not a plain host, then links are relative and nothing fails', async () => {
    for (const host of ['a b', 'a%b', 'evil.example/path']) {
      const response = await api.request('GET', '/products?limit=1', undefined, { host })
      expect(response.status).toBe(200)
      expect(String(response.headers.link)).toMatch(/^<\/products\?limit=1&offset=1>; rel="next"/)
    }
  })

  it('when after_id is used, then pages follow the ids and Link continues from the last one', async () => {
    for (let i = 0; i < 3; i++) await createProduct(api)
    const ids = (await api.request('GET', '/products?limit=1000')).body.map((p: { id: number }) => p.id)
    const seen: number[] = []
    let next: string | undefined = '/products?limit=2&after_id=0'
    while (next) {
      const page = await api.request('GET', next)
      expect(page.status).toBe(200)
      expect(page.headers['x-total-count']).toBe(String(ids.length))
      seen.push(...page.body.map((p: { id: number }) => p.id))
      next = /<[^>]*?(\/products\?[^>]*)>; rel="next"/.exec(String(page.headers.link ?? ''))?.[1]
      if (next) expect(next).toContain(`after_id=${seen.at(-1)}`)
    }
    expect(seen).toEqual(ids)
    expect((await api.request('GET', `/orders?after_id=${Number.MAX_SAFE_INTEGER}`)).body).toEqual([])
    expect((await api.request('GET', '/products?after_id=-1')).status).toBe(422)
  })

  it('when skip is used, then it is an alias of offset', async () => {
    const byOffset = await api.request('GET', '/products?limit=2&offset=2')
    const bySkip = await api.request('GET', '/products?limit=2&skip=2')
    expect(bySkip.status).toBe(200)
    expect(bySkip.body).toEqual(byOffset.body)
  })

  it('when on the last page, then Link has no next', async () => {
    const total = Number((await api.request('GET', '/products')).headers['x-total-count'])
    const last = await api.request('GET', `/products?limit=1&offset=${total - 1}`)
    expect(last.body).toHaveLength(1)
    expect(String(last.headers.link ?? '')).not.toContain('rel="next"')
  })

  it('when the offset is past the end, then the page is empty and prev points at the last page', async () => {
    const total = Number((await api.request('GET', '/products')).headers['x-total-count'])
    const response = await api.request('GET', `/products?limit=2&offset=${total + 50}`)
    expect(response.status).toBe(200)
    expect(response.body).toEqual([])
    expect(response.headers.link).toContain(`offset=${total - 2}>; rel="prev"`)
    expect(String(response.headers.link)).not.toContain('rel="next"')
  })

  it('when no limit is given and there are more than 100 products, then 100 are returned', async () => {
    const many = await startTestApp()
    try {
      for (let i = 0; i < 101; i++) await createProduct(many)
      const response = await many.request('GET', '/products')
      expect(response.body).toHaveLength(100)
      expect(response.headers['x-total-count']).toBe('101')
      expect(response.headers.link).toContain('offset=100>; rel="next"')
      const thousand = await many.request('GET', '/products?limit=1000')
      expect(thousand.body).toHaveLength(101)
    } finally {
      await many.close()
    }
  })

  it.each(['limit=0', 'limit=1001', 'limit=abc', 'offset=-1', 'skip=-5', 'offset=1.5', 'limit=1.0', 'limit=0x10'])(
    'when the query is %s, then 422',
    async (query) => {
      const response = await api.request('GET', `/products?${query}`)
      expect(response.status).toBe(422)
      expect(response.body.detail[0].loc[0]).toBe('query')
    },
  )
})

describe('GET /products after changes', () => {
  type Item = { id: number }
  /**
   * GET /products/{id} and every page query below, compared with what `reference` says of each live
   * product. The reference is one more instance on the same database, started once per test and
   * never written through. On SQLite it is another connection in this process: it reads what the
   * others committed (a write is answered only once committed), and data_version tells its cache of
   * their writes. That alone would make it rely on the mechanism under test when another instance
   * writes, so its cache is also emptied before each comparison: it answers from the database, as
   * the new instance started for every comparison used to. On PostgreSQL no instance has a cache.
   */
  /**
   * Another instance's writes reach this one's cache at once on SQLite (data_version), and on
   * PostgreSQL when its notification arrives (milliseconds; docs/catalogue-cache.md): there the
   * checks of `app` are retried for up to 2 s.
   */
  async function expectOtherWriteSeen(app: TestApp, reference: TestApp, liveIds: number[]) {
    if (TEST_DIALECT === 'sqlite') return expectPagesCurrent(app, reference, liveIds)
    const deadline = Date.now() + 2000
    for (;;) {
      try {
        return await expectPagesCurrent(app, reference, liveIds)
      } catch (error) {
        if (Date.now() > deadline) throw error
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
  }

  async function expectPagesCurrent(app: TestApp, reference: TestApp, liveIds: number[]) {
    reference.app.catalogueCache?.dropAll()
    const truth: unknown[] = []
    for (const id of liveIds) truth.push((await reference.request('GET', `/products/${id}`)).body)
    for (const [i, id] of liveIds.entries())
      expect((await app.request('GET', `/products/${id}`)).body).toEqual(truth[i])
    const queries: [string, unknown[]][] = [
      ['limit=2&offset=0', truth.slice(0, 2)],
      ['limit=2&offset=2', truth.slice(2, 4)],
      ['limit=2&offset=4', truth.slice(4, 6)],
      [`limit=2&after_id=${liveIds[1]}`, truth.slice(2, 4)],
      ['limit=100', truth],
    ]
    for (const [query, expected] of queries) {
      const page = await app.request('GET', `/products?${query}`)
      expect(page.body, query).toEqual(expected)
      expect(page.headers['x-total-count'], query).toBe(String(liveIds.length))
    }
  }

  it('when products, stock and the catalogue change, then every page and the total show it at once', async () => {
    const app = await startTestApp()
    const reference = await startTestApp({}, { databaseUrl: app.databaseUrl })
    try {
      const ids: number[] = []
      for (let i = 0; i < 5; i++) ids.push((await createProduct(app, { stock: 10, price: 5 })).id)
      await expectPagesCurrent(app, reference, ids)

      expect((await app.request('PUT', `/products/${ids[2]}`, { price: 7.25, name: 'Renamed' })).status).toBe(200)
      await expectPagesCurrent(app, reference, ids)
      const order = await createOrder(app, ids[0]!, 3)
      await expectPagesCurrent(app, reference, ids)
      expect((await app.request('DELETE', `/orders/${order.id}`)).status).toBe(204)
      await expectPagesCurrent(app, reference, ids)
      const soldOut = ids[3]!
      expect((await app.request('PATCH', `/products/${soldOut}`, { stock: 0 })).status).toBe(200)
      await expectPagesCurrent(app, reference, ids)
      expect((await app.request('DELETE', `/products/${ids[1]}`)).status).toBe(204)
      expect((await app.request('GET', `/products/${ids[1]}`)).status).toBe(404)
      ids.splice(1, 1)
      await expectPagesCurrent(app, reference, ids)
      ids.push((await createProduct(app)).id)
      await expectPagesCurrent(app, reference, ids)
      // Refused writes change nothing.
      expect((await app.request('POST', '/orders', { product_id: soldOut, quantity: 1 })).status).toBe(409)
      expect((await app.request('POST', '/products', buildProduct({ sku: 'TAKEN-1' }))).status).toBe(201)
      ids.push((await app.request('GET', '/products?limit=1000')).body.at(-1).id)
      expect((await app.request('POST', '/products', buildProduct({ sku: 'TAKEN-1' }))).status).toBe(409)
      await expectPagesCurrent(app, reference, ids)
    } finally {
      await reference.close()
      await app.close()
    }
  })

  it('when another instance writes to the same database, then this one lists the change', async () => {
    const first = await startTestApp()
    const second = await startTestApp({}, { databaseUrl: first.databaseUrl })
    const reference = await startTestApp({}, { databaseUrl: first.databaseUrl })
    try {
      const ids: number[] = []
      for (let i = 0; i < 5; i++) ids.push((await createProduct(first, { stock: 10 })).id)
      await expectPagesCurrent(first, reference, ids)
      expect((await second.request('PUT', `/products/${ids[0]}`, { price: 99.5 })).status).toBe(200)
      await expectOtherWriteSeen(first, reference, ids)
      await createOrder(second, ids[4]!, 4)
      await expectOtherWriteSeen(first, reference, ids)
      ids.push((await createProduct(second)).id)
      await expectOtherWriteSeen(first, reference, ids)
      expect((await second.request('DELETE', `/products/${ids[2]}`)).status).toBe(204)
      const deleted = ids.splice(2, 1)[0]
      await expectOtherWriteSeen(first, reference, ids)
      expect((await first.request('GET', `/products/${deleted}`)).status).toBe(404)
      expect((await first.request('GET', '/products?limit=100')).body.map((p: Item) => p.id)).toEqual(ids)
    } finally {
      await reference.close()
      await second.close()
      await first.close()
    }
  })
})

describe('GET /products/{id}', () => {
  it('when the product exists, then 200 with it', async () => {
    const product = await createProduct(api)
    const response = await api.request('GET', `/products/${product.id}`)
    expect(response.status).toBe(200)
    expect(response.body).toEqual(product)
  })

  it('when it does not exist, then 404 Product not found', async () => {
    const response = await api.request('GET', '/products/987654')
    expect(response.status).toBe(404)
    expect(response.body).toEqual({ detail: 'Product not found' })
  })

  it('when the id is a large positive integer, then 404 rather than 422', async () => {
    for (const id of ['2147483648', '9007199254740991']) {
      const response = await api.request('GET', `/products/${id}`)
      expect(response.status).toBe(404)
    }
  })

  it.each(['abc', '0', '-3', '1.5', '99999999999999999999', '0x1', '1e0', '%201', '1%20', '+'])(
    'when the id is %s, then 422',
    async (id) => {
      const response = await api.request('GET', `/products/${id}`)
      expect(response.status).toBe(422)
      expect(response.body.detail[0].loc).toEqual(['path', 'product_id'])
    },
  )
})

describe('PUT and PATCH /products/{id}', () => {
  it.each(['PUT', 'PATCH'] as const)('when %s sends some fields, then only those change', async (method) => {
    const product = await createProduct(api, { price: 10, stock: 3 })
    await new Promise((resolve) => setTimeout(resolve, 5))
    const response = await api.request(method, `/products/${product.id}`, { price: 12.5 })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ id: product.id, sku: product.sku, name: product.name, price: 12.5, stock: 3 })
    expect(response.body.updated_at > product.updated_at).toBe(true)
    expect(response.body.created_at).toBe(product.created_at)
    expect((await api.request('GET', `/products/${product.id}`)).body).toEqual(response.body)
  })

  it('when PATCH uses application/merge-patch+json, then it is read as JSON', async () => {
    const product = await createProduct(api)
    const response = await api.request('PATCH', `/products/${product.id}`, JSON.stringify({ stock: 77 }), {
      'content-type': 'application/merge-patch+json',
    })
    expect(response.status).toBe(200)
    expect(response.body.stock).toBe(77)
  })

  it('when the body is empty, then the product is returned unchanged', async () => {
    const product = await createProduct(api)
    const response = await api.request('PUT', `/products/${product.id}`, {})
    expect(response.status).toBe(200)
    expect(response.body).toEqual(product)
  })

  it('when every field is sent, then every field changes', async () => {
    const product = await createProduct(api)
    const changes = { sku: `${product.sku}-new`, name: 'Renamed', price: 1.23, stock: 42 }
    const response = await api.request('PUT', `/products/${product.id}`, changes)
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject(changes)
  })

  it('when the new SKU belongs to another product, then 409', async () => {
    const a = await createProduct(api)
    const b = await createProduct(api)
    const response = await api.request('PUT', `/products/${b.id}`, { sku: a.sku })
    expect(response.status).toBe(409)
    expect(response.body).toEqual({ detail: 'Product with this SKU already exists' })
  })

  it('when the SKU is set to its own value, then 200', async () => {
    const product = await createProduct(api)
    const response = await api.request('PUT', `/products/${product.id}`, { sku: product.sku })
    expect(response.status).toBe(200)
  })

  it('when the product does not exist, then 404', async () => {
    const response = await api.request('PUT', '/products/987654', { name: 'x' })
    expect(response.status).toBe(404)
    expect(response.body).toEqual({ detail: 'Product not found' })
  })

  it.each([{ price: -1 }, { stock: -1 }, { name: '' }, { sku: null }, { price: 'cheap' }])(
    'when the update is %j, then 422 and nothing changes',
    async (changes) => {
      const product = await createProduct(api)
      const response = await api.request('PUT', `/products/${product.id}`, changes)
      expect(response.status).toBe(422)
      expect((await api.request('GET', `/products/${product.id}`)).body).toEqual(product)
    },
  )
})

describe('DELETE /products/{id}', () => {
  it('when the product has no orders, then 204, it disappears and the other products survive', async () => {
    const doomed = await createProduct(api)
    const survivor = await createProduct(api)
    const response = await api.request('DELETE', `/products/${doomed.id}`)
    expect(response.status).toBe(204)
    expect(response.text).toBe('')
    expect((await api.request('GET', `/products/${doomed.id}`)).status).toBe(404)
    const list = await api.request('GET', '/products?limit=1000')
    expect(list.body.map((p: { id: number }) => p.id)).not.toContain(doomed.id)
    expect((await api.request('GET', `/products/${survivor.id}`)).body).toEqual(survivor)
  })

  it('when deleted, then its SKU is free again', async () => {
    const product = await createProduct(api)
    await api.request('DELETE', `/products/${product.id}`)
    const again = await api.request('POST', '/products', buildProduct({ sku: product.sku }))
    expect(again.status).toBe(201)
    expect(again.body.id).not.toBe(product.id)
  })

  it('when DELETE carries a JSON content type and no body, then it still works', async () => {
    const product = await createProduct(api)
    const response = await api.request('DELETE', `/products/${product.id}`, '', { 'content-type': 'application/json' })
    expect(response.status).toBe(204)
  })

  it('when deleted twice, then the second is 404', async () => {
    const product = await createProduct(api)
    expect((await api.request('DELETE', `/products/${product.id}`)).status).toBe(204)
    expect((await api.request('DELETE', `/products/${product.id}`)).status).toBe(404)
    expect((await api.request('PUT', `/products/${product.id}`, { name: 'x' })).status).toBe(404)
  })

  it.each(['PENDING', 'PAID'])('when it has a %s order, then 400 and it stays', async (status) => {
    const product = await createProduct(api)
    const order = await createOrder(api, product.id)
    if (status === 'PAID') await setOrderStatus(api, order.id, 'PAID')
    const response = await api.request('DELETE', `/products/${product.id}`)
    expect(response.status).toBe(400)
    expect(response.body).toEqual({ detail: 'Cannot delete product with pending or paid orders' })
    expect((await api.request('GET', `/products/${product.id}`)).status).toBe(200)
  })

  it('when its orders are shipped or canceled, then it is deleted and the orders stay readable', async () => {
    const product = await createProduct(api, { stock: 5 })
    const shipped = await createOrder(api, product.id, 2)
    await setOrderStatus(api, shipped.id, 'PAID')
    await setOrderStatus(api, shipped.id, 'SHIPPED')
    const canceled = await createOrder(api, product.id, 1)
    await setOrderStatus(api, canceled.id, 'CANCELED')

    expect((await api.request('DELETE', `/products/${product.id}`)).status).toBe(204)

    const shippedAfter = await api.request('GET', `/orders/${shipped.id}`)
    expect(shippedAfter.status).toBe(200)
    expect(shippedAfter.body).toMatchObject({ product_id: product.id, status: 'SHIPPED', quantity: 2 })
    expect((await api.request('GET', `/orders/${canceled.id}`)).status).toBe(200)
    const listed = await api.request('GET', `/orders?product_id=${product.id}`)
    expect(listed.body.map((o: { id: number }) => o.id)).toEqual([shipped.id, canceled.id])
    // Deleting the canceled order still works after its product is gone.
    expect((await api.request('DELETE', `/orders/${canceled.id}`)).status).toBe(204)
    expect((await api.request('GET', `/orders/${canceled.id}`)).status).toBe(404)
  })

  it('when the product is deleted, then new orders for it get 404', async () => {
    const product = await createProduct(api)
    await api.request('DELETE', `/products/${product.id}`)
    const response = await api.request('POST', '/orders', { product_id: product.id, quantity: 1 })
    expect(response.status).toBe(404)
    expect(response.body).toEqual({ detail: 'Product not found' })
  })
})
