/**
 * `npm run db:seed`: demo data for the database named by DATABASE_URL, written through the
 * service's own HTTP API (in process, no server needed), so it obeys every rule the API does.
 */
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../src/app.js'
import { loadConfig, loadDotEnv, redactUrl, type Config } from '../src/config.js'
import { parseCli, reportFailure, usageError } from './cli.js'

const USAGE = `
usage: npm run db:seed -- [COUNT] [--orders N]

Adds COUNT demo products (default 20) to the database named by DATABASE_URL (environment or
.env; default sqlite:./data/store.db), skipping SKUs that are already there, so it is safe to run
twice. With --orders N it also places N orders on them and moves them through every status
(PENDING, PAID, SHIPPED, CANCELED), so the docs and the admin show a living store.
About 1,000 products or orders a second on SQLite; progress is shown every 5 seconds.

  npm run db:seed                      20 products
  npm run db:seed -- 500 --orders 200  500 products and 200 orders
`
const { values, positionals } = parseCli(USAGE, { orders: { type: 'string', default: '0' } }, { positionals: true })
const count = Number(positionals[0] ?? 20)
const orders = Number(values.orders)
if (positionals.length > 1 || !Number.isInteger(count) || count < 1)
  usageError(USAGE, 'COUNT must be a positive integer')
if (!Number.isInteger(orders) || orders < 0) usageError(USAGE, '--orders must be a whole number')

const names = ['Coffee mug', 'Notebook', 'Desk lamp', 'Water bottle', 'Backpack', 'Headphones', 'T-shirt', 'Pen set']
/** Where the seeded orders end up, in turn. */
const paths: string[][] = [[], ['PAID'], ['PAID', 'SHIPPED'], ['CANCELED'], ['PAID', 'CANCELED']]

let config: Config | undefined
try {
  loadDotEnv()
  config = loadConfig()
  const app = await buildApp({ ...config, logLevel: 'error' as Config['logLevel'] })
  try {
    const where = redactUrl(config.database.url)
    const progress = startProgress()
    const { created, ids } = await seedProducts(app, count, progress)
    const placed = await seedOrders(app, ids, orders, progress)
    progress.stop()
    console.log(`${where}: ${created} demo products added (${count - created} already there), ${placed} orders placed`)
  } finally {
    await app.close()
  }
} catch (error) {
  reportFailure(error, config)
}

async function call(app: FastifyInstance, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) {
  const response = await app.inject({ method, url, ...(payload && { payload }) })
  return { status: response.statusCode, body: response.json() as Record<string, unknown> }
}

async function seedProducts(app: FastifyInstance, total: number, progress: Progress) {
  let created = 0
  const ids: number[] = []
  for (let i = 1; i <= total; i++) {
    progress.note(`${i - 1} of ${total} products`)
    const sku = `DEMO-${String(i).padStart(4, '0')}`
    const price = Math.round((5 + ((i * 37) % 95) + ((i * 13) % 100) / 100) * 100) / 100
    const name = `${names[(i - 1) % names.length]} #${i}`
    const response = await call(app, 'POST', '/products', { sku, name, price, stock: 50 + ((i * 7) % 150) })
    if (response.status === 201) {
      created += 1
      ids.push(response.body.id as number)
    } else if (response.status !== 409) {
      throw new Error(`POST /products answered ${response.status}: ${JSON.stringify(response.body)}`)
    }
  }
  if (ids.length === 0 && orders > 0) {
    // The products were there already: take the live ones.
    const listed = await app.inject({ method: 'GET', url: '/products?limit=1000' })
    ids.push(...(listed.json() as { id: number }[]).map((product) => product.id))
  }
  return { created, ids }
}

async function seedOrders(app: FastifyInstance, productIds: number[], total: number, progress: Progress) {
  let placed = 0
  for (let i = 0; i < total && productIds.length > 0; i++) {
    progress.note(`${i} of ${total} orders`)
    const productId = productIds[(i * 7) % productIds.length]!
    const order = await call(app, 'POST', '/orders', { product_id: productId, quantity: 1 + (i % 3) })
    if (order.status === 409) continue // out of stock: fine for demo data
    if (order.status !== 201) throw new Error(`POST /orders answered ${order.status}: ${JSON.stringify(order.body)}`)
    placed += 1
    for (const status of paths[i % paths.length]!) await call(app, 'PUT', `/orders/${order.body.id}`, { status })
  }
  return placed
}

interface Progress {
  note(status: string): void
  stop(): void
}

function startProgress(): Progress {
  let status = 'starting'
  const started = Date.now()
  const timer = setInterval(
    () => console.error(`.. ${Math.round((Date.now() - started) / 1000)} s: ${status}`),
    5000,
  ).unref()
  return { note: (now) => (status = now), stop: () => clearInterval(timer) }
}
