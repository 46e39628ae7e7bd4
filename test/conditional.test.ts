import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as products from '../src/modules/products/service.js'
import { evaluate, parseTagList, representationOf } from '../src/shared/etag.js'
import { startTestApp, type TestApp } from './helpers/app.js'
import { buildProduct, createOrder, createProduct } from './helpers/builders.js'
import { listen } from './helpers/http.js'

/*
 * ETag, If-None-Match and If-Match (RFC 9110 §8.8.3, §13) on the products, through HTTP. The tag
 * is a hash of the body the client receives; the orders' cases live beside these, in their own
 * describe block.
 */

let api: TestApp
let http: Awaited<ReturnType<typeof listen>>
beforeAll(async () => {
  api = await startTestApp()
  http = await listen(api.app)
})
afterAll(async () => {
  await api.close()
})

const PRECONDITION_FAILED = { detail: 'Precondition Failed: the resource has changed' }
const STRONG_TAG = /^"[A-Za-z0-9_-]{22}"$/
/** The contract's tag of a body as received: base64url of the first 16 bytes of its SHA-256, quoted. */
const tagOfBody = (text: string) =>
  `"${createHash('sha256').update(text).digest().subarray(0, 16).toString('base64url')}"`

const read = (id: number, headers: Record<string, string> = {}) =>
  api.request('GET', `/products/${id}`, undefined, headers)

async function etagOf(id: number): Promise<string> {
  const response = await read(id)
  expect(response.status).toBe(200)
  return String(response.headers.etag)
}

/** A product whose ETag the caller holds, then changed by someone else: that ETag is stale. */
async function productWithStaleTag() {
  const product = await createProduct(api, { stock: 5 })
  const stale = await etagOf(product.id)
  const changed = await api.request('PUT', `/products/${product.id}`, { name: `${product.name} (renamed)` })
  expect(changed.status).toBe(200)
  expect(changed.headers.etag).not.toBe(stale)
  return { product, stale, current: await read(product.id) }
}

describe('GET /products/{id}: ETag and If-None-Match', () => {
  it('when a product is read, then a quoted strong ETag comes with the very body that creating it answered', async () => {
    const created = await api.request('POST', '/products', buildProduct({ price: 12.5 }))
    const first = await read(created.body.id)
    const second = await read(created.body.id)
    expect(first.status).toBe(200)
    expect(first.headers.etag).toMatch(STRONG_TAG)
    expect(first.headers.etag).toBe(tagOfBody(first.text))
    expect(first.text).toBe(created.text)
    expect(second.text).toBe(created.text)
    expect(second.headers.etag).toBe(first.headers.etag)
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8')
  })

  it('when If-None-Match holds the current ETag, then 304 with no body and the ETag', async () => {
    const product = await createProduct(api)
    const etag = await etagOf(product.id)
    for (const method of ['GET', 'HEAD'] as const) {
      const response = await api.request(method, `/products/${product.id}`, undefined, { 'if-none-match': etag })
      expect(response.status, method).toBe(304)
      expect(response.text, method).toBe('')
      expect(response.headers.etag, method).toBe(etag)
      // A 304 to a GET says nothing of a length (for HEAD, Fastify sends Content-Length: 0, which
      // caches ignore on a 304: RFC 9111 §3.2).
      if (method === 'GET') expect(response.headers['content-length']).toBeUndefined()
    }
  })

  it.each([
    ['the current tag in weak form', 304, (etag: string) => `W/${etag}`],
    ['a list that contains it', 304, (etag: string) => `"other", ${etag}`],
    ['a list with empty elements around it', 304, (etag: string) => ` , ${etag} ,`],
    ['*', 304, () => '*'],
    ['another tag', 200, () => '"kTq3rNwY0hG6JpXw2c8HvA"'],
    ['a list without it', 200, (etag: string) => `"a", W/"b", ${etag.slice(0, -2)}"`],
  ] as const)('when If-None-Match is %s, then %i', async (_case, status, header) => {
    const product = await createProduct(api)
    const etag = await etagOf(product.id)
    const response = await read(product.id, { 'if-none-match': header(etag) })
    expect(response.status).toBe(status)
    expect(response.headers.etag).toBe(etag)
    if (status === 200) expect(response.body).toMatchObject({ id: product.id, sku: product.sku })
  })

  it('when If-None-Match names a product that does not exist (even *), then 404 as without it', async () => {
    const response = await read(987654321, { 'if-none-match': '*' })
    expect(response.status).toBe(404)
    expect(response.body).toEqual({ detail: 'Product not found' })
  })

  it('when a GET carries If-Match, then a stale tag gives 412 and the current one (or *) the product', async () => {
    const { product, stale, current } = await productWithStaleTag()
    const refused = await read(product.id, { 'if-match': stale })
    expect(refused.status).toBe(412)
    expect(refused.body).toEqual(PRECONDITION_FAILED)
    for (const header of [String(current.headers.etag), '*']) {
      expect((await read(product.id, { 'if-match': header })).text).toBe(current.text)
    }
  })
})

