import { mkdirSync } from 'node:fs'
import { type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js'
import { listen } from '../helpers/http.js'

const SCREENSHOTS = 'test-results/screenshots'
const available = chromiumAvailable('the browser tests of /docs and /redoc')

let api: TestApp
let baseUrl: string
let browser: Browser
let page: Page
/** Every URL the pages asked for that is not the service itself. */
const outside: string[] = []
const consoleErrors: string[] = []

beforeAll(async () => {
  if (!available) return
  api = await startTestApp()
  baseUrl = (await listen(api.app)).baseUrl
  browser = await launchChromium()
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  // Anything not served by the service is recorded and refused: the docs must work offline.
  await context.route('**/*', (route) => {
    const url = route.request().url()
    if (url.startsWith(baseUrl) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue()
    outside.push(url)
    return route.abort()
  })
  page = await context.newPage()
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text())
  })
  mkdirSync(SCREENSHOTS, { recursive: true })
})

afterAll(async () => {
  await browser?.close()
  await api?.close()
})

async function documentedOperations(): Promise<{ method: string; path: string; summary: string }[]> {
  const document = (await api.request('GET', '/openapi.json')).body as {
    paths: Record<string, Record<string, { summary: string }>>
  }
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({ method, path, summary: operation.summary })),
  )
}

describe.skipIf(!available)('docs in a browser', () => {
  it('when /docs opens, then Swagger UI lists every operation of the OpenAPI document', async () => {
    await page.goto(`${baseUrl}/docs`)
    await page.locator('.opblock').first().waitFor()
    const listed = await page.$$eval('.opblock', (blocks) =>
      blocks.map((block) => ({
        method: block.querySelector('.opblock-summary-method')?.textContent?.toLowerCase() ?? '',
        path: block.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '',
      })),
    )
    const expected = (await documentedOperations()).map(({ method, path }) => ({ method, path }))
    expect(listed).toHaveLength(expected.length)
    expect(listed).toEqual(expect.arrayContaining(expected))
    await page.screenshot({ path: `${SCREENSHOTS}/docs.png`, fullPage: true })
  })

  it('when "Try it out" then "Execute" runs POST /products, then the service answers 201 in the page', async () => {
    const operation = page.locator('.opblock-post').filter({
      has: page.locator('.opblock-summary-path[data-path="/products"]'),
    })
    await operation.locator('.opblock-summary').click()
    await operation.locator('button.try-out__btn').click()
    const sku = `BROWSER-${Date.now()}`
    await operation
      .locator('textarea.body-param__text')
      .fill(JSON.stringify({ sku, name: 'Tried out in Swagger UI', price: 4.2, stock: 3 }))
    await operation.locator('button.execute').click()
    const status = operation.locator('.live-responses-table tbody .response-col_status').first()
    await expect.poll(async () => (await status.textContent())?.trim(), { timeout: 10_000 }).toBe('201')
    await page.screenshot({ path: `${SCREENSHOTS}/docs-try-it-out.png`, fullPage: true })
    // The product really exists.
    const products = (await api.request('GET', '/products')).body as { sku: string }[]
    expect(products.map((p) => p.sku)).toContain(sku)
  })

  it('when /redoc opens, then ReDoc renders the title and every operation', async () => {
    await page.goto(`${baseUrl}/redoc`)
    await page.locator('h1', { hasText: 'Orders & Inventory Microservice' }).first().waitFor()
    const text = await page.locator('body').innerText()
    for (const { summary } of await documentedOperations()) expect(text).toContain(summary)
    await page.screenshot({ path: `${SCREENSHOTS}/redoc.png` })
  })

  it('when the pages have loaded, then no request left the service and no script failed', () => {
    expect(outside, outside.join(', ')).toEqual([])
    // The one expected error: the page's own policy refusing ReDoc's CDN logo (see openapi.ts).
    expect(consoleErrors.filter((error) => !error.includes('https://cdn.redoc.ly/'))).toEqual([])
  })
})
