import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { createProduct } from './helpers/builders.js'
import { sample } from './helpers/metrics.js'
import { webhookHmac } from './helpers/webhooks.js'

let api: TestApp
beforeAll(async () => {
  api = await startTestApp()
})
afterAll(() => api.close())

const metrics = async () => (await api.request('GET', '/metrics')).text

/** `signature`: 'valid' signs the body, null sends none, anything else is sent as is. */
function webhook(body: object, signature: string | null = 'valid') {
  const raw = JSON.stringify(body)
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (signature === 'valid') headers['x-webhook-signature'] = webhookHmac(raw)
  else if (signature) headers['x-webhook-signature'] = signature
  return api.request('POST', '/webhooks/payment', raw, headers)
}

describe('request ids', () => {
  it('when a request has no X-Request-Id, then the response carries a new one', async () => {
    const first = (await api.request('GET', '/health')).headers['x-request-id']
    const second = (await api.request('GET', '/health')).headers['x-request-id']
    expect(first).toMatch(/^[0-9a-f-]{36}$/)
    expect(second).not.toBe(first)
  })

  it('when the caller sends a sensible X-Request-Id, then it is kept; a hostile one is replaced', async () => {
    const kept = await api.request('GET', '/health', undefined, { 'x-request-id': 'edge-7f3a:42' })
    expect(kept.headers['x-request-id']).toBe('edge-7f3a:42')
    for (const hostile of ['a'.repeat(500), 'line\tbreak', '<script>']) {
      const replaced = await api.request('GET', '/health', undefined, { 'x-request-id': hostile })
      expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    }
  })
})

describe('metrics follow the traffic', () => {
  it('when orders, cancels and webhooks happen, then the counters move by exactly as much', async () => {
    const before = await metrics()
    const product = await createProduct(api, { stock: 3, price: 2 })
    const placed = await Promise.all(
      Array.from({ length: 5 }, () => api.request('POST', '/orders', { product_id: product.id, quantity: 1 })),
    )
    expect(placed.map((r) => r.status).sort()).toEqual([201, 201, 201, 409, 409])
    const [a, b, c] = placed.filter((r) => r.status === 201).map((r) => r.body.id as number)
    await api.request('DELETE', `/orders/${a}`) // canceled
    await api.request('DELETE', `/orders/${a}`) // deleted: not a second cancel
    await api.request('PUT', `/orders/${b}`, { status: 'CANCELED' })
    await api.request('PUT', `/orders/${b}`, { status: 'CANCELED' }) // idempotent repeat
    expect((await webhook({ event: 'payment.succeeded', order_id: c, event_id: `m-${c}` })).body.status).toBe(
      'processed',
    )
    expect((await webhook({ event: 'payment.succeeded', order_id: c, event_id: `m-${c}` })).body.status).toBe(
      'duplicate',
    )
    expect((await webhook({ event: 'payment.refunded', order_id: c })).body.status).toBe('ignored')
    expect((await webhook({ event: 'payment.succeeded', order_id: c }, 'sha256=' + '0'.repeat(64))).status).toBe(403)
    expect((await webhook({ event: 'payment.succeeded', order_id: c }, null)).status).toBe(401)
    expect((await webhook({ event: 'payment.succeeded', order_id: 987654321 })).status).toBe(404)
    await api.request('PUT', `/orders/${c}`, { status: 'SHIPPED' })
    const after = await metrics()

    const delta = (name: string, labels: Record<string, string> = {}) =>
      sample(after, name, labels) - sample(before, name, labels)
    expect(delta('orders_created_total')).toBe(3)
    expect(delta('orders_rejected_insufficient_stock_total')).toBe(2)
    expect(delta('orders_canceled_total')).toBe(2)
    expect(delta('orders_paid_total')).toBe(1)
    expect(delta('orders_shipped_total')).toBe(1)
    for (const [result, count] of Object.entries({
      processed: 1,
      duplicate: 1,
      ignored: 1,
      bad_signature: 1,
      missing_signature: 1,
      order_not_found: 1,
    })) {
      expect(delta('webhook_events_total', { result }), result).toBe(count)
    }
    expect(delta('http_requests_total', { method: 'POST', route: '/orders', status_code: '409' })).toBe(2)
    expect(delta('http_request_duration_seconds_count', { method: 'POST', route: '/orders', status_code: '201' })).toBe(
      3,
    )
  })

  it('when /metrics is read, then the process defaults (memory, event-loop lag) are there', async () => {
    const text = await metrics()
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0)
    expect(text).toContain('nodejs_eventloop_lag_seconds')
  })
})

// Log lines are read from a server process's output: in request-log.test.ts (a process start,
// kept out of `npm run test:quick`).
