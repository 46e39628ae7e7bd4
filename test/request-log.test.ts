import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from './helpers/database.js'
import { startInstances } from './helpers/processes.js'
import { signWebhook } from './helpers/webhooks.js'

// Part of the observability tests (observability.test.ts): apart because it reads the log lines a
// server process writes, and starting one takes seconds (vitest.config.ts leaves it out of
// `npm run test:quick`).

describe('logs', () => {
  let database: TestDatabase
  beforeAll(async () => {
    database = await createTestDatabase()
  })
  afterAll(() => database.drop())

  it('when requests are served, then each gets one JSON line with its id, route, status and duration, and no secret is written', async () => {
    const secret = 'log-test-webhook-secret'
    const apiKey = 'log-test-api-key-1234'
    const { urls, processes, stop } = await startInstances(1, database.url, {
      LOG_LEVEL: 'info',
      WEBHOOK_SECRET: secret,
      API_KEYS: apiKey,
    })
    const base = urls[0]!
    const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }
    await fetch(`${base}/products`, {
      method: 'POST',
      headers: { ...auth, 'x-request-id': 'trace-1' },
      body: JSON.stringify({ sku: 'LOG-1', name: 'n', price: 1, stock: 5 }),
    })
    await fetch(`${base}/products/1`, { headers: { ...auth, 'x-request-id': 'trace-2' } })
    await fetch(`${base}/products/99999`, { headers: { ...auth, 'x-request-id': 'trace-3' } })
    const body = JSON.stringify({ event: 'payment.succeeded', order_id: 1 })
    const signature = signWebhook(body, secret)
    await fetch(`${base}/webhooks/payment`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-signature': signature, 'x-request-id': 'trace-4' },
      body,
    })
    await stop()

    const lines = processes[0]!
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    const requests = lines.filter((line) => line.msg === 'request' && String(line.request_id).startsWith('trace-'))
    expect(requests.map((line) => [line.request_id, line.method, line.route, line.status])).toEqual([
      ['trace-1', 'POST', '/products', 201],
      ['trace-2', 'GET', '/products/:product_id', 200],
      ['trace-3', 'GET', '/products/:product_id', 404],
      ['trace-4', 'POST', '/webhooks/payment', 404],
    ])
    for (const line of requests) expect(line.duration_ms).toEqual(expect.any(Number))
    // The key's name, never the key: the bare key of API_KEYS is named key1.
    expect(requests.map((line) => line.api_key)).toEqual(['key1', 'key1', 'key1', undefined])
    const everything = processes[0]!.output()
    for (const leaked of [secret, apiKey, signature.slice(7)]) expect(everything).not.toContain(leaked)
  })
})
