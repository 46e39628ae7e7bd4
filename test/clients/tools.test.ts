import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import newman from 'newman'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLIENT_TYPES_PATH, generateClientTypes, openApiDocument } from '../../scripts/generate-client.js'
import { startTestApp, TEST_WEBHOOK_SECRET, type TestApp } from '../helpers/app.js'
import { createOrder, createProduct } from '../helpers/builders.js'
import { listen } from '../helpers/http.js'
import { runScript } from '../helpers/processes.js'

const COLLECTION = 'postman/orders-inventory.postman_collection.json'
let api: TestApp
let baseUrl: string

beforeAll(async () => {
  api = await startTestApp()
  baseUrl = (await listen(api.app)).baseUrl
})
afterAll(() => api.close())

async function totals() {
  const count = async (path: string) => Number((await api.request('GET', path)).headers['x-total-count'])
  return { products: await count('/products'), orders: await count('/orders') }
}

function bash(script: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; output: string }>((done) => {
    let output = ''
    // stdin is not a socket, or bash would take itself for a remote shell and read ~/.bashrc.
    const child = spawn('bash', ['-c', script], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('exit', (code) => done({ code, output }))
  })
}

interface PostmanItem {
  name: string
  item?: PostmanItem[]
  request?: { method: string; url: { raw: string } }
}

describe('Postman collection', () => {
  const collection = JSON.parse(readFileSync(COLLECTION, 'utf8')) as { item: PostmanItem[] }
  const requests = (items: PostmanItem[]): NonNullable<PostmanItem['request']>[] =>
    items.flatMap((item) => (item.item ? requests(item.item) : item.request ? [item.request] : []))

  it('when newman runs it against a live server, then every request runs and every assertion passes', async () => {
    const summary = await new Promise<newman.NewmanRunSummary>((done, fail) =>
      newman.run(
        {
          collection: COLLECTION,
          environment: 'postman/local.postman_environment.json',
          envVar: [
            { key: 'baseUrl', value: baseUrl },
            { key: 'webhookSecret', value: TEST_WEBHOOK_SECRET },
          ],
          reporters: [],
        },
        (error, result) => (error ? fail(error) : done(result)),
      ),
    )
    const failures = summary.run.failures.map((f) => `${f.source?.name ?? '?'}: ${f.error.message}`)
    expect(failures).toEqual([])
    expect(summary.run.stats.requests.total).toBe(requests(collection.item).length)
    expect(summary.run.stats.assertions.total).toBeGreaterThanOrEqual(2 * requests(collection.item).length - 10)
  })

  it('when the OpenAPI document lists an operation, then the collection calls it', async () => {
    const document = (await api.request('GET', '/openapi.json')).body as { paths: Record<string, object> }
    const template = (path: string) => path.replace(/\{\{?[^}]+\}\}?/g, '{}').replace(/\?.*$/, '')
    const covered = new Set(
      requests(collection.item).map((r) => `${r.method} ${template(r.url.raw.replace('{{baseUrl}}', ''))}`),
    )
    const missing = Object.entries(document.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .filter((operation) => !covered.has(template(operation)))
    expect(missing).toEqual([])
  })
})

describe('curl walkthrough', () => {
  it('when scripts/curl-examples.sh runs against a live server, then every call answers as documented', async () => {
    const before = await totals()
    const { code, output } = await bash('scripts/curl-examples.sh', {
      BASE_URL: baseUrl,
      WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    })
    expect(code, output).toBe(0)
    expect(output).toContain('All examples answered as documented.')
    const statuses = [...output.matchAll(/^ {2}-> (\d{3})/gm)].map((m) => m[1])
    for (const status of ['200', '201', '204', '400', '401', '403', '404', '409', '422']) {
      expect(statuses).toContain(status)
    }
    // It leaves no product behind; its shipped order stays in the history.
    const after = await totals()
    expect(after.products).toBe(before.products)
    expect(after.orders).toBe(before.orders + 1)
  })

  it('when a call answers another status than documented, then the script stops with an error', async () => {
    const { code, output } = await bash('scripts/curl-examples.sh', { BASE_URL: baseUrl, WEBHOOK_SECRET: 'wrong' })
    expect(code).not.toBe(0)
    expect(output).toContain('FAILED: expected 200, got 403')
  })
})

