import { createHmac } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, TEST_WEBHOOK_SECRET, type TestApp } from './helpers/app.js'
import { buildProduct, createOrder, createProduct } from './helpers/builders.js'

const apps: TestApp[] = []
async function app(env: Record<string, string> = {}) {
  const started = await startTestApp(env)
  apps.push(started)
  return started
}
afterAll(() => Promise.all(apps.map((a) => a.close())))

describe('defaults', () => {
  let api: TestApp
  beforeAll(async () => {
    api = await app()
  })

  it('when any route answers, then it carries the usual security headers', async () => {
    const response = await api.request('GET', '/products')
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN')
    expect(response.headers['content-security-policy']).toContain("default-src 'self'")
    expect(response.headers['content-security-policy']).not.toContain('upgrade-insecure-requests')
  })

  it('when the docs pages are served, then their own policies allow them and never force https', async () => {
    for (const path of ['/docs/', '/redoc']) {
      const policy = String((await api.request('GET', path)).headers['content-security-policy'])
      expect(policy, path).toContain("script-src 'self'")
      expect(policy, path).not.toContain('upgrade-insecure-requests')
    }
  })

  it('when a browser from another origin asks, then CORS stays off by default', async () => {
    const preflight = await api.request('OPTIONS', '/products', undefined, {
      origin: 'https://shop.example',
      'access-control-request-method': 'POST',
    })
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('when the service runs, then the timeouts suit a load balancer in front', () => {
    expect(api.app.server.keepAliveTimeout).toBe(72_000)
    expect(api.app.server.requestTimeout).toBe(30_000)
  })
})

describe('CORS_ORIGINS', () => {
  it('when set, then listed origins are allowed with the paging headers exposed, and others are not', async () => {
    const api = await app({ CORS_ORIGINS: 'https://shop.example, https://admin.shop.example' })
    const allowed = await api.request('GET', '/products', undefined, { origin: 'https://shop.example' })
    expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.example')
    expect(String(allowed.headers['access-control-expose-headers'])).toContain('X-Total-Count')
    const preflight = await api.request('OPTIONS', '/orders', undefined, {
      origin: 'https://admin.shop.example',
      'access-control-request-method': 'POST',
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers['access-control-allow-origin']).toBe('https://admin.shop.example')
    const other = await api.request('GET', '/products', undefined, { origin: 'https://evil.example' })
    expect(other.headers['access-control-allow-origin']).toBeUndefined()
  })
})

describe('rate limiting', () => {
  it('when a client exceeds RATE_LIMIT_MAX writes, then 429 with Retry-After; reads, health, docs and the webhook are never limited', async () => {
    const api = await app({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' })
    const product = await createProduct(api, { stock: 100 })
    await createOrder(api, product.id)
    await createOrder(api, product.id)
    const limited = await api.request('POST', '/orders', { product_id: product.id, quantity: 1 })
    expect(limited.status).toBe(429)
    expect(limited.body.detail).toMatch(/^Too many requests: retry in /)
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    for (const path of ['/products', '/health', '/ready', '/openapi.json']) {
      expect((await api.request('GET', path)).status, path).toBe(200)
    }
    const body = JSON.stringify({ event: 'payment.refunded', order_id: 1 })
    const signature = createHmac('sha256', TEST_WEBHOOK_SECRET).update(body).digest('hex')
    const delivered = await api.request('POST', '/webhooks/payment', body, {
      'content-type': 'application/json',
      'x-webhook-signature': signature,
    })
    expect(delivered.status).toBe(200)
  })

  it('when the service trusts its proxy, then each client behind it has its own budget', async () => {
    const api = await app({ RATE_LIMIT_MAX: '1', TRUST_PROXY: 'true' })
    const from = (ip: string) => ({ 'x-forwarded-for': ip })
    expect((await api.request('POST', '/products', buildProduct(), from('203.0.113.1'))).status).toBe(201)
    expect((await api.request('POST', '/products', buildProduct(), from('203.0.113.1'))).status).toBe(429)
    expect((await api.request('POST', '/products', buildProduct(), from('203.0.113.2'))).status).toBe(201)
  })

  it('when REDIS_URL is set, then instances share one budget per client', async (context) => {
    const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 0 })
    const reachable = await redis.connect().then(
      () => true,
      () => false,
    )
    redis.disconnect()
    if (!reachable) {
      if (process.env.CI === 'true') throw new Error('Redis is not reachable at 127.0.0.1:6379; CI requires it')
      context.skip('Redis is not reachable at 127.0.0.1:6379: start it to run this test')
    }
    const env = { RATE_LIMIT_MAX: '3', TRUST_PROXY: 'true', REDIS_URL: 'redis://127.0.0.1:6379' }
    const [one, two] = [await app(env), await app(env)]
    // A client address of this run only, so that no other run's counters interfere.
    const octet = () => Math.floor(Math.random() * 254) + 1
    const client = { 'x-forwarded-for': `10.${octet()}.${octet()}.${octet()}` }
    const statuses = []
    for (const api of [one, two, one, two]) {
      statuses.push((await api!.request('POST', '/products', buildProduct(), client)).status)
    }
    expect(statuses).toEqual([201, 201, 201, 429])
  })
})

describe('API_KEYS', () => {
  let api: TestApp
  let productId: number
  beforeAll(async () => {
    api = await app({ API_KEYS: 'old-key-0001, new-key-0002' })
    const created = await api.request('POST', '/products', buildProduct({ stock: 10 }), {
      authorization: 'Bearer new-key-0002',
    })
    productId = created.body.id
  })

  it('when a product write or an order status change comes without a valid key, then 401 with WWW-Authenticate', async () => {
    const order = await createOrder(api, productId)
    for (const [method, url, body] of [
      ['POST', '/products', buildProduct()],
      ['PUT', `/products/${productId}`, { name: 'x' }],
      ['PATCH', `/products/${productId}`, { name: 'x' }],
      ['DELETE', `/products/${productId}`, undefined],
      ['PUT', `/orders/${order.id}`, { status: 'CANCELED' }],
      ['DELETE', `/orders/${order.id}`, undefined],
    ] as const) {
      for (const authorization of [undefined, 'Bearer wrong-key', 'Basic b2xkLWtleS0wMDAx', 'Bearer old-key-000']) {
        const response = await api.request(method, url, body, authorization ? { authorization } : {})
        expect(response.status, `${method} ${url} ${authorization}`).toBe(401)
        expect(response.body).toEqual({ detail: 'Missing or invalid API key' })
        expect(response.headers['www-authenticate']).toBe('Bearer')
      }
    }
    expect((await api.request('GET', `/orders/${order.id}`)).body.status).toBe('PENDING')
  })

  it('when the key is one of the configured ones, then the call goes through; reads, orders and the webhook need none', async () => {
    expect(
      (
        await api.request(
          'PATCH',
          `/products/${productId}`,
          { name: 'Renamed' },
          { authorization: 'Bearer old-key-0001' },
        )
      ).status,
    ).toBe(200)
    expect((await api.request('GET', `/products/${productId}`)).status).toBe(200)
    const order = await createOrder(api, productId)
    const body = JSON.stringify({ event: 'payment.succeeded', order_id: order.id })
    const signature = createHmac('sha256', TEST_WEBHOOK_SECRET).update(body).digest('hex')
    const paid = await api.request('POST', '/webhooks/payment', body, {
      'content-type': 'application/json',
      'x-webhook-signature': signature,
    })
    expect(paid.body.status).toBe('processed')
    expect(
      (await api.request('DELETE', `/orders/${order.id}`, undefined, { authorization: 'Bearer new-key-0002' })).status,
    ).toBe(204)
  })
})
