import { afterEach, describe, expect, it } from 'vitest'
import { startTestApp } from './helpers/app.js'
import { createOrder, createProduct } from './helpers/builders.js'
import { createTestDatabase, type TestDatabase } from './helpers/database.js'
import { runScript, startInstances } from './helpers/processes.js'
import { signWebhook } from './helpers/webhooks.js'
import { MIGRATION_NAMES } from '../src/db/migrate.js'

const SECRET = 'instances-webhook-secret'
let databases: TestDatabase[] = []
afterEach(async () => {
  await Promise.all(databases.map((database) => database.drop()))
  databases = []
})

async function freshDatabase(): Promise<string> {
  const database = await createTestDatabase()
  databases.push(database)
  return database.url
}

async function call(url: string, method: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await response.text()
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as any }
}

describe('restarts', () => {
  it('when the app restarts on the same database, then products and orders are still there', async () => {
    const databaseUrl = await freshDatabase()
    const first = await startTestApp({}, { databaseUrl })
    const product = await createProduct(first, { stock: 9 })
    const order = await createOrder(first, product.id, 4)
    await first.close()

    const second = await startTestApp({}, { databaseUrl })
    expect((await second.request('GET', `/products/${product.id}`)).body).toMatchObject({ stock: 5 })
    expect((await second.request('GET', `/orders/${order.id}`)).body).toEqual(order)
    await second.close()
  })

  it('when the process is killed with SIGKILL right after a 201, then the order survives', async () => {
    const databaseUrl = await freshDatabase()
    const { urls, processes } = await startInstances(1, databaseUrl)
    const product = await call(`${urls[0]}/products`, 'POST', { sku: 'KILL-1', name: 'Durable', price: 3.5, stock: 10 })
    const order = await call(`${urls[0]}/orders`, 'POST', { product_id: product.body.id, quantity: 3 })
    expect(order.status).toBe(201)
    processes[0]!.child.kill('SIGKILL')
    await processes[0]!.exited

    const reopened = await startTestApp({}, { databaseUrl })
    expect((await reopened.request('GET', `/orders/${order.body.id}`)).body).toMatchObject({
      status: 'PENDING',
      quantity: 3,
    })
    expect((await reopened.request('GET', `/products/${product.body.id}`)).body.stock).toBe(7)
    await reopened.close()
  })
})

describe('several instances on one database', { timeout: 90_000 }, () => {
  it('when 400 orders split across two instances race for stock 100 and one webhook arrives 20 times, then 100 succeed, it is processed once and no stock is lost', async () => {
    const { urls, stop } = await startInstances(2, await freshDatabase(), { WEBHOOK_SECRET: SECRET })
    try {
      const at = (i: number) => urls[i % urls.length]!
      const hot = await call(`${at(0)}/products`, 'POST', { sku: 'HOT', name: 'Hot', price: 2.5, stock: 100 })
      const other = await call(`${at(1)}/products`, 'POST', { sku: 'OTHER', name: 'Other', price: 4, stock: 30 })

      const orders = await Promise.all(
        Array.from({ length: 400 }, (_, i) =>
          call(`${at(i)}/orders`, 'POST', { product_id: hot.body.id, quantity: 1 }),
        ),
      )
      const statuses = orders.map((o) => o.status)
      expect(statuses.filter((s) => s === 201)).toHaveLength(100)
      expect(statuses.filter((s) => s === 409)).toHaveLength(300)
      const placed = orders.filter((o) => o.status === 201).map((o) => o.body)
      expect(new Set(placed.map((o) => o.id)).size).toBe(100)

      // Meanwhile on the other product: orders, cancels and a payment, from both instances.
      const side = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          call(`${at(i)}/orders`, 'POST', { product_id: other.body.id, quantity: 3 }),
        ),
      )
      await Promise.all(side.slice(0, 4).map((o, i) => call(`${at(i)}/orders/${o.body.id}`, 'DELETE')))

      const paid = placed[0]!
      const body = JSON.stringify({ event: 'payment.succeeded', order_id: paid.id, amount: 2.5 })
      const signature = signWebhook(body, SECRET)
      const deliveries = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          call(`${at(i)}/webhooks/payment`, 'POST', body, {
            'content-type': 'application/json',
            'x-webhook-signature': signature,
            'x-event-id': `evt-multi-${paid.id}`,
          }),
        ),
      )
      expect(deliveries.map((d) => d.status)).toEqual(Array(20).fill(200))
      const outcomes = deliveries.map((d) => d.body.status)
      expect(outcomes.filter((s) => s === 'processed')).toHaveLength(1)
      expect(outcomes.filter((s) => s === 'duplicate')).toHaveLength(19)
      expect((await call(`${at(1)}/orders/${paid.id}`, 'GET')).body.status).toBe('PAID')

      // The invariant, for every product: stock + units of orders not canceled = units stocked.
      for (const [product, stocked] of [
        [hot.body, 100],
        [other.body, 30],
      ] as const) {
        const stock = (await call(`${at(0)}/products/${product.id}`, 'GET')).body.stock as number
        const live = (await call(`${at(1)}/orders?product_id=${product.id}&limit=1000`, 'GET')).body as {
          quantity: number
          status: string
        }[]
        const held = live.filter((o) => o.status !== 'CANCELED').reduce((n, o) => n + o.quantity, 0)
        expect(stock + held).toBe(stocked)
      }
    } finally {
      await stop()
    }
  })

  it('when 4 instances start at once on an empty database, then the migrations run once and all become ready', async () => {
    const { urls, processes, stop } = await startInstances(4, await freshDatabase(), { LOG_LEVEL: 'info' })
    try {
      const migrated = processes.filter((p) => p.output().includes('"msg":"database migrated"'))
      expect(migrated).toHaveLength(1)
      expect(migrated[0]!.output()).toContain(`"migrations":${JSON.stringify(MIGRATION_NAMES)}`)
      for (const url of urls) expect((await call(`${url}/ready`, 'GET')).status).toBe(200)
      const created = await call(`${urls[3]}/products`, 'POST', { sku: 'AFTER-START', name: 'n', price: 1 })
      expect(created.status).toBe(201)
    } finally {
      await stop()
    }
  })

  it('when three `npm run db:migrate` run at once on an empty database, then all succeed and the schema is applied once', async () => {
    const databaseUrl = await freshDatabase()
    const runs = Array.from({ length: 3 }, () =>
      runScript({ DATABASE_URL: databaseUrl }, { script: 'scripts/migrate.ts' }),
    )
    expect(await Promise.all(runs.map((run) => run.exited))).toEqual([0, 0, 0])
    const outputs = runs.map((run) => run.output())
    for (const name of MIGRATION_NAMES) {
      expect(
        outputs.filter((output) => output.includes(`${name} Success`)),
        name,
      ).toHaveLength(1)
    }
    expect(outputs.filter((output) => output.includes('already up to date'))).toHaveLength(2)
  })
})
