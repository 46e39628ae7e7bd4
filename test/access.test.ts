import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, ConfigError } from '../src/config.js'
import { startTestApp, type TestApp } from './helpers/app.js'
import { buildProduct } from './helpers/builders.js'
import { webhookHmac } from './helpers/webhooks.js'

const KEYS = {
  reader: 'reader-key-0000000001',
  shop: 'shop-key-00000000002',
  admin: 'admin-key-0000000003',
  legacy: 'legacy-bare-key-00004',
}
const bearer = (key: string) => ({ authorization: `Bearer ${key}` })

/** Routes that stay open with API_KEYS set (the contract's list). */
const OPEN = new Set(['GET /', 'GET /health', 'GET /ready', 'GET /metrics', 'POST /webhooks/payment'])

let api: TestApp
let productId: number
let orderId: number
beforeAll(async () => {
  api = await startTestApp({
    API_KEYS: `storefront-read:read:${KEYS.reader}, storefront:orders:${KEYS.shop}, backoffice:admin:${KEYS.admin}, ${KEYS.legacy}`,
  })
  productId = (await api.request('POST', '/products', buildProduct({ stock: 50 }), bearer(KEYS.admin))).body.id
  orderId = (await api.request('POST', '/orders', { product_id: productId, quantity: 1 }, bearer(KEYS.shop))).body.id
})
afterAll(() => api.close())

/** Every operation of the OpenAPI document, its path with ids filled in. */
async function operations() {
  const document = (await api.request('GET', '/openapi.json')).body as {
    paths: Record<string, Record<string, { 'x-scope'?: string; security?: unknown }>>
  }
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      template: path,
      url: path.replace('{product_id}', String(productId)).replace(/\{[a-z_]+\}/g, String(orderId)),
      operation,
    })),
  )
}

