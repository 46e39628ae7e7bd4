import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp } from './helpers/app.js'
import { createTestDatabase, type TestDatabase } from './helpers/database.js'
import { startInstances } from './helpers/processes.js'
import { openRawConnection } from './helpers/raw-http.js'

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
    // Under load before the signal: at least 25 orders answered (waiting a fixed time instead left
    // fewer than 20 on a busy machine).
    const loaded = Date.now() + 20_000
    while (outcomes.filter((o) => 'status' in o && o.status === 201).length < 25 && Date.now() < loaded) {
      await new Promise((r) => setTimeout(r, 20))
    }
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
  }, 90_000)
})

describe('draining', () => {
  it('when SIGTERM arrives while requests are in flight, then /ready answers 503, the in-flight write finishes, and every response says Connection: close', async () => {
    // Generous timeouts, so that only the drain decides what happens on a busy machine.
    const env = { HEADERS_TIMEOUT_MS: '60000', REQUEST_TIMEOUT_MS: '60000', SHUTDOWN_TIMEOUT_MS: '60000' }
    const { urls, processes } = await startInstances(1, database.url, env)
    const server = processes[0]!
    const port = Number(new URL(urls[0]!).port)
    // Two requests in flight when the signal comes: an upload with half its body sent, and a /ready
    // whose head is not finished. Neither connection is idle, so the drain does not close them.
    const upload = await openRawConnection(port)
    const readiness = await openRawConnection(port)
    try {
      const body = JSON.stringify({ sku: 'DRAIN-1', name: 'In flight', price: 1, stock: 1 })
      const half = Math.floor(body.length / 2)
      await upload.write(
        `POST /products HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${body.length}\r\n\r\n${body.slice(0, half)}`,
      )
      await readiness.write('GET /ready HTTP/1.1\r\nHost: x\r\n')
      // A whole exchange on a third connection: once it is answered, the server has read the other two.
      const probe = await openRawConnection(port)
      await probe.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
      expect((await probe.response()).status).toBe(200)

      server.child.kill('SIGTERM')
      // The drain has begun once the port refuses new connections (the listener closes after the
      // service has marked itself as shutting down).
      const deadline = Date.now() + 30_000
      for (;;) {
        const refused = await openRawConnection(port).then(
          (connection) => (connection.destroy(), false),
          () => true,
        )
        if (refused) break
        if (Date.now() > deadline) throw new Error(`still accepting connections 30 s after SIGTERM\n${server.output()}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }

      await readiness.write('\r\n')
      const ready = await readiness.response()
      expect(ready.status).toBe(503)
      expect(ready.body).toEqual({ detail: 'Shutting down' })
      expect(ready.headers.connection).toBe('close')

      await upload.write(body.slice(half))
      const created = await upload.response()
      expect(created.status).toBe(201)
      expect(created.body).toMatchObject({ sku: 'DRAIN-1' })
      expect(created.headers.connection).toBe('close')

      // The service closes both connections itself, and then exits.
      await Promise.all([readiness.ended, upload.ended])
      expect(await server.exited, server.output()).toBe(0)
    } finally {
      upload.destroy()
      readiness.destroy()
      server.child.kill('SIGKILL')
    }
    const reopened = await startTestApp({}, { databaseUrl: database.url })
    const listed = (await reopened.request('GET', '/products?limit=1000')).body as { sku: string }[]
    expect(listed.map((product) => product.sku)).toContain('DRAIN-1')
    await reopened.close()
  }, 90_000)
})
