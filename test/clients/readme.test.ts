import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEV_WEBHOOK_SECRET } from '../../src/config.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { listen } from '../helpers/http.js'

let api: TestApp
let baseUrl: string
beforeAll(async () => {
  api = await startTestApp({ WEBHOOK_SECRET: DEV_WEBHOOK_SECRET })
  baseUrl = (await listen(api.app)).baseUrl
  // An order that was deleted: the walkthrough must not rely on ids of a fresh database.
  const product = (await api.request('POST', '/products', { sku: 'OLD', name: 'Old', price: 1, stock: 3 })).body
  const order = (await api.request('POST', '/orders', { product_id: product.id, quantity: 1 })).body
  await api.request('DELETE', `/orders/${order.id}`)
  await api.request('DELETE', `/orders/${order.id}`)
})
afterAll(() => api.close())

describe("the README's walkthrough", () => {
  it('when the "Try it" commands run as written against a database that is not fresh, then each does what it says', async () => {
    const readme = readFileSync('README.md', 'utf8')
    const block = /## Try it\n[\s\S]*?```bash\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(block).toBeDefined()
    const script = block!.replace(/^BASE=.*$/m, `BASE=${baseUrl}`)
    // Asynchronously: the service answering these commands runs in this process.
    const run = await new Promise<{ status: number; stdout: string; stderr: string }>((done) => {
      execFile(
        'bash',
        ['-euo', 'pipefail', '-c', script],
        { env: { ...process.env, BASE_URL: baseUrl, WEBHOOK_SECRET: DEV_WEBHOOK_SECRET }, timeout: 60_000 },
        (error, stdout, stderr) => done({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      )
    })
    expect(run.status, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/x-total-count: 2/i)
    expect(run.stdout).toContain('"stock":120')
    expect(run.stdout).toContain('Insufficient stock. Available: 118, Requested: 1000')
    expect(run.stdout).toContain('"status":"processed"')
    expect(run.stdout).toMatch(/"status":"PAID"/)
    expect(run.stdout.trim().split('\n').at(-1)).toBe('204')
  })
})