describe('API_KEYS with scopes', () => {
  it('when keys are set, then every operation of the OpenAPI document needs a key, except the open ones', async () => {
    const all = await operations()
    expect(all.length).toBeGreaterThan(10)
    for (const { method, template, url } of all) {
      const key = `${method} ${template.replace(/\{([a-z_]+)\}/g, ':$1')}`
      const response = await api.request(method as 'GET', url, method === 'GET' ? undefined : {})
      if (OPEN.has(key)) {
        // The webhook answers 401 for its own missing signature, never for a missing API key.
        expect(response.body?.detail, key).not.toBe('Missing or invalid API key')
        expect(response.headers['www-authenticate'], key).toBeUndefined()
      } else {
        expect(response.status, key).toBe(401)
        expect(response.body, key).toEqual({ detail: 'Missing or invalid API key' })
        expect(response.headers['www-authenticate'], key).toBe('Bearer')
      }
    }
    // And every route the service registered, documented or not (docs pages, assets).
    for (const { method, url, scope } of api.app.routeScopes) {
      if (scope !== 'public') continue
      const open =
        OPEN.has(`${method} ${url}`) || url.startsWith('/docs') || url.startsWith('/redoc') || url.startsWith('/admin')
      expect(open || url === '/openapi.json' || method === 'HEAD', `${method} ${url} is public`).toBe(true)
    }
  })

  it('when the docs pages and the OpenAPI document are fetched without a key, then they are served', async () => {
    for (const path of ['/docs/', '/redoc', '/openapi.json', '/metrics', '/health', '/ready', '/']) {
      expect((await api.request('GET', path)).status, path).toBe(200)
    }
  })

  it('when a read key calls, then every GET works and every write is 403 Insufficient scope, changing nothing', async () => {
    for (const path of ['/products', `/products/${productId}`, '/orders', `/orders/${orderId}`]) {
      expect((await api.request('GET', path, undefined, bearer(KEYS.reader))).status, path).toBe(200)
    }
    for (const [method, url, body] of [
      ['POST', '/products', buildProduct()],
      ['PATCH', `/products/${productId}`, { stock: 0 }],
      ['DELETE', `/products/${productId}`, undefined],
      ['POST', '/orders', { product_id: productId, quantity: 1 }],
      ['PUT', `/orders/${orderId}`, { status: 'CANCELED' }],
      ['DELETE', `/orders/${orderId}`, undefined],
    ] as const) {
      const response = await api.request(method, url, body, bearer(KEYS.reader))
      expect(response.status, `${method} ${url}`).toBe(403)
      expect(response.body).toEqual({ detail: 'Insufficient scope' })
    }
    const product = await api.request('GET', `/products/${productId}`, undefined, bearer(KEYS.reader))
    expect(product.body.stock).toBe(49)
    const order = await api.request('GET', `/orders/${orderId}`, undefined, bearer(KEYS.reader))
    expect(order.body.status).toBe('PENDING')
  })

  it('when an orders key calls, then it places, changes and cancels orders but may not touch the catalogue', async () => {
    const placed = await api.request('POST', '/orders', { product_id: productId, quantity: 2 }, bearer(KEYS.shop))
    expect(placed.status).toBe(201)
    const paid = await api.request('PUT', `/orders/${placed.body.id}`, { status: 'PAID' }, bearer(KEYS.shop))
    expect(paid.body.status).toBe('PAID')
    expect((await api.request('DELETE', `/orders/${placed.body.id}`, undefined, bearer(KEYS.shop))).status).toBe(204)
    for (const [method, url, body] of [
      ['POST', '/products', buildProduct()],
      ['PUT', `/products/${productId}`, { name: 'x' }],
      ['DELETE', `/products/${productId}`, undefined],
    ] as const) {
      expect((await api.request(method, url, body, bearer(KEYS.shop))).status, `${method} ${url}`).toBe(403)
    }
  })

  it('when an admin key or a bare key calls, then everything is allowed', async () => {
    for (const key of [KEYS.admin, KEYS.legacy]) {
      const created = await api.request('POST', '/products', buildProduct(), bearer(key))
      expect(created.status).toBe(201)
      expect(
        (await api.request('PATCH', `/products/${created.body.id}`, { name: 'Renamed' }, bearer(key))).status,
      ).toBe(200)
      expect((await api.request('DELETE', `/products/${created.body.id}`, undefined, bearer(key))).status).toBe(204)
    }
  })

  it('when the key is missing, unknown, a prefix of a key, or in another scheme, then 401', async () => {
    for (const authorization of [
      undefined,
      'Bearer wrong-key',
      `Bearer ${KEYS.admin.slice(0, -1)}`,
      `Bearer ${KEYS.admin}x`,
      `Basic ${Buffer.from(`user:${KEYS.admin}`).toString('base64')}`,
      `storefront:orders:${KEYS.shop}`,
    ]) {
      const response = await api.request('GET', '/orders', undefined, authorization ? { authorization } : {})
      expect(response.status, String(authorization)).toBe(401)
    }
  })

  it('when keys are set, then the signed payment webhook still needs no key, and a bad signature is still 403', async () => {
    const body = JSON.stringify({ event: 'payment.succeeded', order_id: orderId })
    const signature = webhookHmac(body)
    const paid = await api.request('POST', '/webhooks/payment', body, { 'x-webhook-signature': signature })
    expect(paid.body.status).toBe('processed')
    const forged = await api.request('POST', '/webhooks/payment', body, { 'x-webhook-signature': '0'.repeat(64) })
    expect(forged.status).toBe(403)
  })

  it('when an unknown route or a CORS preflight comes without a key, then 404 and the preflight are not turned into 401', async () => {
    expect((await api.request('GET', '/nothing-here')).status).toBe(404)
    const preflight = await api.request('OPTIONS', '/orders', undefined, {
      origin: 'https://shop.example',
      'access-control-request-method': 'POST',
    })
    expect(preflight.status).not.toBe(401)
  })

  it('when the OpenAPI document is read, then it shows the bearer scheme and each operation its scope', async () => {
    const document = (await api.request('GET', '/openapi.json')).body
    expect(document.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' })
    const scopes = Object.fromEntries(
      (await operations()).map(({ method, template, operation }) => [`${method} ${template}`, operation['x-scope']]),
    )
    expect(scopes).toMatchObject({
      'GET /products': 'read',
      'GET /orders/{order_id}': 'read',
      'POST /orders': 'orders',
      'PUT /orders/{order_id}': 'orders',
      'DELETE /orders/{order_id}': 'orders',
      'POST /products': 'admin',
      'PATCH /products/{product_id}': 'admin',
      'DELETE /products/{product_id}': 'admin',
    })
    expect(scopes['GET /health']).toBeUndefined()
    const placeOrder = document.paths['/orders'].post
    expect(placeOrder.security).toEqual([{ apiKey: ['orders'] }])
    expect(Object.keys(placeOrder.responses)).toEqual(expect.arrayContaining(['401', '403']))
  })
})

describe('API_KEYS parsing', () => {
  it('when entries are NAME:SCOPE:KEY or bare, then names and scopes are kept and bare keys are admin keyN', () => {
    const keys = loadConfig({ API_KEYS: 'shop:orders:abc:def, plain-key ,ops:read:xyz' }).apiKeys
    expect(keys).toEqual([
      { name: 'shop', scope: 'orders', key: 'abc:def' },
      { name: 'key2', scope: 'admin', key: 'plain-key' },
      { name: 'ops', scope: 'read', key: 'xyz' },
    ])
  })

  it('when an entry has an unknown scope, an empty key or a repeated name, then start-up fails naming API_KEYS', () => {
    for (const value of ['shop:write:abc', 'shop:read:', 'a:read:k1,a:admin:k2', 'a:read:same,b:admin:same']) {
      expect(() => loadConfig({ API_KEYS: value }), value).toThrow(ConfigError)
      expect(() => loadConfig({ API_KEYS: value }), value).toThrow(/API_KEYS/)
    }
  })
})

describe('without API_KEYS', () => {
  it('when no keys are configured, then everything is open as before and the document marks the key optional', async () => {
    const open = await startTestApp()
    try {
      const created = await open.request('POST', '/products', buildProduct())
      expect(created.status).toBe(201)
      expect((await open.request('GET', '/orders')).status).toBe(200)
      const document = (await open.request('GET', '/openapi.json')).body
      expect(document.paths['/products'].post.security).toEqual([{}, { apiKey: ['admin'] }])
    } finally {
      await open.close()
    }
  })
})
