import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { createProduct, stockOf } from './helpers/builders.js'
import { createTestDatabase } from './helpers/database.js'
import { sample } from './helpers/metrics.js'
import { startInstances } from './helpers/processes.js'
import { signWebhook } from './helpers/webhooks.js'

/*
 * Orders that expire (stock holds): the sweep that cancels them, and payments refused once the
 * hold has run out. The main app sweeps as in production; tests that need a moment before the
 * sweep use an app whose sweeper is stopped.
 */

let api: TestApp
beforeAll(async () => {
  api = await startTestApp()
})
afterAll(async () => {
  await api.close()
})

interface Line {
  product_id: number
  quantity: number
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

/** Polls `check` until it is true; fails after a generous bound (a correctness check, not a speed claim). */
async function eventually(
  check: () => Promise<boolean>,
  what: string,
  { boundMs = 20_000, everyMs = 50 } = {},
): Promise<void> {
  const deadline = Date.now() + boundMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still not true after ${boundMs} ms: ${what}`)
    await sleep(everyMs)
  }
}

async function placeOrder(app: TestApp, body: Record<string, unknown>) {
  const response = await app.request('POST', '/orders', body)
  if (response.status !== 201) throw new Error(`placeOrder: ${response.status} ${response.text}`)
  return response.body as { id: number; expires_at: string | null; created_at: string }
}

/** An order of these lines with the shortest hold the API allows (60 s). */
const placeHeld = (app: TestApp, items: Line[]) => placeOrder(app, { items, expires_in_seconds: 60 })

/**
 * Set-up: moves the orders' holds to `at` (by default, a second ago). Waiting out even the
 * shortest hold, 60 s, would make the suite too slow.
 */
async function makeDue(app: TestApp, ids: number[], at = new Date(Date.now() - 1000)) {
  await app.app.db.updateTable('orders').set({ expires_at: at.toISOString() }).where('id', 'in', ids).execute()
}

const orderOf = async (app: TestApp, id: number) => (await app.request('GET', `/orders/${id}`)).body

const statusIs = (app: TestApp, id: number, status: string) => async () => (await orderOf(app, id)).status === status

async function movementsOf(app: TestApp, productId: number) {
  const response = await app.request('GET', `/products/${productId}/stock-movements?limit=1000`)
  expect(response.status).toBe(200)
  return response.body as { reason: string; order_id: number | null; delta: number; stock_after: number }[]
}

/** The `order_expired` movements of these products, by order id. */
async function expiredMovements(app: TestApp, productIds: number[]): Promise<Map<number, number>> {
  const byOrder = new Map<number, number>()
  for (const productId of productIds) {
    for (const movement of await movementsOf(app, productId)) {
      if (movement.reason === 'order_expired')
        byOrder.set(movement.order_id!, (byOrder.get(movement.order_id!) ?? 0) + 1)
    }
  }
  return byOrder
}

let paymentSequence = 0
function paymentBody(orderId: number) {
  paymentSequence += 1
  return JSON.stringify({ event: 'payment.succeeded', order_id: orderId, payment_id: `pay_expiry_${paymentSequence}` })
}

const deliver = (app: TestApp, body: string) =>
  app.request('POST', '/webhooks/payment', body, {
    'content-type': 'application/json',
    'x-webhook-signature': signWebhook(body),
  })

const EXPIRED = { detail: 'Order expired: it can no longer be paid' }

describe('holds', () => {
  it('when PENDING_ORDER_TTL_SECONDS is unset and no hold is asked for, then expires_at and cancel_reason are null', async () => {
    const product = await createProduct(api)
    const order = await placeOrder(api, { product_id: product.id, quantity: 1 })
    expect(order).toMatchObject({ status: 'PENDING', expires_at: null, cancel_reason: null })
    await api.request('DELETE', `/orders/${order.id}`)
  })

  it('when expires_in_seconds is 60, then expires_at is 60 s after created_at', async () => {
    const product = await createProduct(api)
    const order = await placeOrder(api, { product_id: product.id, quantity: 1, expires_in_seconds: 60 })
    expect(Date.parse(order.expires_at!) - Date.parse(order.created_at)).toBe(60_000)
    expect(await orderOf(api, order.id)).toMatchObject({ expires_at: order.expires_at, cancel_reason: null })
    await api.request('DELETE', `/orders/${order.id}`)
  })

  it('when expires_in_seconds is out of range or not an integer, then 422 and no stock is taken', async () => {
    const product = await createProduct(api, { stock: 5 })
    for (const value of [59, 604_801, '60', 90.5]) {
      const response = await api.request('POST', '/orders', {
        product_id: product.id,
        quantity: 1,
        expires_in_seconds: value,
      })
      expect(response.status, String(value)).toBe(422)
      expect(response.body.detail[0].loc).toEqual(['body', 'expires_in_seconds'])
    }
    expect(await stockOf(api, product.id)).toBe(5)
  })
})

describe('the sweep', () => {
  it('when an order is past its hold, then it is CANCELED as expired, its stock is back once and the ledger says so', async () => {
    const product = await createProduct(api, { stock: 10 })
    const order = await placeHeld(api, [{ product_id: product.id, quantity: 3 }])
    expect(await stockOf(api, product.id)).toBe(7)
    await makeDue(api, [order.id])

    await eventually(statusIs(api, order.id, 'CANCELED'), `order ${order.id} expired`)
    expect(await orderOf(api, order.id)).toMatchObject({ status: 'CANCELED', cancel_reason: 'expired' })
    // Two more sweeps, both begun after the cancel: nothing is returned a second time.
    await api.app.orderSweeper.sweepNow()
    await api.app.orderSweeper.sweepNow()
    expect(await stockOf(api, product.id)).toBe(10)
    const expired = (await movementsOf(api, product.id)).filter((m) => m.reason === 'order_expired')
    expect(expired).toEqual([expect.objectContaining({ order_id: order.id, delta: 3, stock_after: 10 })])
  })

  it('when an order of several lines expires, then each line has one order_expired movement', async () => {
    const [a, b] = [await createProduct(api, { stock: 10 }), await createProduct(api, { stock: 10 })]
    const order = await placeHeld(api, [
      { product_id: a.id, quantity: 1 },
      { product_id: b.id, quantity: 2 },
      { product_id: a.id, quantity: 3 },
    ])
    await makeDue(api, [order.id])
    await eventually(statusIs(api, order.id, 'CANCELED'), `order ${order.id} expired`)
    expect([await stockOf(api, a.id), await stockOf(api, b.id)]).toEqual([10, 10])
    expect(await expiredMovements(api, [a.id, b.id])).toEqual(new Map([[order.id, 3]]))
  })

  it('when an order is canceled by PUT or DELETE, then cancel_reason is "requested"', async () => {
    const product = await createProduct(api, { stock: 10 })
    const put = await placeHeld(api, [{ product_id: product.id, quantity: 1 }])
    const deleted = await placeHeld(api, [{ product_id: product.id, quantity: 1 }])
    const canceled = await api.request('PUT', `/orders/${put.id}`, { status: 'CANCELED' })
    expect(canceled.body).toMatchObject({ status: 'CANCELED', cancel_reason: 'requested' })
    expect((await api.request('DELETE', `/orders/${deleted.id}`)).status).toBe(204)
    expect(await orderOf(api, deleted.id)).toMatchObject({ status: 'CANCELED', cancel_reason: 'requested' })
    const reasons = (await movementsOf(api, product.id)).map((m) => m.reason)
    expect(reasons.filter((r) => r === 'order_canceled')).toHaveLength(2)
    expect(reasons).not.toContain('order_expired')
  })

  it('when a PAID order is past its expires_at, then it stays PAID and keeps its stock', async () => {
    const product = await createProduct(api, { stock: 10 })
    const order = await placeHeld(api, [{ product_id: product.id, quantity: 4 }])
    expect((await deliver(api, paymentBody(order.id))).body).toMatchObject({ status: 'processed' })
    await makeDue(api, [order.id])
    // The second sweep surely began after the hold was moved into the past.
    await api.app.orderSweeper.sweepNow()
    await api.app.orderSweeper.sweepNow()
    expect(await orderOf(api, order.id)).toMatchObject({ status: 'PAID', cancel_reason: null })
    expect(await stockOf(api, product.id)).toBe(6)
    expect(await expiredMovements(api, [product.id])).toEqual(new Map())
  })

  it('when orders expire, then /metrics counts them in orders_expired_total and orders_canceled_total and times the sweeps', async () => {
    const product = await createProduct(api, { stock: 10 })
    const metrics = async () => (await api.request('GET', '/metrics')).text
    // Every earlier order of this app is PAID or CANCELED by now: only these two can expire.
    const before = await metrics()
    const orders = [
      await placeHeld(api, [{ product_id: product.id, quantity: 1 }]),
      await placeHeld(api, [{ product_id: product.id, quantity: 2 }]),
    ]
    await makeDue(
      api,
      orders.map((o) => o.id),
    )
    for (const order of orders) await eventually(statusIs(api, order.id, 'CANCELED'), `order ${order.id} expired`)
    const after = await metrics()
    const moved = (name: string) => sample(after, name) - sample(before, name)
    expect(moved('orders_expired_total')).toBe(2)
    expect(moved('orders_canceled_total')).toBe(2)
    expect(moved('order_expiry_sweep_duration_seconds_count')).toBeGreaterThan(0)
  })
})

describe('payments after the hold', () => {
  // Its sweeper is stopped: the order stays PENDING past its hold for as long as the test needs.
  let idle: TestApp
  beforeAll(async () => {
    idle = await startTestApp({ PENDING_ORDER_TTL_SECONDS: '120' })
    await idle.app.orderSweeper.stop()
  })
  afterAll(async () => {
    await idle.close()
  })

  it('when PENDING_ORDER_TTL_SECONDS is set, then a new order holds its stock that long unless it asks otherwise', async () => {
    const product = await createProduct(idle)
    const byDefault = await placeOrder(idle, { product_id: product.id, quantity: 1 })
    expect(Date.parse(byDefault.expires_at!) - Date.parse(byDefault.created_at)).toBe(120_000)
    const asked = await placeHeld(idle, [{ product_id: product.id, quantity: 1 }])
    expect(Date.parse(asked.expires_at!) - Date.parse(asked.created_at)).toBe(60_000)
  })

  it('when a payment arrives for a PENDING order past its hold before any sweep, then 409, the order is unchanged and the event is not recorded; after the sweep, still 409', async () => {
    const product = await createProduct(idle, { stock: 10 })
    const order = await placeHeld(idle, [{ product_id: product.id, quantity: 2 }])
    await makeDue(idle, [order.id])
    const due = await orderOf(idle, order.id)

    const body = paymentBody(order.id)
    const refused = await deliver(idle, body)
    expect(refused.status).toBe(409)
    expect(refused.body).toEqual(EXPIRED)
    expect(await orderOf(idle, order.id)).toEqual(due)
    expect(due.status).toBe('PENDING')
    // Not recorded: the same delivery again is judged afresh (a recorded one would be a 200 duplicate).
    expect((await deliver(idle, body)).status).toBe(409)
    expect(await stockOf(idle, product.id)).toBe(8)

    // Another instance on the same database sweeps.
    const sweeping = await startTestApp({}, { databaseUrl: idle.databaseUrl })
    try {
      await eventually(statusIs(sweeping, order.id, 'CANCELED'), `order ${order.id} expired`)
    } finally {
      await sweeping.close()
    }
    expect(await orderOf(idle, order.id)).toMatchObject({ status: 'CANCELED', cancel_reason: 'expired' })
    const again = await deliver(idle, body)
    expect(again.status).toBe(409)
    expect(again.body).toEqual({ detail: 'Cannot mark a canceled order as paid' })
    expect(await stockOf(idle, product.id)).toBe(10)
  })

  it('when a PENDING order past its hold is PUT to PAID, then 409 and it is unchanged; CANCELED is still allowed', async () => {
    const product = await createProduct(idle, { stock: 10 })
    const order = await placeHeld(idle, [{ product_id: product.id, quantity: 2 }])
    await makeDue(idle, [order.id])
    const due = await orderOf(idle, order.id)

    const refused = await idle.request('PUT', `/orders/${order.id}`, { status: 'PAID' })
    expect(refused.status).toBe(409)
    expect(refused.body).toEqual(EXPIRED)
    expect(await orderOf(idle, order.id)).toEqual(due)

    const canceled = await idle.request('PUT', `/orders/${order.id}`, { status: 'CANCELED' })
    expect(canceled.body).toMatchObject({ status: 'CANCELED', cancel_reason: 'requested' })
    expect(await stockOf(idle, product.id)).toBe(10)
  })

  it('when a PENDING order is paid before its hold runs out, then the payment is accepted', async () => {
    const product = await createProduct(idle, { stock: 10 })
    const order = await placeHeld(idle, [{ product_id: product.id, quantity: 1 }])
    expect((await deliver(idle, paymentBody(order.id))).body).toMatchObject({ status: 'processed', new_status: 'PAID' })
  })
})

describe('races', () => {
  it('when 30 orders are each raced by a payment and the expiry, then each ends PAID or CANCELED, never both, and the stock adds up', async () => {
    const [a, b] = [await createProduct(api, { stock: 1000 }), await createProduct(api, { stock: 1000 })]
    const orders = []
    for (let i = 0; i < 30; i++) {
      orders.push(
        await placeHeld(api, [
          { product_id: a.id, quantity: 1 },
          { product_id: b.id, quantity: 2 },
        ]),
      )
    }
    const ids = orders.map((o) => o.id)
    // Every hold runs out at one moment; payments and sweeps come from 150 ms before it to 150 ms after.
    const deadline = Date.now() + 600
    await makeDue(api, ids, new Date(deadline))
    const payments = ids.map(async (id, i) => {
      await sleep(deadline - 150 + i * 10 - Date.now())
      return deliver(api, paymentBody(id))
    })
    const sweeps = (async () => {
      await sleep(deadline - 150 - Date.now())
      const runs: Promise<number>[] = []
      while (Date.now() < deadline + 150) {
        runs.push(api.app.orderSweeper.sweepNow())
        await sleep(10)
      }
      return Promise.all(runs)
    })()
    const answers = await Promise.all(payments)
    await sweeps

    for (const id of ids) await eventually(async () => (await orderOf(api, id)).status !== 'PENDING', `order ${id}`)
    const expired = await expiredMovements(api, [a.id, b.id])
    let paidUnits = { a: 0, b: 0 }
    for (const [i, id] of ids.entries()) {
      const order = await orderOf(api, id)
      const answer = answers[i]!
      if (order.status === 'PAID') {
        expect(answer.body, `order ${id}`).toMatchObject({ status: 'processed' })
        expect(expired.get(id), `order ${id}`).toBeUndefined()
        paidUnits = { a: paidUnits.a + 1, b: paidUnits.b + 2 }
      } else {
        expect(order, `order ${id}`).toMatchObject({ status: 'CANCELED', cancel_reason: 'expired' })
        expect(answer.status, `order ${id}`).toBe(409)
        expect(expired.get(id), `order ${id}`).toBe(2)
      }
    }
    // Stock + units held by live (PAID) orders = the initial stock.
    expect(await stockOf(api, a.id)).toBe(1000 - paidUnits.a)
    expect(await stockOf(api, b.id)).toBe(1000 - paidUnits.b)
  })
})

describe('instances', () => {
  it('when two server processes sweep one database, then each of 20 due orders expires exactly once', async () => {
    // The in-process app only places and reads: its sweeper is stopped.
    const setup = await startTestApp()
    await setup.app.orderSweeper.stop()
    const { urls, stop } = await startInstances(2, setup.databaseUrl)
    try {
      const [a, b] = [await createProduct(setup, { stock: 100 }), await createProduct(setup, { stock: 100 })]
      const ids: number[] = []
      for (let i = 0; i < 20; i++) {
        const items =
          i % 2 === 0
            ? [{ product_id: a.id, quantity: 2 }]
            : [
                { product_id: a.id, quantity: 1 },
                { product_id: b.id, quantity: 3 },
              ]
        ids.push((await placeHeld(setup, items)).id)
      }
      await makeDue(setup, ids)

      await eventually(async () => {
        for (const id of ids) if ((await orderOf(setup, id)).status !== 'CANCELED') return false
        return true
      }, 'all 20 orders expired')
      for (const id of ids) expect(await orderOf(setup, id)).toMatchObject({ cancel_reason: 'expired' })
      const expired = await expiredMovements(setup, [a.id, b.id])
      expect(ids.map((id) => expired.get(id))).toEqual(ids.map((_, i) => (i % 2 === 0 ? 1 : 2)))
      expect([await stockOf(setup, a.id), await stockOf(setup, b.id)]).toEqual([100, 100])
      // Between them, the two instances counted each expiry once.
      let counted = 0
      for (const url of urls) counted += sample(await (await fetch(`${url}/metrics`)).text(), 'orders_expired_total')
      expect(counted).toBe(20)
    } finally {
      await stop()
      await setup.close()
    }
  }, 120_000)
})

describe('shutdown', () => {
  it('when the app closes during a sweep, then close waits for it: no error, no half-expired order, and no sweep after', async () => {
    const database = await createTestDatabase()
    try {
      const first = await startTestApp({}, { databaseUrl: database.url })
      const [a, b] = [await createProduct(first, { stock: 1000 }), await createProduct(first, { stock: 1000 })]
      const ids: number[] = []
      for (let i = 0; i < 60; i++) {
        const items = [
          { product_id: a.id, quantity: 1 },
          { product_id: b.id, quantity: 2 },
        ]
        ids.push((await placeHeld(first, items)).id)
      }
      await makeDue(first, ids)

      // Close as soon as the sweep has begun expiring them (it has up to 60 to go).
      const canceled = async () => (await first.request('GET', '/orders?status=CANCELED&limit=1')).body.length > 0
      await eventually(canceled, 'the sweep began', { everyMs: 1 })
      const inProgress = first.app.orderSweeper.sweepNow()
      const stillPending = (await orderOf(first, ids[ids.length - 1]!)).status === 'PENDING'
      await expect(first.app.close()).resolves.toBeUndefined()
      // The sweep under way when close began ended without an error.
      await inProgress
      expect(await first.app.orderSweeper.sweepNow()).toBe(0)

      // Read the database back with an app that does not sweep (its first sweep would be a second away).
      const reader = await startTestApp({}, { databaseUrl: database.url })
      await reader.app.orderSweeper.stop()
      try {
        const expired = await expiredMovements(reader, [a.id, b.id])
        let pending = 0
        for (const id of ids) {
          const order = await orderOf(reader, id)
          if (order.status === 'PENDING') {
            pending += 1
            expect(expired.get(id), `order ${id}`).toBeUndefined()
          } else {
            expect(order, `order ${id}`).toMatchObject({ status: 'CANCELED', cancel_reason: 'expired' })
            expect(expired.get(id), `order ${id}`).toBe(2)
          }
        }
        expect(await stockOf(reader, a.id)).toBe(1000 - pending)
        expect(await stockOf(reader, b.id)).toBe(1000 - 2 * pending)
        // That sweep found all 60 due (one statement made them due) and expired every one before the close.
        expect(pending).toBe(0)
        console.log('closed mid-sweep:', stillPending)
      } finally {
        await reader.close()
      }
    } finally {
      await database.drop()
    }
  }, 60_000)
})
