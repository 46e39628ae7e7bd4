import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp } from './helpers/app.js'
import { createTestDatabase, type TestDatabase } from './helpers/database.js'
import { startInstances } from './helpers/processes.js'

let database: TestDatabase
beforeAll(async () => {
  database = await createTestDatabase()
})
afterAll(() => database.drop())

type Outcome = { status: number } | { error: string }

describe('graceful shutdown', () => {
  it('when SIGTERM arrives under load, then in-flight orders finish, every 201 is in the database, and no accepted request is lost', async () => {
    const { urls, processes } = await startInstances(1, database.url, { LOG_LEVEL: 'info', RATE_LIMIT_MAX: '0' })
    const base = urls[0]!
    const server = processes[0]!
    const created = await fetch(`${base}/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'SHUTDOWN-1', name: 'Under load', price: 1, stock: 1_000_000 }),
    })
    const productId = ((await created.json()) as { id: number }).id

    // 16 clients place orders back to back until the server stops answering them.
    const outcomes: Outcome[] = []
    const client = async () => {
      for (;;) {
        try {
          const response = await fetch(`${base}/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ product_id: productId, quantity: 1 }),
          })
          await response.arrayBuffer()
          outcomes.push({ status: response.status })
        } catch (error) {
          const cause = (error as { cause?: { code?: string } }).cause
          outcomes.push({ error: cause?.code ?? String(error) })
          return
        }
      }
    }
    const clients = Array.from({ length: 16 }, client)
    await new Promise((r) => setTimeout(r, 400))
    const signaled = Date.now()
    server.child.kill('SIGTERM')
    await Promise.all(clients)
    expect(await server.exited, server.output()).toBe(0)
    expect(Date.now() - signaled).toBeLessThan(8000) // well inside SHUTDOWN_TIMEOUT_MS

    const statuses = outcomes.flatMap((o) => ('status' in o ? [o.status] : []))
    const errors = outcomes.flatMap((o) => ('error' in o ? [o.error] : []))
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThan(20)
    // Requests that reach the server while it drains are still served.
    expect(statuses.filter((s) => s !== 201)).toEqual([])
    // Each client ends on a refused connection (the port is closed), or on a kept-alive connection
    // that the server closed while it was idle, crossing a request the server never read.
    expect(errors.filter((e) => !['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'].includes(e))).toEqual([])

    // Every acknowledged order is there, and nothing else: no request was processed unanswered.
    const reopened = await startTestApp({}, { databaseUrl: database.url })
    const orders = await reopened.request('GET', `/orders?product_id=${productId}&limit=1`)
    expect(Number(orders.headers['x-total-count'])).toBe(statuses.filter((s) => s === 201).length)
    const product = await reopened.request('GET', `/products/${productId}`)
    expect(product.body.stock).toBe(1_000_000 - statuses.filter((s) => s === 201).length)
    await reopened.close()
  })
})