describe('the ETag follows the representation', () => {
  it('when a product is changed by PUT or PATCH, then its ETag changes, and the 200 carries the new one', async () => {
    const product = await createProduct(api, { stock: 5 })
    let before = await etagOf(product.id)
    for (const [method, body] of [
      ['PUT', { stock: 6 }],
      ['PATCH', { name: 'Renamed' }],
      ['PUT', { price: 1.25, sku: `${product.sku}-2` }],
    ] as const) {
      const answer = await api.request(method, `/products/${product.id}`, body)
      expect(answer.status).toBe(200)
      expect(answer.headers.etag).toBe(tagOfBody(answer.text))
      expect(answer.headers.etag).not.toBe(before)
      const after = await read(product.id)
      expect(after.headers.etag).toBe(answer.headers.etag)
      expect(after.text).toBe(answer.text)
      before = String(after.headers.etag)
    }
  })

  it('when an order takes stock, then its product ETag changes; when a cancel returns it, then it changes again', async () => {
    const product = await createProduct(api, { stock: 5 })
    const initial = await etagOf(product.id)
    const order = await createOrder(api, product.id, 2)
    const afterOrder = await read(product.id)
    expect(afterOrder.body.stock).toBe(3)
    expect(afterOrder.headers.etag).not.toBe(initial)
    expect((await api.request('DELETE', `/orders/${order.id}`)).status).toBe(204)
    const afterCancel = await read(product.id)
    expect(afterCancel.body.stock).toBe(5)
    expect(afterCancel.headers.etag).not.toBe(afterOrder.headers.etag)
  })

  it('when nothing changes the product (reads, lists, other products written or ordered), then its ETag stays the same', async () => {
    const product = await createProduct(api, { stock: 5 })
    const other = await createProduct(api, { stock: 5 })
    const etag = await etagOf(product.id)
    await api.request('GET', '/products?limit=1000')
    await api.request('PUT', `/products/${other.id}`, { stock: 9 })
    await createOrder(api, other.id, 1)
    await api.request('PUT', `/products/${product.id}`, {})
    expect(await etagOf(product.id)).toBe(etag)
    expect((await read(product.id, { 'if-none-match': etag })).status).toBe(304)
  })
})

