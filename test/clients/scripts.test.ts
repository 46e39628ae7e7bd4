import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { listen } from '../helpers/http.js'
import { runScript } from '../helpers/processes.js'

const SCRIPTS = [
  'scripts/migrate.ts',
  'scripts/seed.ts',
  'scripts/reset.ts',
  'scripts/sign.ts',
  'scripts/smoke.ts',
  'scripts/load.ts',
  'scripts/bench.ts',
  'scripts/generate-client.ts',
  'scripts/dockerfile-dry-run.ts',
  'scripts/receiver.ts',
]

async function run(script: string, args: string[], env: Record<string, string> = {}) {
  const child = runScript(env, { script, args })
  const code = await child.exited
  return { code, output: child.output() }
}

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'orders-inventory-scripts-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('every script explains itself', () => {
  it('when a script gets --help, then it prints its usage, what it does and how long it takes, and exits 0', async () => {
    const results = await Promise.all(SCRIPTS.map((script) => run(script, ['--help'])))
    for (const [i, { code, output }] of results.entries()) {
      expect(code, SCRIPTS[i]).toBe(0)
      expect(output, SCRIPTS[i]).toMatch(/usage: /i)
      expect(output, SCRIPTS[i]).toMatch(/second|minute|instant/i)
    }
    const curl = spawnSync('bash', ['scripts/curl-examples.sh', '--help'], { encoding: 'utf8' })
    expect(curl.status).toBe(0)
    expect(curl.stdout).toContain('BASE_URL=')
  })

  it('when a script gets an unknown option, then it says so with its usage and exits 2, without a stack trace', async () => {
    const results = await Promise.all(SCRIPTS.map((script) => run(script, ['--no-such-option'])))
    for (const [i, { code, output }] of results.entries()) {
      expect(code, SCRIPTS[i]).toBe(2)
      expect(output, SCRIPTS[i]).toContain("Unknown option '--no-such-option'")
      expect(output, SCRIPTS[i]).toMatch(/usage: /i)
      expect(output, SCRIPTS[i]).not.toMatch(/^\s+at /m)
    }
  })
})

describe('db:seed and db:reset', () => {
  it('when seeding with --orders, then products and orders in every status are there, and a reset empties it all', async () => {
    const databaseUrl = `sqlite:${join(dir, 'seeded.db')}`
    const seeded = await run('scripts/seed.ts', ['12', '--orders', '10'], { DATABASE_URL: databaseUrl })
    expect(seeded.code, seeded.output).toBe(0)
    expect(seeded.output).toContain('12 demo products added')
    const api = await startTestApp({}, { databaseUrl })
    try {
      expect((await api.request('GET', '/products?limit=100')).body).toHaveLength(12)
      const orders = (await api.request('GET', '/orders?limit=100')).body as { status: string }[]
      expect(orders).toHaveLength(10)
      expect(new Set(orders.map((order) => order.status))).toEqual(new Set(['PENDING', 'PAID', 'SHIPPED', 'CANCELED']))
    } finally {
      await api.close()
    }

    // Not a terminal and no --yes: nothing is deleted.
    const refused = await run('scripts/reset.ts', [], { DATABASE_URL: databaseUrl })
    expect(refused.code).toBe(1)
    expect(refused.output).toContain('pass --yes')
    const reset = await run('scripts/reset.ts', ['--yes'], { DATABASE_URL: databaseUrl })
    expect(reset.code, reset.output).toBe(0)
    const after = await startTestApp({}, { databaseUrl })
    try {
      expect((await after.request('GET', '/products')).body).toEqual([])
      expect((await after.request('GET', '/orders')).body).toEqual([])
    } finally {
      await after.close()
    }
  })

  it('when NODE_ENV is production, then db:reset refuses even with --yes', async () => {
    const databaseUrl = `sqlite:${join(dir, 'production.db')}`
    const result = await run('scripts/reset.ts', ['--yes'], {
      DATABASE_URL: databaseUrl,
      NODE_ENV: 'production',
      WEBHOOK_SECRET: 'a-production-secret-0123456789',
    })
    expect(result.code).toBe(1)
    expect(result.output).toContain('NODE_ENV is production')
  })
})

describe('the load report', () => {
  let api: TestApp
  beforeAll(async () => {
    api = await startTestApp()
  })
  afterAll(() => api.close())

  it('when a load run ends, then its report has labelled axes, legends, a line per task and the responses by status', async () => {
    const { baseUrl } = await listen(api.app)
    // Orders 1 and 2 existed and were deleted: the run must read back only its own orders.
    const product = (await api.request('POST', '/products', { sku: 'GONE', name: 'Gone', price: 1, stock: 5 })).body
    for (let i = 0; i < 2; i++) {
      const order = (await api.request('POST', '/orders', { product_id: product.id, quantity: 1 })).body
      await api.request('DELETE', `/orders/${order.id}`)
      await api.request('DELETE', `/orders/${order.id}`)
    }
    expect((await api.request('GET', '/orders/1')).status).toBe(404)
    const reports = join(dir, 'reports')
    const result = await run('scripts/load.ts', [
      '-u',
      '3',
      '-d',
      '1',
      '--cart-weight',
      '1',
      '--base-url',
      baseUrl,
      '--report-dir',
      reports,
    ])
    expect(result.code, result.output).toBe(0)
    const html = readFileSync(join(reports, readdirSync(reports)[0]!), 'utf8')
    for (const text of [
      'latency (ms)',
      'requests per second',
      'seconds since the start',
      'latency (ms, log scale)',
      'p99 latency',
      'Responses by status',
      'max ',
    ])
      expect(html, text).toContain(text)
    for (const task of ['list products', 'create product', 'create order', 'get order', 'get product', 'order a cart'])
      expect(html.split(`>${task}<`).length - 1, task).toBeGreaterThanOrEqual(2) // status table and legend
    expect(result.output).toMatch(/get order\s+\d+\s+[\d.]+(\s+[\d.]+){4}\s+0\.00%/)
    // The optional cart task (several-line orders) ran too, without errors.
    expect(result.output).toMatch(/order a cart\s+\d+\s+[\d.]+(\s+[\d.]+){4}\s+0\.00%/)
  })
})
