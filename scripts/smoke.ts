/**
 * `npm run smoke`: checks a running deployment end to end through the typed client.
 * BASE_URL (default http://127.0.0.1:8000) and WEBHOOK_SECRET (the deployment's) come from the
 * environment. Safe against production: it works on a product of its own with a unique SKU and
 * removes what it created, whether the checks pass or not. One line per step; exit 1 on failure.
 */
import { randomUUID } from 'node:crypto'
import { createOrdersInventoryClient } from '../client/index.js'
import { parseCli } from './cli.js'
import { webhookSecretForTools } from './tool-env.js'
import { signBody } from '../src/modules/webhooks/signature.js'

parseCli(
  `
usage: BASE_URL=https://orders.example.com WEBHOOK_SECRET=... npm run smoke

Checks a running deployment end to end: health, a product of its own, an order, the stock, a
signed webhook that marks it PAID, a 409 and a 404, then removes what it created (safe against
production). One line per step; exit 1 on the first failure. Takes a second or two.
BASE_URL defaults to http://127.0.0.1:8000; WEBHOOK_SECRET to the development secret.
With API keys on, set API_KEY to an admin key.
`,
  {},
)

const baseUrl = (process.env.BASE_URL ?? 'http://127.0.0.1:8000').replace(/\/+$/, '')
const secret = webhookSecretForTools()
const apiKey = process.env.API_KEY
const api = createOrdersInventoryClient(baseUrl, {
  headers: { 'user-agent': 'orders-inventory-smoke', ...(apiKey && { authorization: `Bearer ${apiKey}` }) },
})

class StepFailed extends Error {}

function expectThat(condition: boolean, message: string): asserts condition {
  if (!condition) throw new StepFailed(message)
}

async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now()
  try {
    const result = await run()
    console.log(`ok    ${name} (${Math.round(performance.now() - started)} ms)`)
    return result
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : ''
    console.log(`FAIL  ${name}: ${error instanceof Error ? error.message : String(error)}${cause}`)
    throw error
  }
}

const created: { productId?: number; orderIds: number[] } = { orderIds: [] }