describe('PUT, PATCH and DELETE /products/{id}: If-Match', () => {
  it.each([
    ['PUT with a stock', 'PUT', { stock: 1 }],
    ['PATCH with a name', 'PATCH', { name: 'Lost update' }],
    ['PUT with nothing to change', 'PUT', {}],
    ['DELETE', 'DELETE', undefined],
  ] as const)(
    'when %s carries a stale If-Match, then 412 with the detail and nothing changes',
    async (_case, method, body) => {
      const { product, stale, current } = await productWithStaleTag()
      const response = await api.request(method, `/products/${product.id}`, body, { 'if-match': stale })
      expect(response.status).toBe(412)
      expect(response.body).toEqual(PRECONDITION_FAILED)
      const after = await read(product.id)
      expect(after.text).toBe(current.text)
      expect(after.headers.etag).toBe(current.headers.etag)
    },
  )

  it('when If-Match holds the current tag in weak form, then 412: weak tags never match If-Match', async () => {
    const product = await createProduct(api)
    const etag = await etagOf(product.id)
    const response = await api.request('PUT', `/products/${product.id}`, { stock: 1 }, { 'if-match': `W/${etag}` })
    expect(response.status).toBe(412)
    expect((await read(product.id)).body.stock).toBe(product.stock)
  })

  it.each(['PUT', 'PATCH'] as const)(
    'when %s carries the current If-Match (alone or in a list), then the write happens and the 200 carries the new ETag',
    async (method) => {
      const product = await createProduct(api, { stock: 5 })
      const etag = await etagOf(product.id)
      const response = await api.request(method, `/products/${product.id}`, { stock: 7 }, { 'if-match': etag })
      expect(response.status).toBe(200)
      expect(response.body.stock).toBe(7)
      expect(response.headers.etag).not.toBe(etag)
      const after = await read(product.id)
      expect(after.headers.etag).toBe(response.headers.etag)
      const next = await api.request(
        method,
        `/products/${product.id}`,
        { stock: 8 },
        {
          'if-match': `"stale", ${String(after.headers.etag)}`,
        },
      )
      expect(next.status).toBe(200)
      expect(next.body.stock).toBe(8)
    },
  )

  it('when DELETE carries the current If-Match, then the product is deleted and the others survive', async () => {
    const product = await createProduct(api)
    const neighbour = await createProduct(api)
    const response = await api.request('DELETE', `/products/${product.id}`, undefined, {
      'if-match': await etagOf(product.id),
    })
    expect(response.status).toBe(204)
    expect((await read(product.id)).status).toBe(404)
    expect((await read(neighbour.id)).body).toMatchObject({ id: neighbour.id, sku: neighbour.sku })
  })

  it('when If-Match is *, then any existing product is written, and a missing one is 404 as without it', async () => {
    const product = await createProduct(api, { stock: 5 })
    const response = await api.request('PATCH', `/products/${product.id}`, { stock: 2 }, { 'if-match': '*' })
    expect(response.status).toBe(200)
    expect(response.body.stock).toBe(2)
    for (const method of ['PUT', 'DELETE'] as const) {
      const missing = await api.request(method, '/products/987654321', method === 'PUT' ? { stock: 1 } : undefined, {
        'if-match': '*',
      })
      expect(missing.status, method).toBe(404)
      expect(missing.body).toEqual({ detail: 'Product not found' })
    }
  })

  it('when a write carries If-None-Match with the current tag (or *), then 412 and nothing changes', async () => {
    const product = await createProduct(api, { stock: 5 })
    const etag = await etagOf(product.id)
    for (const header of [etag, `W/${etag}`, '*']) {
      const response = await api.request('PUT', `/products/${product.id}`, { stock: 1 }, { 'if-none-match': header })
      expect(response.status, header).toBe(412)
    }
    expect(await etagOf(product.id)).toBe(etag)
    const other = await api.request('PUT', `/products/${product.id}`, { stock: 1 }, { 'if-none-match': '"other"' })
    expect(other.status).toBe(200)
  })

  it('when a write satisfies If-Match but the SKU is taken, then 409 and nothing changes', async () => {
    const taken = await createProduct(api)
    const product = await createProduct(api)
    const etag = await etagOf(product.id)
    const response = await api.request('PUT', `/products/${product.id}`, { sku: taken.sku }, { 'if-match': etag })
    expect(response.status).toBe(409)
    expect(await etagOf(product.id)).toBe(etag)
  })

  it.each([2, 8])(
    'when %i clients race with one ETag, then exactly one write wins (200) and the others get 412',
    async (clients) => {
      for (let round = 0; round < 6; round++) {
        const product = await createProduct(api, { stock: 5 })
        const headers = { 'if-match': await etagOf(product.id) }
        const answers = await Promise.all(
          Array.from({ length: clients }, (_, client) =>
            http.send(
              (round + client) % 2 === 0 ? 'PUT' : 'PATCH',
              `/products/${product.id}`,
              { name: `Client ${client}`, stock: client },
              headers,
            ),
          ),
        )
        const statuses = answers.map((answer) => answer.status)
        expect(
          statuses.filter((status) => status === 200),
          `round ${round}: ${statuses}`,
        ).toHaveLength(1)
        expect(
          statuses.filter((status) => status === 412),
          `round ${round}: ${statuses}`,
        ).toHaveLength(clients - 1)
        const winner = answers.find((answer) => answer.status === 200)!
        expect((await read(product.id)).body).toEqual(winner.body)
      }
    },
  )

  it('when a delete and an update race with one ETag, then one wins and the other changes nothing (412, or 404 once deleted)', async () => {
    for (let round = 0; round < 6; round++) {
      const product = await createProduct(api, { stock: 5 })
      const headers = { 'if-match': await etagOf(product.id) }
      const [update, removal] = await Promise.all([
        http.send('PUT', `/products/${product.id}`, { stock: 1 }, headers),
        http.send('DELETE', `/products/${product.id}`, undefined, headers),
      ])
      const after = await read(product.id)
      if (removal.status === 204) {
        expect(update.status, `round ${round}`).toBe(404)
        expect(after.status).toBe(404)
      } else {
        expect([update.status, removal.status], `round ${round}`).toEqual([200, 412])
        expect(after.body).toEqual(update.body)
      }
    }
  })
})

