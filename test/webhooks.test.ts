import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { createOrder, createProduct, setOrderStatus } from './helpers/builders.js'
import { sample } from './helpers/metrics.js'
import {
  nowSeconds,
  sendRawWebhook,
  signWebhook,
  standardSignature,
  standardWebhookHeaders,
  webhookHmac as hmac,
} from './helpers/webhooks.js'

let api: TestApp
beforeAll(async () => {
  api = await startTestApp()
})
afterAll(async () => {
  await api.close()
})

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
  return deliver(body, { 'x-webhook-signature': signWebhook(body), ...headers })
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
    const response = await deliver(body.replace('59.98', '0.01'), { 'x-webhook-signature': signWebhook(body) })
    expect(response.status).toBe(403)
    expect(await orderStatus(order.id)).toBe('PENDING')
  })

  it('when signed with another secret, then 403', async () => {
    const order = await pendingOrder()
    const body = paymentBody(order.id)
    const response = await deliver(body, { 'x-webhook-signature': signWebhook(body, 'not-the-secret') })
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
      'x-webhook-signature': signWebhook(body, secret),
    })
    expect(response.status).toBe(200)
    expect(response.body.status).toBe('processed')
  })

  it('when signed with a secret that is not configured, then 403', async () => {
    const body = paymentBody(1)
    const response = await rotating.request('POST', '/webhooks/payment', body, {
      'content-type': 'application/json',
      'x-webhook-signature': signWebhook(body, 'retired-secret'),
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

  it('when a delivery failed on the amount (422), then it is not recorded: the same event with the right amount is processed', async () => {
    const order = await pendingOrder(2, 29.99)
    const id = `evt-amount-${order.id}`
    const wrong = await signed(paymentBody(order.id, { amount: 59.97 }), { 'x-event-id': id })
    expect(wrong.status).toBe(422)
    expect(await orderStatus(order.id)).toBe('PENDING')
    const retry = await signed(paymentBody(order.id, { amount: 59.98 }), { 'x-event-id': id })
    expect(retry.status).toBe(200)
    expect(retry.body).toMatchObject({ status: 'processed', event_id: id, new_status: 'PAID' })
    expect(await orderStatus(order.id)).toBe('PAID')
  })

  it('when a delivery failed on a canceled order (409), then it is not recorded: a retry is refused again, and the event sent for the right order is processed', async () => {
    const [canceled, right] = [await pendingOrder(), await pendingOrder()]
    await setOrderStatus(api, canceled.id, 'CANCELED')
    const id = `evt-canceled-${canceled.id}`
    for (const attempt of ['first', 'retry']) {
      const refused = await signed(paymentBody(canceled.id), { 'x-event-id': id })
      expect(refused.status, attempt).toBe(409)
      expect(refused.body, attempt).toEqual({ detail: 'Cannot mark a canceled order as paid' })
    }
    expect(await orderStatus(canceled.id)).toBe('CANCELED')
    // The provider corrects the order and re-sends the same event: had the failure been recorded,
    // the id would now belong to the canceled order (409 Event id already used).
    const corrected = await signed(paymentBody(right.id), { 'x-event-id': id })
    expect(corrected.status).toBe(200)
    expect(corrected.body).toMatchObject({ status: 'processed', event_id: id, order_id: right.id })
    expect(await orderStatus(right.id)).toBe('PAID')
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
    // Two different values, valid then invalid and the reverse, so "first" cannot pass for "last"
    // or "any": in one header (as a proxy folds repeats) and as two header lines.
    const wrong = `sha256=${'0'.repeat(64)}`
    for (const layout of ['folded', 'two lines'] as const) {
      const send = (body: string, values: [string, string]) =>
        layout === 'folded'
          ? deliver(body, { 'x-webhook-signature': values.join(', ') })
          : sendRawWebhook(api.app, body, [
              ['X-Webhook-Signature', values[0]],
              ['X-Webhook-Signature', values[1]],
            ])
      const order = await pendingOrder()
      const body = paymentBody(order.id)
      const validFirst = await send(body, [signWebhook(body), wrong])
      expect(validFirst.status, layout).toBe(200)
      expect(validFirst.body.status, layout).toBe('processed')

      const other = await pendingOrder()
      const otherBody = paymentBody(other.id)
      const invalidFirst = await send(otherBody, [wrong, signWebhook(otherBody)])
      expect(invalidFirst.status, layout).toBe(403)
      expect(invalidFirst.body, layout).toEqual({ detail: 'Invalid webhook signature' })
      expect(await orderStatus(other.id), layout).toBe('PENDING')
    }
  })

  it('when X-Event-Id is repeated, then the first value is the identity', async () => {
    const notUtf8 = Buffer.from('evt-\xff', 'latin1')
    // Valid first, invalid (and different) last: processed under the first.
    const order = await pendingOrder()
    const id = `evt-repeat-${order.id}`
    const body = paymentBody(order.id)
    const first = await sendRawWebhook(api.app, body, [
      ['X-Webhook-Signature', signWebhook(body)],
      ['X-Event-Id', id],
      ['X-Event-Id', notUtf8],
    ])
    expect(first.status).toBe(200)
    expect(first.body.event_id).toBe(id)
    expect((await signed(paymentBody(order.id), { 'x-event-id': id })).body.status).toBe('duplicate')

    // Invalid first, valid last: refused for the first, whatever follows it.
    const other = await pendingOrder()
    const otherBody = paymentBody(other.id)
    const reversed = await sendRawWebhook(api.app, otherBody, [
      ['X-Webhook-Signature', signWebhook(otherBody)],
      ['X-Event-Id', notUtf8],
      ['X-Event-Id', `evt-repeat-${other.id}`],
    ])
    expect(reversed.status).toBe(422)
    expect(reversed.body.detail).toEqual([
      { loc: ['header', 'x-event-id'], msg: expect.any(String), type: expect.any(String) },
    ])
    expect(await orderStatus(other.id)).toBe('PENDING')
  })

  it('when X-Event-Id carries UTF-8, then the identity comes back as sent', async () => {
    const order = await pendingOrder()
    const body = paymentBody(order.id)
    const eventId = `évt-☃-${order.id}`
    // Raw bytes: Node's HTTP client refuses non-latin1 header values, providers do send UTF-8.
    const response = await sendRawWebhook(api.app, body, [
      ['X-Webhook-Signature', signWebhook(body)],
      ['X-Event-Id', Buffer.from(eventId, 'utf8')],
    ])
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({
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

describe('event identity', () => {
  it('when X-Event-Id holds commas, then it is taken whole: batch,3 and batch,4 are two events', async () => {
    const [first, second] = [await pendingOrder(), await pendingOrder()]
    const three = await signed(paymentBody(first.id), { 'x-event-id': 'batch,3' })
    const four = await signed(paymentBody(second.id), { 'x-event-id': 'batch,4' })
    expect(three.body).toMatchObject({ status: 'processed', event_id: 'batch,3', order_id: first.id })
    expect(four.body).toMatchObject({ status: 'processed', event_id: 'batch,4', order_id: second.id })
    expect(await orderStatus(second.id)).toBe('PAID')
  })

  it('when X-Event-Id is not valid UTF-8, then 422 naming the header, and two such ids do not collide', async () => {
    const order = await pendingOrder()
    for (const bytes of [Buffer.from('evt-\xff', 'latin1'), Buffer.from('evt-\xfe', 'latin1')]) {
      const body = paymentBody(order.id)
      const response = await sendRawWebhook(api.app, body, [
        ['X-Webhook-Signature', signWebhook(body)],
        ['X-Event-Id', bytes],
      ])
      expect(response.status).toBe(422)
      expect(response.body.detail).toEqual([
        { loc: ['header', 'x-event-id'], msg: expect.any(String), type: expect.any(String) },
      ])
      expect(await orderStatus(order.id)).toBe('PENDING')
    }
    // Through inject too: header values are latin1 strings, one character per byte.
    const response = await signed(paymentBody(order.id), { 'x-event-id': 'evt-\xff' })
    expect(response.status).toBe(422)
    expect(await orderStatus(order.id)).toBe('PENDING')
  })

  it('when X-Event-Id starts with a byte order mark, then the mark is part of the identity', async () => {
    const [first, second] = [await pendingOrder(), await pendingOrder()]
    const id = `evt-bom-${first.id}`
    expect((await signed(paymentBody(first.id), { 'x-event-id': id })).body.status).toBe('processed')
    const body = paymentBody(second.id)
    const marked = await sendRawWebhook(api.app, body, [
      ['X-Webhook-Signature', signWebhook(body)],
      ['X-Event-Id', Buffer.from(`\ufeff${id}`, 'utf8')],
    ])
    expect(marked.status).toBe(200)
    expect(marked.body).toMatchObject({ status: 'processed', event_id: `\ufeff${id}` })
  })

  it('when X-Event-Id is longer than 200 characters, then 422; 200 characters (not bytes) are accepted', async () => {
    const order = await pendingOrder()
    const tooLong = await signed(paymentBody(order.id), { 'x-event-id': 'e'.repeat(201) })
    expect(tooLong.status).toBe(422)
    expect(tooLong.body.detail).toEqual([
      { loc: ['header', 'x-event-id'], msg: expect.any(String), type: 'string_too_long' },
    ])
    expect(await orderStatus(order.id)).toBe('PENDING')

    const longest = '☃'.repeat(200) // 200 characters, 600 bytes
    const body = paymentBody(order.id)
    const accepted = await sendRawWebhook(api.app, body, [
      ['X-Webhook-Signature', signWebhook(body)],
      ['X-Event-Id', Buffer.from(longest, 'utf8')],
    ])
    expect(accepted.status).toBe(200)
    expect(accepted.body).toMatchObject({ status: 'processed', event_id: longest })
  })

  it('when an event id is reused for another order, then 409 and neither order changes', async () => {
    for (const [where, send] of [
      ['header', (orderId: number, id: string) => signed(paymentBody(orderId), { 'x-event-id': id })],
      ['body', (orderId: number, id: string) => signed(paymentBody(orderId, { event_id: id }))],
    ] as const) {
      const [first, second] = [await pendingOrder(), await pendingOrder()]
      const id = `evt-reused-${where}-${first.id}`
      expect((await send(first.id, id)).body.status).toBe('processed')
      await setOrderStatus(api, first.id, 'SHIPPED')
      const reused = await send(second.id, id)
      expect(reused.status).toBe(409)
      expect(reused.body).toEqual({ detail: 'Event id already used for a different event' })
      expect(await orderStatus(first.id)).toBe('SHIPPED')
      expect(await orderStatus(second.id)).toBe('PENDING')
      // The real delivery of the first event is still recognised as a repeat.
      expect((await send(first.id, id)).body).toMatchObject({ status: 'duplicate', order_id: first.id })
    }
  })

  it('when an event id is reused for another event type, then 409 and the order is unchanged', async () => {
    const order = await pendingOrder()
    const id = `evt-type-${order.id}`
    const refunded = await signed(paymentBody(order.id, { event: 'payment.refunded' }), { 'x-event-id': id })
    expect(refunded.body.status).toBe('ignored')
    const succeeded = await signed(paymentBody(order.id), { 'x-event-id': id })
    expect(succeeded.status).toBe(409)
    expect(succeeded.body).toEqual({ detail: 'Event id already used for a different event' })
    expect(await orderStatus(order.id)).toBe('PENDING')
  })
})

describe('currency', () => {
  it('when the currency is not CURRENCY, then 422 with a message, the order is unchanged and the retry is processed', async () => {
    const order = await pendingOrder()
    const id = `evt-currency-${order.id}`
    const wrong = await signed(paymentBody(order.id, { currency: 'EUR' }), { 'x-event-id': id })
    expect(wrong.status).toBe(422)
    expect(typeof wrong.body.detail).toBe('string')
    expect(wrong.body.detail).toContain('EUR')
    expect(await orderStatus(order.id)).toBe('PENDING')
    // Nothing was recorded: the same event, sent again in the right currency, is processed.
    const retry = await signed(paymentBody(order.id, { currency: 'USD' }), { 'x-event-id': id })
    expect(retry.status).toBe(200)
    expect(retry.body).toMatchObject({ status: 'processed', event_id: id })
  })

  it('when CURRENCY is set, then payments must name that code (in any case) or none', async () => {
    const euros = await startTestApp({ CURRENCY: 'EUR' })
    try {
      const send = async (currency: string | undefined) => {
        const order = await createOrder(euros, (await createProduct(euros)).id)
        const body = paymentBody(order.id, { currency })
        const response = await euros.request('POST', '/webhooks/payment', body, {
          'content-type': 'application/json',
          'x-webhook-signature': signWebhook(body),
        })
        return response.status
      }
      expect(await send('USD')).toBe(422)
      expect(await send('eur')).toBe(200)
      expect(await send('EURO')).toBe(422)
      expect(await send('EUR')).toBe(200)
      expect(await send(undefined)).toBe(200)
    } finally {
      await euros.close()
    }
  })
})

describe('Standard Webhooks', () => {
  const WHSEC = `whsec_${Buffer.from('a 32-byte secret for the tests!!').toString('base64')}`
  let standard: TestApp
  beforeAll(async () => {
    standard = await startTestApp({ WEBHOOK_SECRET: `${WHSEC}, second-secret`, WEBHOOK_TOLERANCE_SECONDS: '60' })
  })
  afterAll(async () => {
    await standard.close()
  })

  let messageSequence = 0
  const messageId = () => `msg_${++messageSequence}_${Date.now()}`

  function deliverTo(app: TestApp, body: string, headers: Record<string, string>) {
    return app.request('POST', '/webhooks/payment', body, { 'content-type': 'application/json', ...headers })
  }

  async function pendingOrderOf(app: TestApp) {
    return createOrder(app, (await createProduct(app, { price: 10, stock: 10 })).id)
  }

  it('when signed with webhook-id, webhook-timestamp and webhook-signature, then processed with webhook-id as identity', async () => {
    const order = await pendingOrder()
    const body = paymentBody(order.id, { event_id: 'ignored-body-id' })
    const id = messageId()
    const response = await deliver(body, standardWebhookHeaders(body, { id }))
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ status: 'processed', event_id: id, new_status: 'PAID' })
    expect(await orderStatus(order.id)).toBe('PAID')
  })

  it('when the secret is whsec_<base64>, then its decoded bytes sign, not its text', async () => {
    const order = await pendingOrderOf(standard)
    const body = paymentBody(order.id)
    const id = messageId()
    const timestamp = nowSeconds()
    // Keyed with the text `whsec_...` itself: what a receiver that forgot to decode it would accept.
    const textKeyed = standardSignature(id, timestamp, body, Buffer.from(WHSEC))
    const refused = await deliverTo(standard, body, {
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': textKeyed,
    })
    expect(refused.status).toBe(403)
    const accepted = await deliverTo(standard, body, standardWebhookHeaders(body, { id, timestamp, secrets: [WHSEC] }))
    expect(accepted.status).toBe(200)
    expect(accepted.body).toMatchObject({ status: 'processed', event_id: id })
  })

  it('when webhook-signature lists several signatures and one is valid, then it is accepted', async () => {
    const order = await pendingOrderOf(standard)
    const body = paymentBody(order.id)
    const id = messageId()
    const headers = standardWebhookHeaders(body, { id, secrets: ['retired-secret', WHSEC] })
    headers['webhook-signature'] = `v1a,c2lnbmVkIHdpdGggZWQyNTUxOQ== ${headers['webhook-signature']} v2,future`
    const response = await deliverTo(standard, body, headers)
    expect(response.status).toBe(200)
    expect(response.body.status).toBe('processed')
  })

  it('when signed with the second secret of WEBHOOK_SECRET, then it verifies (rotation)', async () => {
    const order = await pendingOrderOf(standard)
    const body = paymentBody(order.id)
    const response = await deliverTo(
      standard,
      body,
      standardWebhookHeaders(body, { id: messageId(), secrets: ['second-secret'] }),
    )
    expect(response.status).toBe(200)
    expect(response.body.status).toBe('processed')
  })

  type Tamper = (headers: Record<string, string>, body: string) => { headers: Record<string, string>; body: string }
  const replace =
    (name: string, value: (current: string) => string | undefined): Tamper =>
    (headers, body) => {
      const changed = { ...headers }
      const next = value(changed[name]!)
      if (next === undefined) delete changed[name]
      else changed[name] = next
      return { headers: changed, body }
    }
  it.each<[string, Tamper]>([
    [
      'a secret that is not configured',
      (_h, body) => ({ headers: standardWebhookHeaders(body, { id: 'msg_x', secrets: ['retired'] }), body }),
    ],
    [
      'the body changed after signing',
      (headers, body) => ({ headers, body: body.replace('payment.succeeded', 'payment.succeeded ') }),
    ],
    ['the timestamp changed after signing', replace('webhook-timestamp', (t) => String(Number(t) - 1))],
    ['no v1, prefix', replace('webhook-signature', (s) => s.slice(3))],
    ['another version only', replace('webhook-signature', (s) => `v1a,${s.slice(3)}`)],
    ['a character that is not base64', replace('webhook-signature', (s) => `${s.slice(0, 10)}*${s.slice(11)}`)],
    ['a truncated signature', replace('webhook-signature', (s) => s.slice(0, -4))],
    ['trailing garbage', replace('webhook-signature', (s) => `${s}AA`)],
    ['an empty v1,', replace('webhook-signature', () => 'v1,')],
    ['no webhook-id', replace('webhook-id', () => undefined)],
    ['no webhook-timestamp', replace('webhook-timestamp', () => undefined)],
    ['a timestamp that is not Unix seconds', replace('webhook-timestamp', (t) => `${t}.5`)],
  ])('when the Standard Webhooks signature has %s, then 403 and the order is untouched', async (_case, tamper) => {
    const order = await pendingOrderOf(standard)
    const original = paymentBody(order.id)
    const { headers, body } = tamper(standardWebhookHeaders(original, { id: messageId(), secrets: [WHSEC] }), original)
    const response = await deliverTo(standard, body, headers)
    expect(response.status).toBe(403)
    expect(response.body).toEqual({ detail: 'Invalid webhook signature' })
    expect((await standard.request('GET', `/orders/${order.id}`)).body.status).toBe('PENDING')
  })

  it('when webhook-timestamp is signed but not Unix seconds, then it cannot be verified (403)', async () => {
    const order = await pendingOrderOf(standard)
    const body = paymentBody(order.id)
    const now = nowSeconds()
    for (const timestamp of [`${now}x`, `${now}.0`, `+${now}`, `-${now}`, '0x10', `${now}000000`]) {
      const headers = standardWebhookHeaders(body, { id: messageId(), timestamp, secrets: [WHSEC] })
      const response = await deliverTo(standard, body, headers)
      expect(response.status, timestamp).toBe(403)
    }
    expect((await standard.request('GET', `/orders/${order.id}`)).body.status).toBe('PENDING')
  })

  it('when webhook-id and webhook-timestamp come without any signature, then 401', async () => {
    const order = await pendingOrderOf(standard)
    const body = paymentBody(order.id)
    const response = await deliverTo(standard, body, {
      'webhook-id': messageId(),
      'webhook-timestamp': String(nowSeconds()),
    })
    expect(response.status).toBe(401)
    expect(response.body).toEqual({ detail: 'Missing webhook signature' })
  })

  it.each([
    ['too old', -120],
    ['too far in the future', 120],
  ])(
    'when webhook-timestamp is %s for WEBHOOK_TOLERANCE_SECONDS, then 403 and the order is untouched',
    async (_case, offset) => {
      const order = await pendingOrderOf(standard)
      const body = paymentBody(order.id)
      const headers = standardWebhookHeaders(body, {
        id: messageId(),
        timestamp: nowSeconds() + offset,
        secrets: [WHSEC],
      })
      const response = await deliverTo(standard, body, headers)
      expect(response.status).toBe(403)
      expect(response.body).toEqual({ detail: 'Webhook timestamp outside the tolerance' })
      expect((await standard.request('GET', `/orders/${order.id}`)).body.status).toBe('PENDING')
      // The signature is checked first: without a valid one, the clock is not discussed.
      const forged = { ...headers, 'webhook-signature': standardSignature('x', 0, body, WHSEC) }
      expect((await deliverTo(standard, body, forged)).body).toEqual({ detail: 'Invalid webhook signature' })
      // The same delivery, signed now, is processed: nothing was recorded.
      const fresh = standardWebhookHeaders(body, { id: headers['webhook-id'], secrets: [WHSEC] })
      expect((await deliverTo(standard, body, fresh)).body.status).toBe('processed')
    },
  )

  it('when WEBHOOK_TOLERANCE_SECONDS is not set, then 300 seconds apply, past or future', async () => {
    for (const [offset, status] of [
      [-240, 200],
      [240, 200],
      [-360, 403],
      [360, 403],
    ] as const) {
      const order = await pendingOrder()
      const body = paymentBody(order.id)
      const response = await deliver(
        body,
        standardWebhookHeaders(body, { id: messageId(), timestamp: nowSeconds() + offset }),
      )
      expect(response.status, `offset ${offset}`).toBe(status)
    }
  })

  it('when the same webhook-id is delivered again, then 200 duplicate and the order is untouched', async () => {
    const order = await pendingOrder()
    const body = paymentBody(order.id)
    const id = messageId()
    expect((await deliver(body, standardWebhookHeaders(body, { id }))).body.status).toBe('processed')
    await setOrderStatus(api, order.id, 'SHIPPED')
    // A retry of the provider: same id, new timestamp, signed again.
    const again = await deliver(body, standardWebhookHeaders(body, { id, timestamp: nowSeconds() + 1 }))
    expect(again.status).toBe(200)
    expect(again.body).toMatchObject({ status: 'duplicate', event_id: id, order_id: order.id })
    expect(await orderStatus(order.id)).toBe('SHIPPED')
  })

  it('when a captured signed delivery is re-sent under a new webhook-id, then 403 (the signature covers the id)', async () => {
    const [victim, other] = [await pendingOrder(), await pendingOrder()]
    const body = paymentBody(victim.id)
    const captured = standardWebhookHeaders(body, { id: messageId() })
    expect((await deliver(body, captured)).body.status).toBe('processed')
    // Neither a fresh id nor the id of another, legitimate event can be put on this body.
    const legitimate = messageId()
    for (const id of [messageId(), legitimate]) {
      const replay = await deliver(body, { ...captured, 'webhook-id': id })
      expect(replay.status).toBe(403)
      expect(replay.body).toEqual({ detail: 'Invalid webhook signature' })
    }
    const otherBody = paymentBody(other.id)
    const real = await deliver(otherBody, standardWebhookHeaders(otherBody, { id: legitimate }))
    expect(real.body).toMatchObject({ status: 'processed', event_id: legitimate, order_id: other.id })
  })

  it('when both signature styles are sent, then the Standard Webhooks headers decide', async () => {
    const order = await pendingOrder()
    const body = paymentBody(order.id)
    const id = messageId()
    const legacy = { 'x-webhook-signature': signWebhook(body), 'x-event-id': `evt-both-${order.id}` }
    const badStandard = { ...standardWebhookHeaders(body, { id, secrets: ['not-the-secret'] }) }
    const refused = await deliver(body, { ...legacy, ...badStandard })
    expect(refused.status).toBe(403)
    expect(await orderStatus(order.id)).toBe('PENDING')

    const accepted = await deliver(body, {
      ...standardWebhookHeaders(body, { id }),
      'x-webhook-signature': `sha256=${'0'.repeat(64)}`,
      'x-event-id': `evt-both-${order.id}`,
    })
    expect(accepted.status).toBe(200)
    expect(accepted.body).toMatchObject({ status: 'processed', event_id: id })
  })

  it('when a webhook-id is reused for another order, then 409', async () => {
    const [first, second] = [await pendingOrder(), await pendingOrder()]
    const id = messageId()
    const firstBody = paymentBody(first.id)
    expect((await deliver(firstBody, standardWebhookHeaders(firstBody, { id }))).body.status).toBe('processed')
    const secondBody = paymentBody(second.id)
    const reused = await deliver(secondBody, standardWebhookHeaders(secondBody, { id }))
    expect(reused.status).toBe(409)
    expect(reused.body).toEqual({ detail: 'Event id already used for a different event' })
    expect(await orderStatus(second.id)).toBe('PENDING')
  })

  it('when a signed webhook-id is not valid UTF-8 or longer than 200 characters, then 422 naming it', async () => {
    const order = await pendingOrder()
    for (const id of [Buffer.from('msg_\xff', 'latin1'), Buffer.from('m'.repeat(201))]) {
      const body = paymentBody(order.id)
      const headers = standardWebhookHeaders(body, { id })
      const response = await sendRawWebhook(api.app, body, Object.entries(headers))
      expect(response.status).toBe(422)
      expect(response.body.detail).toEqual([
        { loc: ['header', 'webhook-id'], msg: expect.any(String), type: expect.any(String) },
      ])
    }
    expect(await orderStatus(order.id)).toBe('PENDING')
  })
})

describe('metrics', () => {
  it('when deliveries fail on an event id conflict, the timestamp or the currency, then /metrics counts each', async () => {
    const count = async (result: string) =>
      sample((await api.request('GET', '/metrics')).text, 'webhook_events_total', { result })
    const results = ['event_id_conflict', 'timestamp_out_of_tolerance', 'currency_mismatch']
    const before = await Promise.all(results.map(count))

    const [first, second] = [await pendingOrder(), await pendingOrder()]
    const id = `evt-metrics-${first.id}`
    await signed(paymentBody(first.id), { 'x-event-id': id })
    expect((await signed(paymentBody(second.id), { 'x-event-id': id })).status).toBe(409)
    const body = paymentBody(second.id)
    const stale = standardWebhookHeaders(body, { id: `msg-metrics-${second.id}`, timestamp: nowSeconds() - 3600 })
    expect((await deliver(body, stale)).status).toBe(403)
    expect((await signed(paymentBody(second.id, { currency: 'GBP' }))).status).toBe(422)

    expect(await Promise.all(results.map(count))).toEqual(before.map((value) => value + 1))
  })
})
