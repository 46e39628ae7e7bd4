import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, TEST_WEBHOOK_SECRET, type TestApp } from './helpers/app.js'
import { createOrder, createProduct, setOrderStatus } from './helpers/builders.js'

let api: TestApp
beforeAll(async () => {
  api = await startTestApp()
})
afterAll(async () => {
  await api.close()
})

const hmac = (body: string, secret = TEST_WEBHOOK_SECRET) => createHmac('sha256', secret).update(body).digest('hex')

let eventSequence = 0
function paymentBody(orderId: number, extra: Record<string, unknown> = {}) {
  eventSequence += 1
  return JSON.stringify({
    event: 'payment.succeeded',
    order_id: orderId,
    currency: 'USD',
    payment_id: `pay_${eventSequence}_${Date.now()}`,
    ...extra,
  })
}

function deliver(body: string, headers: Record<string, string> = {}) {
  return api.request('POST', '/webhooks/payment', body, { 'content-type': 'application/json', ...headers })
}

function signed(body: string, headers: Record<string, string> = {}) {
  return deliver(body, { 'x-webhook-signature': `sha256=${hmac(body)}`, ...headers })
}

async function pendingOrder(quantity = 2, price = 29.99) {
  const product = await createProduct(api, { price, stock: 10 })
  return createOrder(api, product.id, quantity)
}

const orderStatus = async (id: number) => (await api.request('GET', `/orders/${id}`)).body.status

describe('signature', () => {
  it('when signed as sha256=<hex>, then the PENDING order becomes PAID', async () => {
    const order = await pendingOrder()
    const response = await signed(paymentBody(order.id, { amount: 59.98 }))
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ status: 'processed', order_id: order.id, new_status: 'PAID' })
    expect(await orderStatus(order.id)).toBe('PAID')
  })

  it('when signed with a bare <hex>, then it is accepted', async () => {
    const order = await pendingOrder()
    const body = paymentBody(order.id)
    const response = await deliver(body, { 'x-webhook-signature': hmac(body) })
    expect(response.status).toBe(200)
    expect(response.body.status).toBe('processed')
  })

  it('when the hex or the prefix is upper case, then it is accepted', async () => {
    for (const format of [(hex: string) => `sha256=${hex.toUpperCase()}`, (hex: string) => `SHA256=${hex}`]) {
      const order = await pendingOrder()
      const body = paymentBody(order.id)
      const response = await deliver(body, { 'x-webhook-signature': format(hmac(body)) })
      expect(response.status).toBe(200)
    }
  })

  it('when the signature is missing, then 401 and the order is untouched', async () => {
    const order = await pendingOrder()
    const response = await deliver(paymentBody(order.id))
    expect(response.status).toBe(401)
    expect(response.body).toEqual({ detail: 'Missing webhook signature' })
    expect(await orderStatus(order.id)).toBe('PENDING')
  })

  it('when the signature is wrong, then 403', async () => {
    const order = await pendingOrder()
    const response = await deliver(paymentBody(order.id), { 'x-webhook-signature': `sha256=${'0'.repeat(64)}` })
    expect(response.status).toBe(403)
    expect(response.body).toEqual({ detail: 'Invalid webhook signature' })
    expect(await orderStatus(order.id)).toBe('PENDING')
  })

  it('when the body is tampered after signing, then 403', async () => {
    const order = await pendingOrder()
    const body = paymentBody(order.id, { amount: 59.98 })
    const response = await deliver(body.replace('59.98', '0.01'), { 'x-webhook-signature': `sha256=${hmac(body)}` })
    expect(response.status).toBe(403)
    expect(await orderStatus(order.id)).toBe('PENDING')
  })

  it('when signed with another secret, then 403', async () => {
    const order = await pendingOrder()
    const body = paymentBody(order.id)
    const response = await deliver(body, { 'x-webhook-signature': `sha256=${hmac(body, 'not-the-secret')}` })
    expect(response.status).toBe(403)
  })

  it.each([
    ['too short', (hex: string) => `sha256=${hex.slice(0, 63)}`],
    ['too long', (hex: string) => `sha256=${hex}0`],
    ['a valid signature with trailing garbage', (hex: string) => `sha256=${hex}zz`],
    ['non-hex characters', (hex: string) => `sha256=${hex.slice(0, 62)}gg`],
    ['another algorithm', (hex: string) => `sha1=${hex}`],
    ['an empty sha256=', () => 'sha256='],
    ['spaces inside', (hex: string) => `sha256= ${hex.slice(1)}`],
  ])('when the header is malformed (%s), then 403', async (_case, header) => {
    const order = await pendingOrder()
    const body = paymentBody(order.id)
    const response = await deliver(body, { 'x-webhook-signature': header(hmac(body)) })
    expect(response.status).toBe(403)
    expect(response.body).toEqual({ detail: 'Invalid webhook signature' })
    expect(await orderStatus(order.id)).toBe('PENDING')
  })

  it('when the body is not JSON but unsigned, then the signature is checked first (401)', async () => {
    const response = await deliver('{not json')
    expect(response.status).toBe(401)
  })

  it('when the content type is not JSON, then the signature over the raw bytes still decides', async () => {
    const order = await pendingOrder()
    const body = paymentBody(order.id)
    const response = await deliver(body, { 'content-type': 'text/plain', 'x-webhook-signature': hmac(body) })
    expect(response.status).toBe(200)
    expect(response.body.status).toBe('processed')
  })
})