describe('orders: ETag, If-None-Match and If-Match', () => {
  const readOrder = (id: number, headers: Record<string, string> = {}) =>
    api.request('GET', `/orders/${id}`, undefined, headers)

  it('when an order of several lines is read, then its strong ETag is the hash of the body, and If-None-Match gives 304', async () => {
    const a = await createProduct(api, { stock: 10 })
    const b = await createProduct(api, { stock: 10 })
    const placed = await api.request('POST', '/orders', {
      items: [
        { product_id: a.id, quantity: 1 },
        { product_id: b.id, quantity: 2 },
      ],
    })
    const response = await readOrder(placed.body.id)
    expect(response.headers.etag).toMatch(STRONG_TAG)
    expect(response.headers.etag).toBe(tagOfBody(response.text))
    const again = await readOrder(placed.body.id, { 'if-none-match': String(response.headers.etag) })
    expect(again.status).toBe(304)
    expect(again.text).toBe('')
    expect(again.headers.etag).toBe(response.headers.etag)
  })

  it('when PUT or DELETE carries a stale If-Match, then 412 and the order and the stock are unchanged', async () => {
    const product = await createProduct(api, { stock: 10 })
    const order = await createOrder(api, product.id, 3)
    const stale = String((await readOrder(order.id)).headers.etag)
    expect((await api.request('PUT', `/orders/${order.id}`, { status: 'PAID' })).status).toBe(200)
    for (const [method, body] of [
      ['PUT', { status: 'CANCELED' }],
      ['DELETE', undefined],
    ] as const) {
      const refused = await api.request(method, `/orders/${order.id}`, body, { 'if-match': stale })
      expect(refused.status, method).toBe(412)
      expect(refused.body).toEqual(PRECONDITION_FAILED)
    }
    expect((await readOrder(order.id)).body.status).toBe('PAID')
    expect((await read(product.id)).body.stock).toBe(7)
  })

  it('when PUT carries the current tag, then the change happens and the answer carries the new ETag', async () => {
    const product = await createProduct(api, { stock: 10 })
    const order = await createOrder(api, product.id, 1)
    const current = String((await readOrder(order.id)).headers.etag)
    const changed = await api.request('PUT', `/orders/${order.id}`, { status: 'PAID' }, { 'if-match': current })
    expect(changed.status).toBe(200)
    expect(changed.headers.etag).not.toBe(current)
    expect(changed.headers.etag).toBe(String((await readOrder(order.id)).headers.etag))
    const canceled = await api.request('DELETE', `/orders/${order.id}`, undefined, {
      'if-match': String(changed.headers.etag),
    })
    expect(canceled.status).toBe(204)
    expect((await read(product.id)).body.stock).toBe(10)
  })

  it('when two clients holding one ETag change an order at once, then exactly one wins and the other gets 412', async () => {
    for (let round = 0; round < 4; round++) {
      const product = await createProduct(api, { stock: 10 })
      const order = await createOrder(api, product.id, 2)
      const tag = String((await readOrder(order.id)).headers.etag)
      const answers = await Promise.all(
        (['PAID', 'CANCELED'] as const).map((status) =>
          http.send('PUT', `/orders/${order.id}`, { status }, { 'if-match': tag }),
        ),
      )
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 412])
      const stock = (await read(product.id)).body.stock
      const final = (await readOrder(order.id)).body.status
      expect(stock).toBe(final === 'CANCELED' ? 10 : 8)
    }
  })
})