async function checks(): Promise<void> {
  await step('GET /health is healthy', async () => {
    const { data, response } = await api.GET('/health')
    expectThat(response.status === 200 && data?.status === 'healthy', `status ${response.status}`)
  })

  await step('GET /ready: the database answers', async () => {
    const { response } = await api.GET('/ready')
    expectThat(response.status === 200, `status ${response.status}`)
  })

  const product = await step('POST /products creates a product (201)', async () => {
    const sku = `SMOKE-${Date.now()}-${randomUUID().slice(0, 8)}`
    const { data, response } = await api.POST('/products', {
      body: { sku, name: 'Smoke test product', price: 9.99, stock: 5 },
    })
    expectThat(response.status === 201 && data !== undefined, `status ${response.status}`)
    created.productId = data.id
    expectThat(data.sku === sku && data.stock === 5, `unexpected body ${JSON.stringify(data)}`)
    return data
  })

  const order = await step('POST /orders places an order of 2 (201)', async () => {
    const { data, response } = await api.POST('/orders', { body: { product_id: product.id, quantity: 2 } })
    expectThat(response.status === 201 && data !== undefined, `status ${response.status}`)
    created.orderIds.push(data.id)
    expectThat(data.status === 'PENDING' && data.total === 19.98, `unexpected body ${JSON.stringify(data)}`)
    return data
  })

  await step('GET /products/{id}: the stock went down to 3', async () => {
    const { data, response } = await api.GET('/products/{product_id}', {
      params: { path: { product_id: product.id } },
    })
    expectThat(response.status === 200 && data?.stock === 3, `stock ${data?.stock}, status ${response.status}`)
  })

  await step('POST /webhooks/payment (signed) marks the order PAID', async () => {
    const body = JSON.stringify({
      event: 'payment.succeeded',
      order_id: order.id,
      amount: order.total,
      event_id: `smoke-${randomUUID()}`,
    })
    const response = await fetch(`${baseUrl}/webhooks/payment`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-signature': signBody(body, secret) },
      body,
    })
    const result = (await response.json()) as { status?: string; detail?: unknown }
    expectThat(
      response.status === 200 && result.status === 'processed',
      `status ${response.status} ${JSON.stringify(result)}` +
        (response.status === 401 || response.status === 403 ? ' (is WEBHOOK_SECRET the deployment’s?)' : ''),
    )
    const { data } = await api.GET('/orders/{order_id}', { params: { path: { order_id: order.id } } })
    expectThat(data?.status === 'PAID', `order is ${data?.status}`)
  })

  await step('POST /orders beyond the stock is refused (409)', async () => {
    const { data, error, response } = await api.POST('/orders', { body: { product_id: product.id, quantity: 4 } })
    if (data) created.orderIds.push(data.id) // a regression placed it: still clean it up
    expectThat(response.status === 409, `status ${response.status}`)
    expectThat(
      error?.detail === 'Insufficient stock. Available: 3, Requested: 4',
      `detail ${JSON.stringify(error?.detail)}`,
    )
  })

  await step('POST /orders of two lines with an Idempotency-Key, retried: one order, stock taken once', async () => {
    const body = {
      items: [
        { product_id: product.id, quantity: 1 },
        { product_id: product.id, quantity: 1 },
      ],
    }
    const params = { header: { 'Idempotency-Key': `smoke-${randomUUID()}` } }
    const first = await api.POST('/orders', { body, params })
    if (first.data) created.orderIds.push(first.data.id)
    expectThat(first.response.status === 201 && first.data?.items.length === 2, `status ${first.response.status}`)
    const again = await api.POST('/orders', { body, params })
    expectThat(
      again.response.headers.get('idempotent-replayed') === 'true' && again.data?.id === first.data?.id,
      `the retry answered ${again.response.status} ${JSON.stringify(again.data ?? again.error)}`,
    )
    const { data } = await api.GET('/products/{product_id}', { params: { path: { product_id: product.id } } })
    expectThat(data?.stock === 1, `stock ${data?.stock}, expected 3 - 2 = 1`)
  })

  await step('GET /orders/{id} of a missing order is 404', async () => {
    const { error, response } = await api.GET('/orders/{order_id}', {
      params: { path: { order_id: Number.MAX_SAFE_INTEGER } },
    })
    expectThat(response.status === 404 && error?.detail === 'Order not found', `status ${response.status}`)
  })
}

/** Cancels and removes the orders, then the product: the deployment is left as it was found. */
async function cleanUp(): Promise<void> {
  if (created.productId === undefined) throw new StepFailed('nothing was created')
  for (const orderId of created.orderIds) {
    const path = { params: { path: { order_id: orderId } } }
    const cancel = await api.DELETE('/orders/{order_id}', path) // PENDING or PAID -> CANCELED
    const remove = await api.DELETE('/orders/{order_id}', path) // CANCELED -> deleted
    expectThat(cancel.response.status === 204 && remove.response.status === 204, `order ${orderId} not removed`)
  }
  if (created.productId !== undefined) {
    const { response } = await api.DELETE('/products/{product_id}', {
      params: { path: { product_id: created.productId } },
    })
    expectThat(response.status === 204, `product ${created.productId}: status ${response.status}`)
  }
}

console.log(`smoke test of ${baseUrl}`)
let failed = false
try {
  await checks()
} catch (error) {
  failed = true
  if (!(error instanceof StepFailed || error instanceof TypeError)) console.error(error)
}
if (created.productId !== undefined) {
  try {
    await step('clean-up: orders canceled and removed, product deleted', cleanUp)
  } catch {
    failed = true
  }
}
console.log(failed ? 'smoke test FAILED' : 'smoke test passed')
process.exitCode = failed ? 1 : 0