describe('secret rotation', () => {
  let rotating: TestApp
  beforeAll(async () => {
    rotating = await startTestApp({ WEBHOOK_SECRET: 'old-secret, new-secret' })
  })
  afterAll(async () => {
    await rotating.close()
  })

  it.each(['old-secret', 'new-secret'])('when signed with %s, then it verifies', async (secret) => {
    const product = await createProduct(rotating)
    const order = await createOrder(rotating, product.id)
    const body = paymentBody(order.id)
    const response = await rotating.request('POST', '/webhooks/payment', body, {
      'content-type': 'application/json',
      'x-webhook-signature': `sha256=${hmac(body, secret)}`,
    })
    expect(response.status).toBe(200)
    expect(response.body.status).toBe('processed')
  })

  it('when signed with a secret that is not configured, then 403', async () => {
    const body = paymentBody(1)
    const response = await rotating.request('POST', '/webhooks/payment', body, {
      'content-type': 'application/json',
      'x-webhook-signature': `sha256=${hmac(body, 'retired-secret')}`,
    })
    expect(response.status).toBe(403)
  })
})

describe('duplicates', () => {
  it('when the same X-Event-Id comes again, then 200 duplicate and the order is untouched', async () => {
    const order = await pendingOrder()
    const first = await signed(paymentBody(order.id), { 'x-event-id': `evt-${order.id}` })
    expect(first.body.status).toBe('processed')
    await setOrderStatus(api, order.id, 'SHIPPED')
    const again = await signed(paymentBody(order.id), { 'x-event-id': `evt-${order.id}` })
    expect(again.status).toBe(200)
    expect(again.body).toMatchObject({ status: 'duplicate', event_id: `evt-${order.id}`, order_id: order.id })
    expect(await orderStatus(order.id)).toBe('SHIPPED')
  })

  it('when the body carries event_id or id, then that is the identity', async () => {
    for (const key of ['event_id', 'id']) {
      const order = await pendingOrder()
      const identity = `${key}-${order.id}`
      expect((await signed(paymentBody(order.id, { [key]: identity }))).body.status).toBe('processed')
      const again = await signed(paymentBody(order.id, { [key]: identity }))
      expect(again.body).toMatchObject({ status: 'duplicate', event_id: identity })
    }
  })

  it('when there is no id at all, then an identical body is a duplicate and a different one is not', async () => {
    const order = await pendingOrder()
    const body = JSON.stringify({ event: 'payment.succeeded', order_id: order.id })
    expect((await signed(body)).body.status).toBe('processed')
    expect((await signed(body)).body.status).toBe('duplicate')
    const different = await signed(JSON.stringify({ event: 'payment.succeeded', order_id: order.id, note: 'retry' }))
    expect(different.body).toMatchObject({ status: 'ignored', reason: 'Order already PAID' })
  })

  it('when a delivery failed (404), then it is not recorded and a retry is evaluated again', async () => {
    const body = paymentBody(987654, { event_id: 'evt-missing-order' })
    expect((await signed(body)).status).toBe(404)
    expect((await signed(body)).status).toBe(404)
  })

  it('when the same event arrives 20 times at once, then it is processed exactly once', async () => {
    const order = await pendingOrder()
    const body = paymentBody(order.id, { event_id: `burst-${order.id}` })
    const responses = await Promise.all(Array.from({ length: 20 }, () => signed(body)))
    const statuses = responses.map((r) => r.body.status)
    expect(statuses.filter((s) => s === 'processed')).toHaveLength(1)
    expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(19)
  })
})

