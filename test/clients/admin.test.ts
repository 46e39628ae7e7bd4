import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import Fastify from 'fastify'
import { type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import adminPlugin, { ADMIN_CSP } from '../../src/plugins/admin.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { createTestDatabase, onServer, TEST_DIALECT, type TestDialect } from '../helpers/database.js'
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js'
import { listen } from '../helpers/http.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'

/*
 * The admin console (/admin) in Debian's chromium, against a live service with API keys: what
 * staff do with it (products, stock, orders, webhooks, events), what a read key may not do, and
 * what the page costs and allows itself (size, Content-Security-Policy, requests, console errors).
 * It runs on SQLite and, when it answers, on PostgreSQL too.
 */

// The page's globals, for the callbacks that run in the browser (page.evaluate): this file is
// type-checked with Node's types, not the DOM library.
declare const document: {
  fonts: { ready: Promise<unknown> }
  documentElement: { scrollWidth: number }
  activeElement: { closest: (selector: string) => unknown } | null
  cookie: string
}
declare const window: { innerWidth: number }
declare const history: { pushState: (state: null, unused: string, url: string) => void }
declare const sessionStorage: Record<string, string> & { length: number }
declare const localStorage: { length: number }
declare const navigator: { clipboard: { readText: () => Promise<string> } }
declare function dispatchEvent(event: unknown): boolean
declare class PopStateEvent {
  constructor(type: string)
}

const SCREENSHOTS = 'test-results/admin'
const available = chromiumAvailable('the browser tests of /admin')

const KEYS = { admin: 'console-admin-key-0001', read: 'console-read-key-00002', orders: 'console-shop-key-00003' }
const bearer = (key: string) => ({ authorization: `Bearer ${key}` })
/** The whole first load (page, assets, API calls until the overview shows) must stay under this, compressed. */
const FIRST_LOAD_BUDGET = 150 * 1024

/** Builds the console when dist/admin/ is missing or older than admin/ (as npm start does). */
function buildConsoleIfStale() {
  const newest = (path: string): number => {
    const stat = statSync(path)
    return stat.isDirectory()
      ? Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))))
      : stat.mtimeMs
  }
  const index = 'dist/admin/index.html'
  if (existsSync(index) && statSync(index).mtimeMs >= newest('admin')) return
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', 'admin', '--logLevel', 'warn'], {
    stdio: 'inherit',
  })
}

async function postgresAnswers(): Promise<boolean> {
  try {
    await onServer((client) => client.query('select 1'))
    return true
  } catch {
    return false
  }
}

// This folder runs in the SQLite project only: the file covers PostgreSQL itself when it answers
// (CI requires it, see vitest.config.ts).
const dialects: TestDialect[] = [TEST_DIALECT]
if (available && TEST_DIALECT === 'sqlite' && (await postgresAnswers())) dialects.push('postgres')

let browser: Browser
beforeAll(async () => {
  if (!available) return
  buildConsoleIfStale()
  mkdirSync(SCREENSHOTS, { recursive: true })
  browser = await launchChromium()
}, 120_000)
afterAll(async () => {
  await browser?.close()
})

