import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { buildProduct, createOrder, createProduct } from './helpers/builders.js'
import { listen } from './helpers/http.js'
import { signWebhook } from './helpers/webhooks.js'

let api: TestApp
let send: Awaited<ReturnType<typeof listen>>['send']
beforeAll(async () => {
  api = await startTestApp()
  send = (await listen(api.app)).send
})
afterAll(() => api.close())

interface Movement {
  id: number
  product_id: number
  delta: number
  stock_after: number
  reason: string
  order_id: number | null
  reference: string | null
  actor: string | null
}

const movementsOf = async (app: TestApp, id: number): Promise<Movement[]> =>
  (await app.request('GET', `/products/${id}/stock-movements?limit=1000`)).body
const stockOf = async (app: TestApp, id: number) => (await app.request('GET', `/products/${id}`)).body.stock as number
const adjust = (app: TestApp, id: number, body: object, headers: Record<string, string> = {}) =>
  app.request('POST', `/products/${id}/stock-adjustments`, body, headers)

/** The books balance for the product: its stock is the sum of its movements, and each stock_after follows. */
async function expectBooksBalance(app: TestApp, id: number) {
  const movements = await movementsOf(app, id)
  let running = 0
  for (const movement of movements) {
    running += movement.delta
    expect(movement.stock_after, `movement ${movement.id}`).toBe(running)
  }
  expect(running).toBe(await stockOf(app, id))
}

describe('every stock change is a movement', () => {
  it('when a product is created, then its stock is an initial movement', async () => {
    const product = await createProduct(api, { stock: 12 })
    expect(await movementsOf(api, product.id)).toMatchObject([
      { product_id: product.id, delta: 12, stock_after: 12, reason: 'initial', order_id: null, actor: null },
    ])
  })

  it('when an order of several lines is placed and canceled, then each line is an order_placed and an order_canceled movement with the order id', async () => {
    const product = await createProduct(api, { stock: 10 })
    const order = (
      await api.request('POST', '/orders', {
        items: [
          { product_id: product.id, quantity: 2 },
          { product_id: product.id, quantity: 3 },
        ],
      })
    ).body
    expect((await api.request('DELETE', `/orders/${order.id}`)).status).toBe(204)
    const movements = await movementsOf(api, product.id)
    expect(movements.map((m) => [m.reason, m.delta, m.stock_after, m.order_id])).toEqual([
      ['initial', 10, 10, null],
      ['order_placed', -2, 8, order.id],
      ['order_placed', -3, 5, order.id],
      ['order_canceled', 2, 7, order.id],
      ['order_canceled', 3, 10, order.id],
    ])
    await expectBooksBalance(api, product.id)
  })

  it('when PUT or PATCH sets a new stock, then the difference is a product_update movement; other fields move nothing', async () => {
    const product = await createProduct(api, { stock: 10 })
    await api.request('PATCH', `/products/${product.id}`, { stock: 4 })
    await api.request('PUT', `/products/${product.id}`, { stock: 9, name: 'Renamed' })
    await api.request('PATCH', `/products/${product.id}`, { price: 3.5 })
    await api.request('PATCH', `/products/${product.id}`, { stock: 9 })
    expect((await movementsOf(api, product.id)).map((m) => [m.reason, m.delta, m.stock_after])).toEqual([
      ['initial', 10, 10],
      ['product_update', -6, 4],
      ['product_update', 5, 9],
    ])
  })

  it('when a paid order is shipped, then the stock and the ledger do not move', async () => {
    const product = await createProduct(api, { stock: 5 })
    const order = await createOrder(api, product.id, 2)
    const body = JSON.stringify({ event: 'payment.succeeded', order_id: order.id })
    await api.request('POST', '/webhooks/payment', body, { 'x-webhook-signature': signWebhook(body) })
    await api.request('PUT', `/orders/${order.id}`, { status: 'SHIPPED' })
    expect((await movementsOf(api, product.id)).map((m) => m.reason)).toEqual(['initial', 'order_placed'])
  })
})