describe('outcomes', () => {
  it('when the amount differs from the order total, then 422 and the order stays PENDING', async () => {
    const order = await pendingOrder(2, 29.99)
    const response = await signed(paymentBody(order.id, { amount: 59.97 }))
    expect(response.status).toBe(422)
    expect(typeof response.body.detail).toBe('string')
    expect(response.body.detail).toContain('59.98')
    expect(await orderStatus(order.id)).toBe('PENDING')
  })

  it('when the amount has more than two decimals, then it does not match', async () => {
    const order = await pendingOrder(1, 10)
    const response = await signed(paymentBody(order.id, { amount: 10.001 }))
    expect(response.status).toBe(422)
  })

  it('when the amount equals the total computed in cents, then it matches despite float arithmetic', async () => {
    const order = await pendingOrder(3, 0.1) // 0.1 * 3 is 0.30000000000000004 in floats
    const response = await signed(paymentBody(order.id, { amount: 0.3 }))
    expect(response.status).toBe(200)
    expect(response.body.status).toBe('processed')
  })

  it('when the signature header is repeated, then the first value counts', async () => {
    const order = await pendingOrder()
    const body = paymentBody(order.id)
    const signature = `sha256=${hmac(body)}`
    const response = await deliver(body, { 'x-webhook-signature': `${signature}, ${signature}` })
    expect(response.status).toBe(200)
    expect(response.body.status).toBe('processed')
  })

  it('when X-Event-Id is repeated, then the first value is the identity', async () => {
    const order = await pendingOrder()
    const id = `evt-repeat-${order.id}`
    expect((await signed(paymentBody(order.id), { 'x-event-id': `${id}, ${id}` })).body.event_id).toBe(id)
    expect((await signed(paymentBody(order.id), { 'x-event-id': id })).body.status).toBe('duplicate')
  })

  it('when X-Event-Id carries UTF-8, then the identity comes back as sent', async () => {
    const order = await pendingOrder()
    const body = paymentBody(order.id)
    await api.app.listen({ host: '127.0.0.1', port: 0 })
    const address = api.app.server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    const eventId = `évt-☃-${order.id}`
    // Raw bytes: Node's HTTP client refuses non-latin1 header values, providers do send UTF-8.
    const request = Buffer.concat([
      Buffer.from(
        `POST /webhooks/payment HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n` +
          `X-Webhook-Signature: sha256=${hmac(body)}\r\nX-Event-Id: `,
      ),
      Buffer.from(eventId, 'utf8'),
      Buffer.from(`\r\n\r\n${body}`),
    ])
    const { connect } = await import('node:net')
    const answer = await new Promise<string>((resolve) => {
      const chunks: Buffer[] = []
      const socket = connect(port, '127.0.0.1', () => socket.write(request))
      socket.on('data', (chunk) => chunks.push(chunk))
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')))
    })
    expect(answer).toMatch(/^HTTP\/1\.1 200/)
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({
      status: 'processed',
      event_id: eventId,
    })
  })

  it('when the body starts with a UTF-8 byte order mark, then it is read', async () => {
    const order = await pendingOrder()
    const body = `\ufeff${paymentBody(order.id)}`
    const response = await signed(body)
    expect(response.status).toBe(200)
    expect(response.body.status).toBe('processed')
  })

  it('when the body tries prototype pollution, then 400', async () => {
    const response = await signed('{"event": "payment.succeeded", "order_id": 1, "__proto__": {"x": 1}}')
    expect(response.status).toBe(400)
  })

  it('when the event type or identity holds a NUL character, then 422 naming the field and the order is untouched', async () => {
    const order = await pendingOrder()
    for (const [field, overrides] of [
      ['event_id', { event_id: 'evt\u0000x' }],
      ['id', { id: '\u0000' }],
      ['event', { event: 'payment.succeeded\u0000' }],
    ] as const) {
      const response = await signed(paymentBody(order.id, overrides))
      expect(response.status).toBe(422)
      expect(response.body.detail.map((issue: { loc: string[] }) => issue.loc.join('.'))).toContain(`body.${field}`)
    }
    expect(await orderStatus(order.id)).toBe('PENDING')
  })

  it('when the event id holds an unpaired surrogate, then 400 and it cannot pass for another event', async () => {
    const order = await pendingOrder()
    const body = `{"event": "payment.succeeded", "order_id": ${order.id}, "event_id": "evt-\\ud800"}`
    const response = await signed(body)
    expect(response.status).toBe(400)
    expect(response.body).toEqual({ detail: 'Invalid JSON payload' })
    expect(await orderStatus(order.id)).toBe('PENDING')
  })

  it('when optional fields are null, then they count as not given', async () => {
    const order = await pendingOrder()
    const response = await signed(paymentBody(order.id, { amount: null, event_id: null, currency: null }))
    expect(response.status).toBe(200)
    expect(response.body.status).toBe('processed')
  })

  it('when event_id has a wrong type, then 422 has one item for it', async () => {
    const response = await signed(paymentBody(1, { event_id: { nested: true } }))
    expect(response.status).toBe(422)
    expect(response.body.detail).toEqual([{ loc: ['body', 'event_id'], msg: expect.any(String), type: 'union_type' }])
  })

  it('when event_type is used instead of event, then it works the same', async () => {
    const order = await pendingOrder()
    const body = JSON.stringify({ event_type: 'payment.succeeded', order_id: order.id })
    const response = await signed(body)
    expect(response.body).toMatchObject({ status: 'processed', new_status: 'PAID' })
  })

  it('when the order does not exist, then 404 Order not found', async () => {
    const response = await signed(paymentBody(987655))
    expect(response.status).toBe(404)
    expect(response.body).toEqual({ detail: 'Order not found' })
  })

  it.each(['PAID', 'SHIPPED'])('when the order is already %s, then 200 ignored', async (status) => {
    const order = await pendingOrder()
    await setOrderStatus(api, order.id, 'PAID')
    if (status === 'SHIPPED') await setOrderStatus(api, order.id, 'SHIPPED')
    const response = await signed(paymentBody(order.id))
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ status: 'ignored', reason: expect.any(String) })
    expect(await orderStatus(order.id)).toBe(status)
  })

  it('when the order is CANCELED, then 409 and it stays CANCELED', async () => {
    const order = await pendingOrder()
    await setOrderStatus(api, order.id, 'CANCELED')
    const response = await signed(paymentBody(order.id))
    expect(response.status).toBe(409)
    expect(typeof response.body.detail).toBe('string')
    expect(await orderStatus(order.id)).toBe('CANCELED')
  })

  it('when the event type is not handled, then 200 ignored with the reason and nothing changes', async () => {
    const order = await pendingOrder()
    const response = await signed(paymentBody(order.id, { event: 'payment.refunded' }))
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ status: 'ignored', reason: 'Unhandled event type: payment.refunded' })
    expect(await orderStatus(order.id)).toBe('PENDING')
  })

  it.each([
    ['invalid JSON', '{"event": "payment.succeeded", '],
    ['a JSON array', '[1, 2]'],
    ['a missing order_id', '{"event": "payment.succeeded"}'],
    ['a string order_id', '{"event": "payment.succeeded", "order_id": "abc"}'],
    ['a missing event', '{"order_id": 1}'],
    ['an empty body', ''],
  ])('when the signed body has %s, then 400 or 422, never 5xx', async (_case, body) => {
    const response = await signed(body)
    expect([400, 422]).toContain(response.status)
    expect(response.body).toHaveProperty('detail')
  })
})