describe.skipIf(!available).each(dialects)('the admin console on %s', (dialect) => {
  let api: TestApp
  let drop: () => Promise<void>
  let baseUrl: string
  let receiver: Receiver
  /** Every request that was not for the service itself. */
  const outside: string[] = []
  /** Console errors and uncaught exceptions, with the page they happened on. */
  const problems: string[] = []
  const contexts: BrowserContext[] = []
  /** Screenshots (and the 390 px layout check) once: on the first database. */
  const screenshots = dialect === dialects[0]

  const as = (key: string) => ({
    request: (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown) =>
      api.request(method, url, body, bearer(key)),
  })
  const admin = () => as(KEYS.admin)

  beforeAll(async () => {
    const database = await createTestDatabase(dialect)
    drop = database.drop
    api = await startTestApp(
      {
        API_KEYS: `console:admin:${KEYS.admin},viewer:read:${KEYS.read},shop:orders:${KEYS.orders}`,
        WEBHOOK_RETRY_SCHEDULE: '0.2',
        WEBHOOK_TIMEOUT_MS: '2000',
      },
      { databaseUrl: database.url },
    )
    baseUrl = (await listen(api.app)).baseUrl
    // The first two deliveries fail (so one delivery ends failed), every later one succeeds.
    receiver = await startReceiver({ script: (_request, index) => (index < 2 ? { status: 500 } : { status: 204 }) })
  }, 60_000)

  afterAll(async () => {
    for (const context of contexts) await context.close()
    await api?.close()
    await drop?.()
    await receiver?.close()
  })

  /** A fresh browser tab (its own sessionStorage) that refuses and records any request off the service. */
  async function openTab(origin = baseUrl): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    contexts.push(context)
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin })
    await context.route('**/*', (route) => {
      const url = route.request().url()
      if (url.startsWith(origin) || url.startsWith('data:')) return route.continue()
      outside.push(url)
      return route.abort()
    })
    const page = await context.newPage()
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`${page.url()}: ${message.text()}`)
    })
    page.on('pageerror', (error) => problems.push(`${page.url()}: uncaught ${error.message}`))
    return page
  }

  async function signIn(page: Page, key: string) {
    await page.goto(`${baseUrl}/admin`)
    await page.getByLabel('API key').fill(key)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor()
  }

  /** Follows a link of the console (no reload) and waits for the page's heading. */
  async function go(page: Page, path: string, heading: string | RegExp) {
    await page.evaluate((to) => {
      history.pushState(null, '', to)
      dispatchEvent(new PopStateEvent('popstate'))
    }, `/admin${path}`)
    await page.getByRole('heading', { level: 1, name: heading }).waitFor()
  }

  const status = (page: Page, text: string | RegExp) => page.getByRole('status').filter({ hasText: text }).waitFor()

  /** The page at 1280 and 390 px wide: saved, and at 390 px nothing wider than the screen. */
  async function shoot(page: Page, name: string) {
    if (!screenshots) return
    await page.evaluate(() => document.fonts.ready)
    // The status line of the last action would cover part of the page.
    const dismiss = page.getByRole('status').getByRole('button', { name: 'Dismiss' })
    if (await dismiss.count()) await dismiss.click()
    await page.screenshot({ path: `${SCREENSHOTS}/${name}-1280.png`, fullPage: true })
    await page.setViewportSize({ width: 390, height: 844 })
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow, `${name} at 390 px is wider than the screen`).toBeLessThanOrEqual(0)
    await page.screenshot({ path: `${SCREENSHOTS}/${name}-390.png`, fullPage: true })
    await page.setViewportSize({ width: 1280, height: 900 })
  }

  let page: Page
  let productId: number

  it('when /admin is fetched, then it is the page under the strict policy, and its assets are compressed and cached for a year', async () => {
    for (const path of ['/admin', '/admin/', '/admin/orders/12']) {
      const response = await fetch(`${baseUrl}${path}`, { headers: { 'accept-encoding': 'br, gzip' } })
      expect(response.status, path).toBe(200)
      expect(response.headers.get('content-security-policy'), path).toBe(ADMIN_CSP)
      expect(response.headers.get('content-type'), path).toContain('text/html')
      expect(await response.text(), path).toContain('<div id="app">')
    }
    expect(ADMIN_CSP).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    )
    const html = await (await fetch(`${baseUrl}/admin`)).text()
    const script = /<script[^>]+src="([^"]+)"/.exec(html)?.[1]
    expect(script).toMatch(/^\/admin\/assets\/.+\.js$/)
    // Node's fetch decodes the body; the raw answer says how it travelled.
    const raw = await api.app.inject({ url: script!, headers: { 'accept-encoding': 'gzip, deflate, br' } })
    expect(raw.headers['content-encoding']).toBe('br')
    expect(raw.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(raw.headers['content-security-policy']).toBe(ADMIN_CSP)
    const gzip = await api.app.inject({ url: script!, headers: { 'accept-encoding': 'gzip' } })
    expect(gzip.headers['content-encoding']).toBe('gzip')
    const plain = await api.app.inject({ url: script! })
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(plain.rawPayload.length).toBeGreaterThan(raw.rawPayload.length)
    // A file that is not there is a 404, not the page.
    expect((await fetch(`${baseUrl}/admin/assets/gone-1234.js`)).status).toBe(404)
    // The API itself still needs a key.
    expect((await fetch(`${baseUrl}/products`)).status).toBe(401)
  })

  it('when a key is asked for and a wrong one is given, then it says so; with the admin key, the overview loads within the size budget', async () => {
    page = await openTab()
    const measured: Promise<number>[] = []
    page.on('response', (response) => {
      measured.push(
        response
          .request()
          .sizes()
          .then(({ responseBodySize, responseHeadersSize }) => responseBodySize + responseHeadersSize),
      )
    })
    await page.goto(`${baseUrl}/admin`)
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor()
    await shoot(page, 'sign-in')
    await page.getByLabel('API key').fill('not-a-key')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByText('This key was not accepted').waitFor()
    await page.getByLabel('API key').fill(KEYS.admin)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor()
    await page.getByTestId('failed-deliveries').waitFor()
    await page.getByTestId('orders-today').waitFor()
    await page.waitForLoadState('networkidle')
    const sizes = await Promise.all(measured)
    const total = sizes.reduce((sum, bytes) => sum + bytes, 0)
    console.log(
      `admin console first load (${dialect}): ${sizes.length} responses, ${(total / 1024).toFixed(1)} KB compressed`,
    )
    expect(total).toBeLessThan(FIRST_LOAD_BUDGET)
    await page.getByText(/Key console: admin/).waitFor()
    // The key lives in this tab's sessionStorage only.
    const stored = await page.evaluate(() => ({
      session: Object.values(sessionStorage),
      local: localStorage.length,
      cookie: document.cookie,
    }))
    expect(stored).toEqual({ session: [KEYS.admin], local: 0, cookie: '' })
  })

  it('when a product is created with a bad price, then the message shows next to the price; once fixed, the product is created', async () => {
    await page.getByRole('link', { name: 'Products', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: 'Products' }).waitFor()
    await page.getByText('No products yet').waitFor()
    await page.getByRole('link', { name: 'New product' }).click()
    await page.getByLabel('SKU', { exact: true }).fill('MUG-ADMIN-1')
    await page.getByLabel('Name', { exact: true }).fill('Console mug')
    await page.getByLabel('Price', { exact: true }).fill('12.345')
    await page.getByLabel('Stock', { exact: true }).fill('20')
    await page.getByLabel('Low-stock threshold').fill('5')
    await page.getByRole('button', { name: 'Create product' }).click()
    const price = page.locator('.field', { has: page.getByLabel('Price', { exact: true }) })
    await price.locator('.field-error').waitFor()
    expect(await price.locator('.field-error').textContent()).toContain('at most 2 decimal places')
    expect(await page.getByLabel('Price', { exact: true }).getAttribute('aria-invalid')).toBe('true')
    await shoot(page, 'product-new-invalid')
    await page.getByLabel('Price', { exact: true }).fill('12.50')
    await page.getByRole('button', { name: 'Create product' }).click()
    await status(page, 'Created product MUG-ADMIN-1')
    await page.getByRole('heading', { level: 1, name: 'Console mug' }).waitFor()
    const products = (await admin().request('GET', '/products?q=mug-admin')).body as { id: number; price: number }[]
    expect(products).toHaveLength(1)
    expect(products[0]!.price).toBe(12.5)
    productId = products[0]!.id
  })

  it('when stock is adjusted with a reason and a reference, then the movement shows in the history', async () => {
    await page.getByLabel('Change (+ received, − removed)').fill('5')
    await page.getByLabel('Reason').selectOption('received')
    await page.getByLabel('Reference (optional)').fill('PO-77')
    await page.getByRole('button', { name: 'Adjust stock' }).click()
    await status(page, 'now 25')
    const row = page.getByTestId('movements').locator('tr', { hasText: 'PO-77' })
    await row.waitFor()
    expect(await row.innerText()).toMatch(/\+5\s+25\s+received/)
    expect(await page.getByTestId('stock').innerText()).toMatch(/^25/)
    await shoot(page, 'product')
  })

  let shipped: { id: number; total: number }
  let canceled: { id: number }
  it('when an order of several lines is placed through the API, then it appears with its lines and total, and can be paid and shipped', async () => {
    const second = (
      await admin().request('POST', '/products', { sku: 'TEA-1', name: 'Green tea', price: 4.2, stock: 10 })
    ).body as { id: number }
    shipped = (
      await as(KEYS.orders).request('POST', '/orders', {
        items: [
          { product_id: productId, quantity: 2 },
          { product_id: second.id, quantity: 3 },
        ],
      })
    ).body
    expect(shipped.total).toBe(37.6)
    canceled = (
      await as(KEYS.orders).request('POST', '/orders', {
        items: [{ product_id: productId, quantity: 4 }],
        expires_in_seconds: 3600,
      })
    ).body
    await page.getByRole('link', { name: 'Orders', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: 'Orders' }).waitFor()
    const card = page.locator(`article[data-order="${shipped.id}"]`)
    await card.waitFor()
    await card.getByText('Console mug (MUG-ADMIN-1)').waitFor()
    await card.getByText('Green tea (TEA-1)').waitFor()
    expect(await card.locator('tbody tr').count()).toBe(2)
    expect(await card.getByTestId('total').innerText()).toContain('37.60')
    await page
      .locator(`article[data-order="${canceled.id}"]`)
      .getByText('Unpaid hold: canceled automatically')
      .waitFor()
    await shoot(page, 'orders')
    await card.getByRole('button', { name: 'Mark as paid' }).click()
    await status(page, `Order #${shipped.id} marked as paid`)
    await card.getByRole('button', { name: 'Ship' }).click()
    await status(page, `Order #${shipped.id} shipped`)
    expect(await card.getByTestId('status').innerText()).toBe('SHIPPED')
    expect((await admin().request('GET', `/orders/${shipped.id}`)).body.status).toBe('SHIPPED')
  })

  it('when an order is canceled from the keyboard, then the dialog holds the focus, Escape keeps the order, and confirming returns its stock', async () => {
    const card = page.locator(`article[data-order="${canceled.id}"]`)
    await card.getByRole('button', { name: 'Cancel…' }).focus()
    await page.keyboard.press('Enter')
    const dialog = page.getByRole('dialog', { name: `Cancel order #${canceled.id}?` })
    await dialog.waitFor()
    expect(await page.evaluate(() => document.activeElement?.closest('dialog') !== null)).toBe(true)
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
    expect((await admin().request('GET', `/orders/${canceled.id}`)).body.status).toBe('PENDING')
    await card.getByRole('button', { name: 'Cancel…' }).click()
    await dialog.getByRole('button', { name: 'Cancel order' }).click()
    await status(page, `Order #${canceled.id} canceled`)
    await card.getByText('Canceled: requested').waitFor()
    // Filtering by today's date keeps both orders; yesterday's finds none.
    const today = await page.evaluate(() =>
      new Date(Date.now() - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 10),
    )
    await page.getByLabel('Status').selectOption('CANCELED')
    await page.getByLabel('Placed from').fill(today)
    await page.getByLabel('to', { exact: true }).fill(today)
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.locator(`article[data-order="${shipped.id}"]`).waitFor({ state: 'detached' })
    await page.locator(`article[data-order="${canceled.id}"]`).waitFor()
    // The units are back: the product's history shows the cancelation, linked to the order.
    await card.getByRole('link', { name: 'Console mug (MUG-ADMIN-1)' }).click()
    await page.getByRole('heading', { level: 1, name: 'Console mug' }).waitFor()
    const row = page.getByTestId('movements').locator('tr', { hasText: 'order_canceled' })
    await row.waitFor()
    expect(await row.innerText()).toMatch(/\+4\s+23\s+order_canceled\s+#/)
    expect(await page.getByTestId('stock').innerText()).toMatch(/^23/)
  })

  let endpointId: number
  it('when a webhook endpoint is created, then its secret is shown once with a copy button, and a failed delivery can be redelivered', async () => {
    await page.getByRole('link', { name: 'Webhooks', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: 'Webhook endpoints' }).waitFor()
    await page.getByText('No webhook endpoints yet').waitFor()
    await page.getByLabel('URL', { exact: true }).fill(receiver.url)
    await page.getByLabel('Description (optional)').fill('Console test receiver')
    await page.getByLabel('All events').uncheck()
    await page.getByLabel('product.created').check()
    await page.getByRole('button', { name: 'Add endpoint' }).click()
    const secret = await page.getByTestId('secret').innerText()
    expect(secret).toMatch(/^whsec_/)
    await page.getByText('it is shown only this once').waitFor()
    await shoot(page, 'webhooks-secret')
    await page.getByRole('button', { name: 'Copy secret' }).click()
    await status(page, 'Secret copied')
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret)
    await page.getByRole('button', { name: 'I have stored it' }).click()
    await page.getByTestId('secret').waitFor({ state: 'detached' })
    const endpoints = (await admin().request('GET', '/webhook-endpoints')).body as { id: number; events: string[] }[]
    expect(endpoints.map((e) => e.events)).toEqual([['product.created']])
    endpointId = endpoints[0]!.id

    // An event it subscribes to: the receiver fails both tries, so the delivery ends failed.
    await admin().request('POST', '/products', { sku: 'LAMP-1', name: 'Desk lamp', price: 30, stock: 2 })
    await expect
      .poll(async () => (await admin().request('GET', '/webhook-deliveries?status=failed')).body.length, {
        timeout: 15_000,
      })
      .toBe(1)
    await page.getByRole('link', { name: 'Overview', exact: true }).click()
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor()
    await page.getByTestId('failed-deliveries').filter({ hasText: '1' }).waitFor()
    await shoot(page, 'overview')
    await page.getByRole('link', { name: 'See the failed deliveries and redeliver them' }).click()
    await page.getByRole('heading', { level: 1, name: 'Webhook endpoints' }).waitFor()
    const delivery = page.locator('#failed article.delivery')
    await delivery.getByText('product.created').waitFor()
    await delivery.getByRole('button', { name: 'Show attempts' }).click()
    await delivery.locator('table.attempts tbody tr').nth(1).waitFor()
    await delivery.getByRole('button', { name: 'Redeliver' }).click()
    await status(page, 'is being sent again now')
    await receiver.waitFor((requests) => requests.some((r) => r.answeredStatus === 204), 10_000)
    await expect
      .poll(async () => (await admin().request('GET', '/webhook-deliveries?status=succeeded')).body.length, {
        timeout: 10_000,
      })
      .toBe(1)
    // Its attempts, now three, the last answered 204.
    await page.goto(`${baseUrl}/admin/webhooks/${endpointId}`)
    await page.getByRole('heading', { level: 1, name: `Endpoint #${endpointId}` }).waitFor()
    const item = page.locator('article.delivery').first()
    await item.getByText('succeeded').waitFor()
    await item.getByRole('button', { name: 'Show attempts' }).click()
    await item.locator('table.attempts tbody tr').nth(2).waitFor()
    expect(await item.locator('table.attempts tbody tr').nth(2).innerText()).toContain('204')
    // The secret is never shown again.
    expect(await page.getByTestId('secret').count()).toBe(0)
    await shoot(page, 'webhook-endpoint')
    await page.getByRole('button', { name: 'Disable' }).click()
    await status(page, 'disabled')
    await page.getByTestId('endpoint-state').filter({ hasText: 'disabled' }).waitFor()
    await page.getByRole('button', { name: 'Enable' }).click()
    await page
      .getByTestId('endpoint-state')
      .filter({ hasText: /^enabled$/ })
      .waitFor()
  })

  it('when the events are filtered by type, then only those show', async () => {
    await go(page, '/events', 'Events')
    await page.locator('li.event').first().waitFor()
    await page.getByLabel('Type').selectOption('order.canceled')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.waitForURL(/type=order.canceled/)
    await expect.poll(() => page.locator('li.event strong').allInnerTexts()).toEqual(['order.canceled'])
    await shoot(page, 'events')
    // Every page of the console once more, for the record, and the order page.
    await go(page, `/orders/${shipped.id}`, `Order #${shipped.id}`)
    await shoot(page, 'order')
    await go(page, '/products', 'Products')
    await page.getByRole('link', { name: 'MUG-ADMIN-1' }).waitFor()
    await shoot(page, 'products')
  })

  it('when the database is down, then the page shows the 503 detail and a retry that works once it is back', async () => {
    const orderList = (url: URL) => url.pathname === '/orders'
    await page.route(orderList, (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ detail: 'Database unavailable, please retry' }),
      }),
    )
    await go(page, '/orders', 'Orders')
    const alert = page.getByRole('alert').filter({ hasText: 'Database unavailable' })
    await alert.waitFor()
    expect(await alert.innerText()).toContain('retry')
    await shoot(page, 'orders-database-down')
    await page.unroute(orderList)
    await alert.getByRole('button', { name: 'Retry' }).click()
    await page.locator(`article[data-order="${shipped.id}"]`).waitFor()
  })

  it('when there are more orders than a page holds, then "Next page" follows the Link header (after_id)', async () => {
    const bulk = (await admin().request('POST', '/products', { sku: 'PEN-1', name: 'Pen', price: 1.5, stock: 100 }))
      .body as { id: number }
    for (let i = 0; i < 24; i++) await as(KEYS.orders).request('POST', '/orders', { product_id: bulk.id, quantity: 1 })
    await go(page, '/products', 'Products')
    await go(page, '/orders', 'Orders')
    await page.getByText('26 orders.').waitFor()
    expect(await page.locator('article.order').count()).toBe(25)
    const next = page.waitForRequest((request) => /\/orders\?.*after_id=25\b/.test(request.url()))
    await page.getByRole('button', { name: 'Next page' }).click()
    await next
    await page.locator('article[data-order="26"]').waitFor()
    expect(await page.locator('article.order').count()).toBe(1)
    await page.getByRole('button', { name: 'First page' }).click()
    await page.locator('article[data-order="1"]').waitFor()
  })

  it('when a read key signs in, then no page offers an edit, and the API refuses one anyway', async () => {
    const reader = await openTab()
    await signIn(reader, KEYS.read)
    await reader.getByText(/Key viewer: read/).waitFor()
    await go(reader, '/products', 'Products')
    await reader.getByRole('link', { name: 'MUG-ADMIN-1' }).click()
    await reader.getByRole('heading', { level: 1, name: 'Console mug' }).waitFor()
    await reader.getByTestId('movements').waitFor()
    await go(reader, '/orders', 'Orders')
    await reader.locator(`article[data-order="${shipped.id}"]`).waitFor()
    await go(reader, `/webhooks/${endpointId}`, `Endpoint #${endpointId}`)
    await reader.locator('article.delivery').first().waitFor()
    await go(reader, '/webhooks', 'Webhook endpoints')
    await reader.getByRole('link', { name: receiver.url }).waitFor()
    for (const path of ['/products', `/products/${productId}`, '/orders', `/webhooks/${endpointId}`, '/webhooks']) {
      await go(reader, path, /./)
      await reader.waitForLoadState('networkidle')
      const offered = await reader
        .getByRole('button', {
          name: /New product|Save|Adjust stock|Delete|Mark as paid|Ship|Cancel|Redeliver|Disable|Rotate|Add endpoint/,
        })
        .count()
      expect(offered, path).toBe(0)
      expect(await reader.getByRole('link', { name: 'New product' }).count(), path).toBe(0)
    }
    const refused = await reader.evaluate(async (id) => {
      const key = Object.values(sessionStorage)[0]
      const response = await fetch(`/products/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Changed by a reader' }),
      })
      return { status: response.status, body: await response.json() }
    }, productId)
    expect(refused).toEqual({ status: 403, body: { detail: 'Insufficient scope' } })
    expect((await admin().request('GET', `/products/${productId}`)).body.name).toBe('Console mug')
  })

  it('when an orders key signs in, then it may ship and cancel orders but not edit products', async () => {
    const shop = await openTab()
    await signIn(shop, KEYS.orders)
    const order = (await as(KEYS.orders).request('POST', '/orders', { product_id: productId, quantity: 1 })).body
    await go(shop, `/orders?product_id=${productId}`, 'Orders')
    const card = shop.locator(`article[data-order="${order.id}"]`)
    await card.getByRole('button', { name: 'Cancel…' }).waitFor()
    await card.getByRole('button', { name: 'Mark as paid' }).click()
    await status(shop, `Order #${order.id} marked as paid`)
    await go(shop, `/products/${productId}`, 'Console mug')
    await shop.getByTestId('movements').waitFor()
    expect(await shop.getByRole('button', { name: /Save|Adjust stock|Delete/ }).count()).toBe(0)
    await shop.getByRole('button', { name: 'Sign out' }).click()
    await shop.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor()
    expect(await shop.evaluate(() => sessionStorage.length)).toBe(0)
  })

  it('when the service runs without API keys, then the console opens without asking, with every action', async () => {
    const open = await startTestApp({}, { databaseUrl: api.databaseUrl })
    try {
      const origin = (await listen(open.app)).baseUrl
      const tab = await openTab(origin)
      await tab.goto(`${origin}/admin/products/${productId}`)
      await tab.getByRole('heading', { level: 1, name: 'Console mug' }).waitFor()
      await tab.getByText('Open access: the service runs without API keys').waitFor()
      await tab.getByRole('button', { name: 'Adjust stock' }).waitFor()
      expect(await tab.getByRole('button', { name: 'Sign out' }).count()).toBe(0)
    } finally {
      await open.close()
    }
  })

  it('when the pages have been used, then nothing was requested off the service and no script failed', () => {
    expect(outside, outside.join(', ')).toEqual([])
    // Chromium logs every 4xx/5xx answer to fetch: the expected ones (a wrong key, the 422 shown
    // next to its field, the reader's refused edit, the simulated 503) are the only errors allowed.
    const unexpected = problems.filter(
      (problem) => !/Failed to load resource: the server responded with a status of (401|403|422|503)\b/.test(problem),
    )
    expect(unexpected).toEqual([])
  })
})

describe('the admin console without a build', () => {
  it('when dist/admin/ is missing, then /admin answers 503 with what to run', async () => {
    const app = Fastify()
    await app.register(adminPlugin, { dir: '/nonexistent/admin-build/' })
    for (const url of ['/admin', '/admin/', '/admin/orders']) {
      const response = await app.inject({ url })
      expect(response.statusCode, url).toBe(503)
      expect(response.json(), url).toEqual({ detail: 'The admin console is not built: run npm run build' })
    }
    await app.close()
  })
})