describe('stock adjustments', () => {
  it.each(['received', 'returned', 'correction', 'cycle_count', 'damaged', 'shrinkage', 'other'])(
    'when the reason is %s, then 201 with the movement, and the stock moves by delta',
    async (reason) => {
      const product = await createProduct(api, { stock: 10 })
      const delta = ['damaged', 'shrinkage'].includes(reason) ? -4 : 6
      const response = await adjust(api, product.id, { delta, reason, reference: `REF-${reason}` })
      expect(response.status).toBe(201)
      expect(response.body).toMatchObject({
        product_id: product.id,
        delta,
        stock_after: 10 + delta,
        reason,
        order_id: null,
        reference: `REF-${reason}`,
        actor: null,
      })
      expect(await stockOf(api, product.id)).toBe(10 + delta)
      await expectBooksBalance(api, product.id)
    },
  )

  it('when an adjustment would take the stock below zero, then 409 and nothing changes', async () => {
    const product = await createProduct(api, { stock: 3 })
    const response = await adjust(api, product.id, { delta: -5, reason: 'damaged' })
    expect(response.status).toBe(409)
    expect(response.body).toEqual({ detail: 'Insufficient stock. Available: 3, Requested: 5' })
    expect(await movementsOf(api, product.id)).toHaveLength(1)
  })

  it('when expected_stock is not the stock, then 409 "Stock changed" and nothing changes; when it is, the adjustment applies', async () => {
    const product = await createProduct(api, { stock: 5 })
    await createOrder(api, product.id, 1)
    const refused = await adjust(api, product.id, { delta: 10, reason: 'cycle_count', expected_stock: 5 })
    expect(refused.status).toBe(409)
    expect(refused.body).toEqual({ detail: 'Stock changed: expected 5, found 4' })
    expect(await stockOf(api, product.id)).toBe(4)
    const applied = await adjust(api, product.id, { delta: 10, reason: 'cycle_count', expected_stock: 4 })
    expect(applied.status).toBe(201)
    expect(await stockOf(api, product.id)).toBe(14)
  })

  it('when 50 adjusters race with the same expected_stock, then exactly one succeeds and the books balance', async () => {
    const product = await createProduct(api, { stock: 100 })
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        send('POST', `/products/${product.id}/stock-adjustments`, {
          delta: -1,
          reason: 'cycle_count',
          expected_stock: 100,
        }),
      ),
    )
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1)
    expect(answers.filter((answer) => answer.status !== 201).every((answer) => answer.status === 409)).toBe(true)
    expect(await stockOf(api, product.id)).toBe(99)
    await expectBooksBalance(api, product.id)
  })

  it.each([
    ['a delta of 0', { delta: 0, reason: 'other' }, ['body', 'delta']],
    ['an unknown reason', { delta: 1, reason: 'stolen' }, ['body', 'reason']],
    ['a reason of the service', { delta: 1, reason: 'order_placed' }, ['body', 'reason']],
    ['no reason', { delta: 1 }, ['body', 'reason']],
    ['a fractional delta', { delta: 1.5, reason: 'other' }, ['body', 'delta']],
    ['an empty reference', { delta: 1, reason: 'other', reference: '' }, ['body', 'reference']],
    ['a negative expected_stock', { delta: 1, reason: 'other', expected_stock: -1 }, ['body', 'expected_stock']],
  ])('when the body has %s, then 422 names the field', async (_case, body, loc) => {
    const product = await createProduct(api, { stock: 1 })
    const response = await adjust(api, product.id, body)
    expect(response.status).toBe(422)
    expect(response.body.detail).toEqual(expect.arrayContaining([expect.objectContaining({ loc })]))
    expect(await stockOf(api, product.id)).toBe(1)
  })

  it('when the product is missing or deleted, then 404 for the adjustment and for its movements', async () => {
    const product = await createProduct(api, { stock: 1 })
    await api.request('DELETE', `/products/${product.id}`)
    for (const id of [product.id, 999_999]) {
      expect((await adjust(api, id, { delta: 1, reason: 'received' })).status).toBe(404)
      expect((await api.request('GET', `/products/${id}/stock-movements`)).status).toBe(404)
    }
  })
})

describe('actor and paging', () => {
  it('when API keys are set, then each movement names the key that made it', async () => {
    const keyed = await startTestApp({ API_KEYS: 'backoffice:admin:bo-key-0000001,storefront:orders:sf-key-0000002' })
    try {
      const as = (key: string) => ({ authorization: `Bearer ${key}` })
      const product = (await keyed.request('POST', '/products', buildProduct({ stock: 5 }), as('bo-key-0000001'))).body
      await keyed.request('POST', '/orders', { product_id: product.id, quantity: 1 }, as('sf-key-0000002'))
      await keyed.request(
        'POST',
        `/products/${product.id}/stock-adjustments`,
        { delta: 2, reason: 'received' },
        as('bo-key-0000001'),
      )
      const movements = (
        await keyed.request('GET', `/products/${product.id}/stock-movements`, undefined, as('sf-key-0000002'))
      ).body as Movement[]
      expect(movements.map((m) => [m.reason, m.actor])).toEqual([
        ['initial', 'backoffice'],
        ['order_placed', 'storefront'],
        ['received', 'backoffice'],
      ])
      // Adjusting is a catalogue write: an orders key may not.
      const refused = await keyed.request(
        'POST',
        `/products/${product.id}/stock-adjustments`,
        { delta: 2, reason: 'received' },
        as('sf-key-0000002'),
      )
      expect(refused.status).toBe(403)
    } finally {
      await keyed.close()
    }
  })

  it('when movements are listed, then they page oldest first with X-Total-Count and Link, by offset or after_id', async () => {
    const product = await createProduct(api, { stock: 1 })
    for (let i = 0; i < 4; i++) await adjust(api, product.id, { delta: 1, reason: 'received' })
    const first = await api.request('GET', `/products/${product.id}/stock-movements?limit=2`)
    expect(first.headers['x-total-count']).toBe('5')
    expect(String(first.headers.link)).toContain('rel="next"')
    const all = await movementsOf(api, product.id)
    expect(first.body).toEqual(all.slice(0, 2))
    const after = await api.request('GET', `/products/${product.id}/stock-movements?after_id=${all[1]!.id}&limit=2`)
    expect(after.body).toEqual(all.slice(2, 4))
  })
})

