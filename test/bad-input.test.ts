import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { createProduct } from './helpers/builders.js'

let api: TestApp
let productId: number
beforeAll(async () => {
  api = await startTestApp()
  productId = (await createProduct(api, { stock: 5 })).id
})
afterAll(async () => {
  await api.close()
})

const json = { 'content-type': 'application/json' }

describe('whatever a client sends, the answer is a clear 4xx, never a 5xx', () => {
  it('when the body is over 1 MiB, then 413', async () => {
    const body = JSON.stringify({ sku: 'BIG', name: 'x'.repeat(2 * 1024 * 1024), price: 1 })
    const response = await api.request('POST', '/products', body, json)
    expect(response.status).toBe(413)
    expect(response.body).toEqual({ detail: expect.any(String) })
  })

  it('when a 2 MiB body goes to the webhook, then 413 as well', async () => {
    const response = await api.request('POST', '/webhooks/payment', 'x'.repeat(2 * 1024 * 1024), {
      ...json,
      'x-webhook-signature': 'sha256=' + '0'.repeat(64),
    })
    expect(response.status).toBe(413)
  })

  it('when the body limit is configured lower, then it applies', async () => {
    const small = await startTestApp({ BODY_LIMIT: '2048' })
    try {
      const response = await small.request(
        'POST',
        '/products',
        JSON.stringify({ sku: 'S', name: 'x'.repeat(3000), price: 1 }),
        json,
      )
      expect(response.status).toBe(413)
    } finally {
      await small.close()
    }
  })

  it('when the JSON is malformed, then 422 json_invalid', async () => {
    const response = await api.request('POST', '/products', '{"sku": "A", "name": ', json)
    expect(response.status).toBe(422)
    expect(response.body.detail[0]).toMatchObject({ loc: ['body'], type: 'json_invalid' })
  })

  it('when the body is empty with a JSON content type, then 422', async () => {
    const response = await api.request('POST', '/orders', '', json)
    expect(response.status).toBe(422)
  })

  it('when the body is JSON but not an object, then 422', async () => {
    for (const body of ['[]', '"text"', '42', 'null', 'true']) {
      const response = await api.request('POST', '/orders', body, json)
      expect(response.status).toBe(422)
    }
  })

  it.each(['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])(
    'when the content type is %s, then 415',
    async (contentType) => {
      const response = await api.request('POST', '/products', 'sku=A&name=B&price=1', { 'content-type': contentType })
      expect(response.status).toBe(415)
      expect(typeof response.body.detail).toBe('string')
    },
  )

  it('when JSON is deeply nested, then it is rejected or ignored without a crash', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000)
    const response = await api.request(
      'POST',
      '/products',
      `{"sku": "DEEP", "name": "n", "price": 1, "x": ${deep}}`,
      json,
    )
    expect(response.status).toBeLessThan(500)
    const asBody = await api.request('POST', '/orders', deep, json)
    expect(asBody.status).toBe(422)
  })

  it('when the JSON tries prototype pollution, then 4xx and nothing is polluted', async () => {
    const response = await api.request(
      'POST',
      '/products',
      '{"sku": "P", "name": "n", "price": 1, "__proto__": {"admin": true}}',
      json,
    )
    expect(response.status).toBeGreaterThanOrEqual(400)
    expect(response.status).toBeLessThan(500)
    expect(({} as Record<string, unknown>).admin).toBeUndefined()
  })

  it.each([
    ['huge quantity', { quantity: Number.MAX_SAFE_INTEGER }],
    ['quantity 1e308', { quantity: 1e308 }],
    ['fractional quantity', { quantity: 1.5 }],
    ['quantity as object', { quantity: { $gt: 0 } }],
    ['quantity as array', { quantity: [1] }],
    ['huge product_id', { product_id: 1e300 }],
    ['negative product_id', { product_id: -1 }],
  ])('when an order has a %s, then 422', async (_case, overrides) => {
    const response = await api.request('POST', '/orders', { product_id: productId, quantity: 1, ...overrides })
    expect(response.status).toBe(422)
  })

  it.each([
    ['huge price', { price: 1e300 }],
    ['huge stock', { stock: 1e300 }],
    ['stock beyond the maximum', { stock: 2 ** 53 }],
    ['sku as a number', { sku: 12345 }],
    ['name as an object', { name: { first: 'a' } }],
  ])('when a product has a %s, then 422', async (_case, overrides) => {
    const response = await api.request('POST', '/products', { sku: 'OK-SKU', name: 'n', price: 1, ...overrides })
    expect(response.status).toBe(422)
  })

  it('when strings carry unicode, quotes and SQL, then they are stored as text', async () => {
    const name = `Robert'); DROP TABLE products;-- \u{1F680} "quoted" \\ ñ`
    const response = await api.request('POST', '/products', { sku: `sql-${Date.now()}`, name, price: 1 })
    expect(response.status).toBe(201)
    expect((await api.request('GET', `/products/${response.body.id}`)).body.name).toBe(name)
  })

  it('when a string holds an unpaired surrogate, then 422 json_invalid; an escaped pair is a real character', async () => {
    for (const sku of ['\\ud800', 'A\\udc00B', '\\uDBFF']) {
      const response = await api.request('POST', '/products', `{"sku": "${sku}", "name": "n", "price": 1}`)
      expect(response.status, sku).toBe(422)
      expect(response.body.detail[0].type).toBe('json_invalid')
    }
    const pair = await api.request(
      'POST',
      '/products',
      `{"sku": "EMOJI-\\ud83d\\ude80-${Date.now()}", "name": "n", "price": 1}`,
    )
    expect(pair.status).toBe(201)
    expect(pair.body.sku).toContain('\u{1F680}')
  })

  it('when the path or query are odd, then 4xx', async () => {
    for (const url of [
      '/products/%zz',
      '/products/1%00',
      '/orders?limit=1&limit=2',
      '/products/1/extra',
      '/products?offset=1e400',
    ]) {
      const response = await api.request('GET', url)
      expect(response.status).toBeGreaterThanOrEqual(400)
      expect(response.status).toBeLessThan(500)
    }
  })
})

describe('error bodies', () => {
  it('when the URL has a malformed escape, then 400 with a detail string', async () => {
    const response = await api.request('GET', '/products/%zz')
    expect(response.status).toBe(400)
    expect(response.body).toEqual({ detail: 'Malformed URL' })
  })

  it('when the offset is beyond any table, then 422', async () => {
    for (const offset of ['1e400', '99999999999999999999999']) {
      expect((await api.request('GET', `/products?offset=${offset}`)).status).toBe(422)
    }
  })
})

describe('missing bodies', () => {
  it('when POST /orders has no body at all, then 422 says the body is required', async () => {
    const response = await api.request('POST', '/orders')
    expect(response.status).toBe(422)
    expect(response.body.detail).toEqual([{ loc: ['body'], msg: 'Field required', type: 'missing' }])
  })
})
