/** Workloads shared by `npm run load` and `npm run bench`. */
import type { Task, TaskStats } from './driver.js'

export async function call(baseUrl: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`)
  return { response, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined }
}

/** Places one order of one unit: the first order a run can read back. */
export async function placeOrder(baseUrl: string, productId: number): Promise<number> {
  return (await call(baseUrl, 'POST', '/orders', { product_id: productId, quantity: 1 })).body!.id as number
}

export async function createProducts(baseUrl: string, count: number, stock: number): Promise<number[]> {
  const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`
  const ids: number[] = []
  for (let i = 0; i < count; i++) {
    const { body } = await call(baseUrl, 'POST', '/products', {
      sku: `LOAD-${run}-${i}`,
      name: `Load ${i}`,
      price: 9.99,
      stock,
    })
    ids.push(body!.id as number)
  }
  return ids
}

export const random = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)]!
const idOf = (text: string) => Number(/"id":(\d+)/.exec(text)?.[1])

/** The server's resident memory, from its /metrics. */
export async function residentMemory(baseUrl: string): Promise<number | undefined> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text()
  const match = /^process_resident_memory_bytes (\S+)$/m.exec(text)
  return match ? Number(match[1]) : undefined
}

/**
 * The old Locust test's mix: list products 8, create product 2, create order 1, get order 1, get
 * product 1. "get order" reads only orders this run placed (`orderIds` seeds them): other orders
 * may not exist, or may have been deleted.
 */
export function mixTasks(productIds: number[], orderIds: number[] = [], { cartWeight = 0 } = {}): Task[] {
  const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`
  // Off unless asked for: the old Locust file has no carts.
  const carts: Task[] =
    cartWeight > 0
      ? [
          {
            name: 'order a cart',
            weight: cartWeight,
            request: () => {
              const lines = 2 + Math.floor(Math.random() * 3)
              const items = Array.from({ length: lines }, () => ({ product_id: random(productIds), quantity: 1 }))
              return { method: 'POST', path: '/orders', body: { items } }
            },
            ok: (status) => status === 201 || status === 409,
            after: (status, body) => status === 201 && orderIds.push(idOf(body)),
          },
        ]
      : []
  let created = 0
  return [
    { name: 'list products', weight: 8, request: () => ({ method: 'GET', path: '/products' }) },
    {
      name: 'create product',
      weight: 2,
      request: () => ({
        method: 'POST',
        path: '/products',
        body: {
          sku: `LOAD-${run}-p${created++}-${Math.random().toString(36).slice(2, 8)}`,
          name: 'Load',
          price: 9.99,
          stock: 1_000_000,
        },
      }),
      after: (status, body) => status === 201 && productIds.push(idOf(body)),
    },
    {
      name: 'create order',
      weight: 1,
      request: () => ({ method: 'POST', path: '/orders', body: { product_id: random(productIds), quantity: 1 } }),
      ok: (status) => status === 201 || status === 409,
      after: (status, body) => status === 201 && orderIds.push(idOf(body)),
    },
    {
      name: 'get order',
      weight: 1,
      // Before this run's first order, a page of orders stands in for one.
      request: () => ({ method: 'GET', path: orderIds.length ? `/orders/${random(orderIds)}` : '/orders?limit=1' }),
    },
    { name: 'get product', weight: 1, request: () => ({ method: 'GET', path: `/products/${random(productIds)}` }) },
    ...carts,
  ]
}

/** A product's stock left and the units held by its orders that are not canceled: they add up to what was stocked. */
export async function stockAccount(baseUrl: string, productId: number): Promise<{ stock: number; held: number }> {
  const stock = (await call(baseUrl, 'GET', `/products/${productId}`)).body!.stock as number
  const orders = (await call(baseUrl, 'GET', `/orders?product_id=${productId}&limit=1000`)).body as unknown as {
    quantity: number
    status: string
  }[]
  const held = orders.filter((o) => o.status !== 'CANCELED').reduce((sum, o) => sum + o.quantity, 0)
  return { stock, held }
}

/** Responses that were 5xx, and requests that got no response at all. */
export function serverFailures(stats: TaskStats): number {
  return Object.entries(stats.statuses)
    .filter(([status]) => status === 'connection' || Number(status) >= 500)
    .reduce((sum, [, count]) => sum + count, 0)
}
