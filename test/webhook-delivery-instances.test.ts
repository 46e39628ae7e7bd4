import { afterEach, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from './helpers/database.js'
import { sample } from './helpers/metrics.js'
import { freePort, startInstances } from './helpers/processes.js'
import { startReceiver, type ReceivedRequest, type Receiver } from './helpers/receiver.js'

/*
 * Webhook delivery across real server processes on one database: a delivery survives a kill -9,
 * and two instances never send the same delivery at once.
 */

let cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {})
  cleanup = []
})

async function freshDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase()
  cleanup.push(() => database.drop())
  return database
}

async function started(receiver: Promise<Receiver>): Promise<Receiver> {
  const running = await receiver
  cleanup.push(() => running.close())
  return running
}

async function call(url: string, method = 'GET', body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  if (response.status >= 300) throw new Error(`${method} ${url}: ${response.status} ${text}`)
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (text ? JSON.parse(text) : undefined) as any
}

async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const idOf = (request: ReceivedRequest) => String(request.headers['webhook-id'])
/** True once every id has been answered with a 2xx. */
const allDelivered = (ids: string[]) => (requests: ReceivedRequest[]) =>
  ids.every((id) => requests.some((r) => idOf(r) === id && r.answeredStatus === 200))

describe('delivery across processes', { timeout: 120_000 }, () => {
  it('when the receiver is down and the server is killed with SIGKILL mid-attempt, then after a restart every event is delivered', async () => {
    const database = await freshDatabase()
    const env = { WEBHOOK_RETRY_SCHEDULE: Array(60).fill('0.5').join(','), WEBHOOK_TIMEOUT_MS: '1000' }
    const port = await freePort()
    const path = '/r-restart'

    const first = await startInstances(1, database.url, env)
    cleanup.push(first.stop)
    const [base] = first.urls
    const endpoint = await call(`${base}/webhook-endpoints`, 'POST', {
      url: `http://127.0.0.1:${port}${path}`,
      events: ['product.created'],
    })
    for (let i = 0; i < 3; i += 1) {
      await call(`${base}/products`, 'POST', { sku: `KILL-${i}`, name: `Killed ${i}`, price: 1, stock: 1 })
    }
    const ids = (await call(`${base}/events?type=product.created`)).map((e: { id: string }) => e.id) as string[]
    expect(ids).toHaveLength(3)

    // Nobody listens yet: every delivery fails and waits for its next try.
    const refused = await until(async () => {
      const deliveries = await call(`${base}/webhook-endpoints/${endpoint.id}/deliveries`)
      return deliveries.length === 3 && deliveries.every((d: { attempts: number }) => d.attempts >= 1)
        ? deliveries
        : undefined
    }, 'refused attempts')
    expect(refused[0]).toMatchObject({ status: 'pending', last_status_code: null })
    expect(refused[0].last_error).toMatch(/ECONNREFUSED/)

    // The receiver comes up but hangs; the server dies with attempts in flight (their leases held).
    const receiver = await started(startReceiver({ port, path, script: () => ({ hang: true }) }))
    await receiver.waitFor((requests) => requests.length >= 1)
    first.processes[0]!.child.kill('SIGKILL')
    await first.processes[0]!.exited

    receiver.respond(() => ({}))
    const second = await startInstances(1, database.url, env)
    cleanup.push(second.stop)
    await receiver.waitFor(allDelivered(ids), 45_000)
    const deliveries = await until(async () => {
      const list = await call(`${second.urls[0]}/webhook-endpoints/${endpoint.id}/deliveries`)
      return list.every((d: { status: string }) => d.status === 'succeeded') ? list : undefined
    }, 'every delivery to succeed')
    expect(deliveries.map((d: { event_id: string }) => d.event_id).sort()).toEqual([...ids].sort())
    for (const request of receiver.requests) expect(ids).toContain(idOf(request))
  })

  it('when two instances share the database and the receiver is slow, then no delivery is in flight twice at once and each is sent once', async () => {
    const database = await freshDatabase()
    const env = { WEBHOOK_TIMEOUT_MS: '10000', WEBHOOK_RETRY_SCHEDULE: '0.5,0.5,0.5' }
    const receiver = await started(startReceiver({ script: () => ({ delayMs: 200 }) }))
    const { urls, stop } = await startInstances(2, database.url, env)
    cleanup.push(stop)

    const endpoint = await call(`${urls[0]}/webhook-endpoints`, 'POST', {
      url: receiver.url,
      events: ['product.created'],
    })
    await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        call(`${urls[i % 2]}/products`, 'POST', { sku: `TWO-${i}`, name: `Two ${i}`, price: 1, stock: 5 }),
      ),
    )
    const ids = (await call(`${urls[1]}/events?type=product.created`)).map((e: { id: string }) => e.id) as string[]
    expect(ids).toHaveLength(24)
    await receiver.waitFor(allDelivered(ids), 60_000)

    // No webhook-id was in flight twice at once: its requests' intervals never overlap.
    for (const id of ids) {
      const mine = receiver.requests.filter((r) => idOf(r) === id).sort((a, b) => a.arrivedAt - b.arrivedAt)
      for (let i = 1; i < mine.length; i += 1)
        expect(mine[i]!.arrivedAt).toBeGreaterThanOrEqual(mine[i - 1]!.finishedAt!)
    }
    // Nothing went wrong, so each was sent exactly once, by one of the two.
    expect(receiver.requests).toHaveLength(24)
    const deliveries = await until(async () => {
      const list = await call(`${urls[1]}/webhook-endpoints/${endpoint.id}/deliveries`)
      return list.every((d: { status: string }) => d.status === 'succeeded') ? list : undefined
    }, 'every delivery to be recorded')
    expect(deliveries.map((d: { attempts: number }) => d.attempts)).toEqual(Array(24).fill(1))
    const sent = await Promise.all(
      urls.map(async (url) =>
        sample(await (await fetch(`${url}/metrics`)).text(), 'webhook_delivery_attempts_total', {
          outcome: 'succeeded',
        }),
      ),
    )
    expect(sent[0]! + sent[1]!).toBe(24)
  })
})