describe('malformed conditional headers', () => {
  const malformed = [
    ['an unquoted tag', 'xyzzy'],
    ['an unterminated tag', '"xyzzy'],
    ['a weak prefix without a tag', 'W/xyzzy'],
    ['a space inside the quotes', '"xy zzy"'],
    ['two tags without a comma', '"a" "b"'],
    ['* in a list', '*, "a"'],
    ['a lower-case weak prefix', 'w/"a"'],
    ['a long unterminated tag', `"${'a'.repeat(8000)}`],
  ]

  it.each(malformed)(
    'when If-None-Match or If-Match is %s, then 422 naming the header, never a 5xx',
    async (_case, value) => {
      const product = await createProduct(api, { stock: 5 })
      const before = await read(product.id)
      for (const [method, name] of [
        ['GET', 'if-none-match'],
        ['GET', 'if-match'],
        ['PUT', 'if-match'],
        ['PATCH', 'if-none-match'],
        ['DELETE', 'if-match'],
      ] as const) {
        const body = method === 'PUT' || method === 'PATCH' ? { stock: 1 } : undefined
        const response = await api.request(method, `/products/${product.id}`, body, { [name]: value })
        expect(response.status, `${method} ${name}`).toBe(422)
        expect(response.body.detail, `${method} ${name}`).toEqual([
          { loc: ['header', name], msg: expect.stringContaining('entity tags'), type: 'value_error' },
        ])
      }
      expect((await read(product.id)).text).toBe(before.text)
    },
  )

  it('when If-Match lists no tag at all (only empty elements), then nothing matches: 412', async () => {
    const product = await createProduct(api)
    const response = await api.request('PUT', `/products/${product.id}`, { stock: 1 }, { 'if-match': ' , ,' })
    expect(response.status).toBe(412)
  })
})

describe('documentation', () => {
  it('when /openapi.json is read, then the ETag header, the conditional headers with examples, 304 and 412 are documented', async () => {
    const doc = (await api.request('GET', '/openapi.json')).body
    const operations = doc.paths['/products/{product_id}']
    expect(Object.keys(operations.get.responses)).toEqual(expect.arrayContaining(['200', '304', '404', '412']))
    expect(operations.get.responses['200'].headers.ETag).toBeDefined()
    expect(operations.get.responses['304'].headers.ETag).toBeDefined()
    expect(operations.get.responses['304'].content).toBeUndefined()
    for (const method of ['put', 'patch']) {
      expect(Object.keys(operations[method].responses)).toEqual(expect.arrayContaining(['200', '412']))
      expect(operations[method].responses['200'].headers.ETag).toBeDefined()
    }
    expect(Object.keys(operations.delete.responses)).toContain('412')
    for (const method of ['get', 'put', 'patch', 'delete']) {
      const headers = operations[method].parameters.filter((p: { in: string }) => p.in === 'header')
      expect(headers.map((p: { name: string }) => p.name).sort(), method).toEqual(['If-Match', 'If-None-Match'])
      for (const header of headers) {
        expect(header.example, `${method} ${header.name}`).toMatch(STRONG_TAG)
        expect(header.description.length, `${method} ${header.name}`).toBeGreaterThan(40)
      }
    }
  })
})

