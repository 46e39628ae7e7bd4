import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { buildProduct, createOrder, createProduct, setOrderStatus } from './helpers/builders.js'

/*
 * The queries a console (or any client) needs besides the lists: who am I, search the catalogue,
 * what runs low, orders of a day and their summary, every failed delivery.
 */

let api: TestApp
beforeAll(async () => {
  api = await startTestApp()
})
afterAll(() => api.close())

const idsOf = (body: { id: number }[]) => body.map((item) => item.id)

describe('GET /access', () => {
  it('when the service runs without API_KEYS, then the caller is anonymous with every right', async () => {
    const response = await api.request('GET', '/access')
    expect(response.status).toBe(200)
    expect(response.body).toEqual({ name: null, scope: 'admin' })
  })

  it('when API_KEYS are set, then each key gets its own name and scope, and an unknown key 401', async () => {
    const keyed = await startTestApp({
      API_KEYS: 'console:read:read-key-000001,shop:orders:orders-key-00001,ops:admin:admin-key-000001',
    })
    try {
      const as = (key: string) => keyed.request('GET', '/access', undefined, { authorization: `Bearer ${key}` })
      expect((await as('read-key-000001')).body).toEqual({ name: 'console', scope: 'read' })
      expect((await as('orders-key-00001')).body).toEqual({ name: 'shop', scope: 'orders' })
      expect((await as('admin-key-000001')).body).toEqual({ name: 'ops', scope: 'admin' })
      expect((await as('no-such-key-0001')).status).toBe(401)
      expect((await keyed.request('GET', '/access')).status).toBe(401)
    } finally {
      await keyed.close()
    }
  })
})

describe('searching products', () => {
  it('when q is given, then only products with it in their SKU or name come, in any case, with their count', async () => {
    const tag = `Q${Date.now().toString(36)}`
    const mug = await createProduct(api, { sku: `${tag}-MUG`, name: 'Blue mug' })
    const cup = await createProduct(api, { sku: `${tag}-CUP`, name: `Tea cup ${tag.toLowerCase()}` })
    await createProduct(api, { name: 'Unrelated plate' })
    const all = await api.request('GET', `/products?q=${tag.toLowerCase()}`)
    expect(all.status).toBe(200)
    expect(idsOf(all.body)).toEqual([mug.id, cup.id])
    expect(all.headers['x-total-count']).toBe('2')
    const byName = await api.request('GET', `/products?q=${encodeURIComponent('BLUE MUG')}`)
    expect(idsOf(byName.body)).toContain(mug.id)
    expect(idsOf(byName.body)).not.toContain(cup.id)
    const paged = await api.request('GET', `/products?q=${tag}&limit=1`)
    expect(idsOf(paged.body)).toEqual([mug.id])
    expect(paged.headers['x-total-count']).toBe('2')
  })

  it('when q holds % or _, then they are matched literally, not as wildcards', async () => {
    const tag = `W${Date.now().toString(36)}`
    const percent = await createProduct(api, { sku: `${tag}-100%`, name: 'Percent' })
    await createProduct(api, { sku: `${tag}-1000`, name: 'Digits' })
    expect(idsOf((await api.request('GET', `/products?q=${encodeURIComponent('100%')}`)).body)).toEqual([percent.id])
    expect((await api.request('GET', `/products?q=${tag}_`)).body).toEqual([])
  })

  it('when below_threshold=true, then only live products whose stock is under their threshold come', async () => {
    const make = async (stock: number, low_stock_threshold: number | null) =>
      (await api.request('POST', '/products', { ...buildProduct({ stock }), low_stock_threshold })).body.id as number
    const low = await make(2, 5)
    const atLine = await make(5, 5)
    const noThreshold = await make(0, null)
    const deleted = await make(1, 5)
    expect((await api.request('DELETE', `/products/${deleted}`)).status).toBe(204)
    const ids = idsOf((await api.request('GET', '/products?below_threshold=true&limit=1000')).body)
    expect(ids).toContain(low)
    expect(ids).not.toContain(atLine)
    expect(ids).not.toContain(noThreshold)
    expect(ids).not.toContain(deleted)
  })

  it('when the search parameters are malformed, then 422 names them', async () => {
    for (const query of ['q=', 'below_threshold=maybe']) {
      const response = await api.request('GET', `/products?${query}`)
      expect(response.status, query).toBe(422)
      expect(JSON.stringify(response.body)).toContain(query.split('=')[0]!)
    }
  })
})