describe('reconciliation', () => {
  it('when the books balance, then it checks every product and finds no mismatch; a product changed behind the ledger shows up', async () => {
    const product = await createProduct(api, { stock: 7 })
    const clean = await api.request('GET', '/inventory/reconciliation')
    expect(clean.status).toBe(200)
    expect(clean.body).toMatchObject({ mismatches: [], checked: expect.any(Number), checked_at: expect.any(String) })
    expect(clean.body.checked).toBeGreaterThanOrEqual(1)
    // Set-up below the API: a change that skipped the ledger (which no API path can make).
    await api.app.db.updateTable('products').set({ stock: 8 }).where('id', '=', product.id).execute()
    const broken = await api.request('GET', '/inventory/reconciliation')
    expect(broken.body.mismatches).toEqual([{ product_id: product.id, stock: 8, ledger_sum: 7 }])
    expect((await api.request('GET', '/metrics')).text).toMatch(/^inventory_ledger_mismatches 1$/m)
    await api.app.db.updateTable('products').set({ stock: 7 }).where('id', '=', product.id).execute()
    expect((await api.request('GET', '/inventory/reconciliation')).body.mismatches).toEqual([])
    expect((await api.request('GET', '/metrics')).text).toMatch(/^inventory_ledger_mismatches 0$/m)
  })

  it('when 300 random operations run 16 at a time, then the reconciliation is empty and every product balances', async () => {
    const ids: number[] = []
    for (let i = 0; i < 6; i++) ids.push((await createProduct(api, { stock: 40 })).id)
    const orderIds: number[] = []
    const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)]!
    const operations: (() => Promise<unknown>)[] = [
      async () => {
        const placed = await send('POST', '/orders', {
          items: [
            { product_id: pick(ids), quantity: 1 + Math.floor(Math.random() * 3) },
            { product_id: pick(ids), quantity: 1 },
          ],
        })
        if (placed.status === 201) orderIds.push(placed.body.id)
      },
      async () => orderIds.length && send('PUT', `/orders/${pick(orderIds)}`, { status: 'CANCELED' }),
      async () => orderIds.length && send('DELETE', `/orders/${pick(orderIds)}`),
      async () => {
        if (!orderIds.length) return
        const body = JSON.stringify({ event: 'payment.succeeded', order_id: pick(orderIds) })
        return send('POST', '/webhooks/payment', body, { 'x-webhook-signature': signWebhook(body) })
      },
      async () =>
        send('POST', `/products/${pick(ids)}/stock-adjustments`, { delta: pick([-2, 3, 5]), reason: 'correction' }),
      async () => send('PATCH', `/products/${pick(ids)}`, { stock: Math.floor(Math.random() * 50) }),
      async () => send('DELETE', `/products/${pick(ids)}`),
    ]
    const statuses: number[] = []
    let next = 0
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 300) {
          next++
          const answer = (await pick(operations)()) as { status: number } | number
          if (typeof answer === 'object' && answer) statuses.push(answer.status)
        }
      }),
    )
    expect(statuses.filter((status) => status >= 500)).toEqual([])
    expect((await api.request('GET', '/inventory/reconciliation')).body.mismatches).toEqual([])
    for (const id of ids) {
      const movements = (await api.app.db
        .selectFrom('stock_movements')
        .select('delta')
        .where('product_id', '=', id)
        .execute()) as { delta: number }[]
      const row = await api.app.db.selectFrom('products').select('stock').where('id', '=', id).executeTakeFirstOrThrow()
      expect(
        movements.reduce((sum, m) => sum + Number(m.delta), 0),
        `product ${id}`,
      ).toBe(row.stock)
    }
  })
})

describe('the periodic check', () => {
  it('when RECONCILIATION_INTERVAL_SECONDS is set, then the mismatch gauge follows the books without anyone asking', async () => {
    const checked = await startTestApp({ RECONCILIATION_INTERVAL_SECONDS: '1' })
    try {
      const product = await createProduct(checked, { stock: 3 })
      const gauge = async () =>
        Number(/^inventory_ledger_mismatches (\d+)$/m.exec((await checked.request('GET', '/metrics')).text)?.[1])
      await expect.poll(gauge, { timeout: 10_000, interval: 200 }).toBe(0)
      // Set-up below the API: a change that skipped the ledger.
      await checked.app.db.updateTable('products').set({ stock: 4 }).where('id', '=', product.id).execute()
      await expect.poll(gauge, { timeout: 10_000, interval: 200 }).toBe(1)
    } finally {
      await checked.close()
    }
  })
})