describe('below HTTP: src/shared/etag.ts and the products use cases', () => {
  it('when a header value is parsed, then RFC 9110 lists are read and anything else is refused', () => {
    expect(parseTagList('*')).toBe('*')
    expect(parseTagList(' * ')).toBe('*')
    expect(parseTagList('"a", W/"b",,"c" ')).toEqual([
      { weak: false, opaque: '"a"' },
      { weak: true, opaque: '"b"' },
      { weak: false, opaque: '"c"' },
    ])
    expect(parseTagList('""')).toEqual([{ weak: false, opaque: '""' }])
    expect(parseTagList('"caf\u00e9"'), 'obs-text').toEqual([{ weak: false, opaque: '"caf\u00e9"' }])
    expect(parseTagList('')).toEqual([])
    for (const bad of [
      'a',
      '"a',
      'W/a',
      '"a"b',
      '"a" "b"',
      '*,"a"',
      '**',
      'w/"a"',
      '"a\u0100"',
      `${','.repeat(5000)}"`,
    ]) {
      expect(parseTagList(bad), bad).toBeUndefined()
    }
  })

  it('when both conditions are sent, then If-Match is decided first, and a weak tag never satisfies it', () => {
    const current = '"now"'
    const tags = (value: string) => parseTagList(value)!
    expect(evaluate({ ifMatch: tags('"old"'), ifNoneMatch: tags(current) }, current, 'read')).toBe(
      'precondition-failed',
    )
    expect(evaluate({ ifMatch: tags(current), ifNoneMatch: tags(current) }, current, 'read')).toBe('not-modified')
    expect(evaluate({ ifMatch: tags(current), ifNoneMatch: tags(current) }, current, 'write')).toBe(
      'precondition-failed',
    )
    expect(evaluate({ ifMatch: tags(`W/${current}`) }, current, 'write')).toBe('precondition-failed')
    expect(evaluate({ ifNoneMatch: tags(`W/${current}`) }, current, 'read')).toBe('not-modified')
    expect(evaluate({ ifMatch: tags('*'), ifNoneMatch: tags('"old"') }, current, 'write')).toBe('proceed')
  })

  it('when conditional updates with one tag start in the same tick, then one is written and the others get 412', async () => {
    const { db, catalogueCache } = api.app
    for (let round = 0; round < 3; round++) {
      const product = await createProduct(api, { stock: 5 })
      const { etag } = await products.getProductRepresentation(db, product.id, catalogueCache)
      const conditions = { ifMatch: parseTagList(etag)! }
      const outcomes = await Promise.allSettled(
        ['A', 'B', 'C'].map((name) => products.updateProduct(db, product.id, { name }, catalogueCache, conditions)),
      )
      const written = outcomes.filter((outcome) => outcome.status === 'fulfilled')
      expect(written, `round ${round}`).toHaveLength(1)
      for (const outcome of outcomes.filter((outcome) => outcome.status === 'rejected')) {
        expect(outcome.reason).toMatchObject({ statusCode: 412, message: PRECONDITION_FAILED.detail })
      }
      expect((await read(product.id)).body.name).toBe(written[0]!.value.name)
    }
  })

  it('when two values have the same JSON text, then they have one tag; when any field differs, then another', () => {
    const product = { id: 1, sku: 'MUG-001', price: 12.5, updated_at: '2026-11-30T09:15:00.000Z' }
    expect(representationOf({ ...product }).etag).toBe(representationOf(product).etag)
    expect(representationOf({ ...product, price: 12.51 }).etag).not.toBe(representationOf(product).etag)
    expect(representationOf(product).etag).toBe(tagOfBody(JSON.stringify(product)))
  })
})