describe('smoke test', () => {
  it('when npm run smoke checks a live deployment, then every step passes and nothing is left behind', async () => {
    const before = await totals()
    const smoke = runScript({ BASE_URL: baseUrl, WEBHOOK_SECRET: TEST_WEBHOOK_SECRET }, { script: 'scripts/smoke.ts' })
    expect(await smoke.exited, smoke.output()).toBe(0)
    const lines = smoke.output().trim().split('\n')
    expect(lines.filter((line) => line.startsWith('ok '))).toHaveLength(10)
    expect(lines.at(-1)).toBe('smoke test passed')
    expect(await totals()).toEqual(before)
  })

  it('when the webhook secret is wrong, then the failing step is named, the exit code is 1 and it still cleans up', async () => {
    const before = await totals()
    const smoke = runScript({ BASE_URL: baseUrl, WEBHOOK_SECRET: 'not-the-secret' }, { script: 'scripts/smoke.ts' })
    expect(await smoke.exited).toBe(1)
    expect(smoke.output()).toMatch(/^FAIL {2}POST \/webhooks\/payment .*403/m)
    expect(smoke.output()).toMatch(/^ok {4}clean-up/m)
    expect(await totals()).toEqual(before)
  })
})

describe('webhook signer', () => {
  it('when npm run sign signs a body, then the printed curl command is accepted by the service', async () => {
    const order = await createOrder(api, (await createProduct(api, { price: 5, stock: 3 })).id, 2)
    const body = JSON.stringify({ event: 'payment.succeeded', order_id: order.id, amount: 10 })
    const sign = runScript(
      { WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, BASE_URL: baseUrl },
      { script: 'scripts/sign.ts', args: [body] },
    )
    const code = await sign.exited
    const output = sign.output()
    expect(code, output).toBe(0)
    expect(output).toMatch(/^X-Webhook-Signature: sha256=[0-9a-f]{64}$/m)
    const command = output.split('\n').find((line) => line.startsWith('curl '))!
    const sent = await bash(command, {})
    expect(sent.code, sent.output).toBe(0)
    expect(JSON.parse(sent.output)).toMatchObject({ status: 'processed', order_id: order.id, new_status: 'PAID' })
  })

  it('when npm run sign -- --standard signs a body, then the Standard Webhooks curl command is accepted once', async () => {
    const order = await createOrder(api, (await createProduct(api, { price: 5, stock: 3 })).id, 1)
    const body = JSON.stringify({ event: 'payment.succeeded', order_id: order.id, amount: 5 })
    const id = `msg_sign_${order.id}`
    const sign = runScript(
      { WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, BASE_URL: baseUrl },
      { script: 'scripts/sign.ts', args: ['--standard', '--id', id, body] },
    )
    const code = await sign.exited
    const output = sign.output()
    expect(code, output).toBe(0)
    expect(output).toMatch(new RegExp(`^webhook-id: ${id}$`, 'm'))
    expect(output).toMatch(/^webhook-timestamp: \d{10}$/m)
    expect(output).toMatch(/^webhook-signature: v1,[A-Za-z0-9+/]{43}=$/m)
    expect(output).not.toMatch(/X-Webhook-Signature/)
    const command = output.split('\n').find((line) => line.startsWith('curl '))!
    const sent = await bash(command, {})
    expect(sent.code, sent.output).toBe(0)
    expect(JSON.parse(sent.output)).toMatchObject({ status: 'processed', event_id: id, new_status: 'PAID' })
    // The same command again is the same event: a duplicate.
    expect(JSON.parse((await bash(command, {})).output)).toMatchObject({ status: 'duplicate', event_id: id })
  })

  it('when npm run sign gets an unknown option, then it prints the usage and exits with 2', async () => {
    const sign = runScript(
      { WEBHOOK_SECRET: TEST_WEBHOOK_SECRET },
      { script: 'scripts/sign.ts', args: ['--stnadard', '{}'] },
    )
    expect(await sign.exited).toBe(2)
    expect(sign.output()).toContain('usage: npm run sign')
  })
})

describe('typed client', () => {
  it('when the API changes, then the committed client types must be regenerated (npm run client:generate)', async () => {
    const expected = await generateClientTypes(await openApiDocument())
    expect(readFileSync(CLIENT_TYPES_PATH, 'utf8')).toBe(expected)
  })

  it('when client/example.ts runs against a live server, then its cart retried with one key is one order and the ledger shows every change', async () => {
    const example = runScript({ BASE_URL: baseUrl }, { script: 'client/example.ts' })
    expect(await example.exited, example.output()).toBe(0)
    const line = example.output().trim().split('\n').at(-1)!
    const [, cart, retried] =
      /cart (\d+) of 2 lines = 50, retried: (\d+) \(replayed: true\); stock now 10; ledger: initial \+10, order_placed -2, order_placed -1, order_placed -3, received \+6$/.exec(
        line,
      ) ?? []
    expect(cart, line).toBeDefined()
    expect(retried).toBe(cart)
  })
})