describe('orders by date, and their summary', () => {
  it('when created_from and created_to are given, then only orders placed in that range come', async () => {
    const product = await createProduct(api, { stock: 100 })
    const before = await createOrder(api, product.id)
    await new Promise((done) => setTimeout(done, 20))
    const from = new Date().toISOString()
    const inside = await createOrder(api, product.id)
    await new Promise((done) => setTimeout(done, 20))
    const to = new Date().toISOString()
    const after = await createOrder(api, product.id)
    const response = await api.request(
      'GET',
      `/orders?product_id=${product.id}&created_from=${encodeURIComponent(from)}&created_to=${encodeURIComponent(to)}`,
    )
    expect(response.status).toBe(200)
    expect(idsOf(response.body)).toEqual([inside.id])
    expect(response.headers['x-total-count']).toBe('1')
    const since = await api.request('GET', `/orders?product_id=${product.id}&created_from=${encodeURIComponent(from)}`)
    expect(idsOf(since.body)).toEqual([inside.id, after.id])
    expect(idsOf(since.body)).not.toContain(before.id)
  })

  it('when the dates are malformed or reversed, then 422', async () => {
    for (const query of [
      'created_from=yesterday',
      'created_to=2026-13-01',
      'created_from=2026-12-02T00:00:00Z&created_to=2026-12-01T00:00:00Z',
    ]) {
      expect((await api.request('GET', `/orders?${query}`)).status, query).toBe(422)
      expect((await api.request('GET', `/orders/summary?${query}`)).status, query).toBe(422)
    }
  })

  it('when orders of several statuses exist in the range, then the summary counts each status and adds up the paid and shipped totals', async () => {
    const product = await createProduct(api, { stock: 100, price: 10.25 })
    const from = new Date().toISOString()
    const [pending, paid, shipped, canceled] = [
      await createOrder(api, product.id, 1),
      await createOrder(api, product.id, 2),
      await createOrder(api, product.id, 4),
      await createOrder(api, product.id, 8),
    ]
    await setOrderStatus(api, paid.id, 'PAID')
    await setOrderStatus(api, shipped.id, 'PAID')
    await setOrderStatus(api, shipped.id, 'SHIPPED')
    await setOrderStatus(api, canceled.id, 'CANCELED')
    const response = await api.request('GET', `/orders/summary?created_from=${encodeURIComponent(from)}`)
    expect(response.status).toBe(200)
    expect(response.body).toEqual({
      orders: 4,
      by_status: { PENDING: 1, PAID: 1, SHIPPED: 1, CANCELED: 1 },
      paid_revenue: 61.5,
    })
    expect(pending.status).toBe('PENDING')
    const future = await api.request('GET', '/orders/summary?created_from=2999-01-01T00:00:00Z')
    expect(future.body).toEqual({
      orders: 0,
      by_status: { PENDING: 0, PAID: 0, SHIPPED: 0, CANCELED: 0 },
      paid_revenue: 0,
    })
  })
})

describe('every delivery', () => {
  it('when deliveries of several endpoints exist, then GET /webhook-deliveries lists them all, filtered by status', async () => {
    const endpoint = async () =>
      (await api.request('POST', '/webhook-endpoints', { url: 'https://hooks.example.com/x' })).body
    const [first, second] = [await endpoint(), await endpoint()]
    const now = new Date().toISOString()
    await api.app.db
      .insertInto('events')
      .values({ id: 'evt_queries_1', type: 'order.created', payload: '{}', created_at: now, fanned_out_at: now })
      .execute()
    const seq = (
      await api.app.db.selectFrom('events').select('seq').where('id', '=', 'evt_queries_1').executeTakeFirstOrThrow()
    ).seq
    const delivery = (endpointId: number, status: 'failed' | 'succeeded') => ({
      endpoint_id: endpointId,
      event_seq: Number(seq),
      event_id: 'evt_queries_1',
      event_type: 'order.created' as const,
      status,
      attempts: 1,
      next_attempt_at: null,
      lease_until: null,
      last_status_code: status === 'failed' ? 500 : 200,
      last_error: null,
      created_at: now,
      updated_at: now,
    })
    await api.app.db
      .insertInto('webhook_deliveries')
      .values([delivery(first.id, 'failed'), delivery(second.id, 'failed')])
      .execute()
    const failed = await api.request('GET', '/webhook-deliveries?status=failed&limit=1000')
    expect(failed.status).toBe(200)
    const mine = (failed.body as { endpoint_id: number; status: string }[]).filter((d) =>
      [first.id, second.id].includes(d.endpoint_id),
    )
    expect(mine.map((d) => d.endpoint_id).sort()).toEqual([first.id, second.id].sort())
    expect(mine.every((d) => d.status === 'failed')).toBe(true)
    expect(
      (await api.request('GET', '/webhook-deliveries?status=succeeded&limit=1000')).body.map(
        (d: { endpoint_id: number }) => d.endpoint_id,
      ),
    ).not.toContain(first.id)
    expect((await api.request('GET', '/webhook-deliveries?status=lost')).status).toBe(422)
  })
})
