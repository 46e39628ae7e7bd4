import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { sql } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { freshDatabaseUrl, startTestApp } from './helpers/app.js'
import { createOrder, createProduct } from './helpers/builders.js'

const SERVER = resolve('src/server.ts')
// tsx is resolved here because the child runs in a temp folder without node_modules.
const TSX = pathToFileURL(resolve('node_modules/tsx/dist/loader.mjs')).href
const cleanups: (() => void)[] = []
afterAll(() => cleanups.forEach((cleanup) => cleanup()))

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => done(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** Runs the real server entry point as its own process, as `npm start` would. */
function runServer(cwd: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = ''
  const child = spawn(process.execPath, ['--import', TSX, SERVER], {
    cwd,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (chunk) => (output += chunk))
  child.stderr?.on('data', (chunk) => (output += chunk))
  return { child, output: () => output }
}

async function waitForHealth(baseUrl: string): Promise<void> {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${baseUrl}/health`)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('server did not become healthy')
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => child.once('exit', (code) => done(code)))
}

describe('durability', () => {
  it('when the database opens, then it is in WAL mode with full sync, foreign keys and a busy timeout', async () => {
    const api = await startTestApp()
    const pragma = async (name: string) => {
      const { rows } = await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(api.app.db)
      return Object.values(rows[0] ?? {})[0]
    }
    expect(await pragma('journal_mode')).toBe('wal')
    expect(await pragma('synchronous')).toBe(2) // FULL: the WAL is synced at every commit
    expect(await pragma('foreign_keys')).toBe(1)
    expect(await pragma('busy_timeout')).toBeGreaterThanOrEqual(1000)
    await api.close()
  })

  it('when the app restarts on the same file, then products and orders are still there', async () => {
    const { databaseUrl, dir } = freshDatabaseUrl()
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
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
    // No DATABASE_URL: the default ./data/store.db is created in the working directory.
    const cwd = mkdtempSync(join(tmpdir(), 'orders-inventory-kill-'))
    cleanups.push(() => rmSync(cwd, { recursive: true, force: true }))
    const port = await freePort()
    const baseUrl = `http://127.0.0.1:${port}`
    const { child } = runServer(cwd, { PORT: String(port) })
    const exited = exitOf(child)
    await waitForHealth(baseUrl)

    const post = (path: string, body: unknown) =>
      fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const product = (await (
      await post('/products', { sku: 'KILL-1', name: 'Durable', price: 3.5, stock: 10 })
    ).json()) as { id: number }
    const response = await post('/orders', { product_id: product.id, quantity: 3 })
    expect(response.status).toBe(201)
    const order = (await response.json()) as { id: number }
    child.kill('SIGKILL')
    await exited

    expect(existsSync(join(cwd, 'data', 'store.db'))).toBe(true)
    const reopened = await startTestApp({}, { databaseUrl: `sqlite:${join(cwd, 'data', 'store.db')}` })
    expect((await reopened.request('GET', `/orders/${order.id}`)).body).toMatchObject({
      status: 'PENDING',
      quantity: 3,
    })
    expect((await reopened.request('GET', `/products/${product.id}`)).body.stock).toBe(7)
    await reopened.close()
  })
})

describe('two processes on one SQLite file', () => {
  it('when 200 orders split across two server processes race for stock 50, then exactly 50 succeed', async () => {
    const { databaseUrl, dir } = freshDatabaseUrl()
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const ports = [await freePort(), await freePort()]
    const servers = ports.map((port) => runServer(dir, { PORT: String(port), DATABASE_URL: databaseUrl }))
    const exits = servers.map(({ child }) => exitOf(child))
    try {
      const urls = ports.map((port) => `http://127.0.0.1:${port}`)
      await Promise.all(urls.map(waitForHealth))
      const send = (url: string, path: string, body: unknown) =>
        fetch(`${url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      const product = (await (
        await send(urls[0]!, '/products', { sku: 'TWO-PROC', name: 'n', price: 1, stock: 50 })
      ).json()) as {
        id: number
      }
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, i) => send(urls[i % 2]!, '/orders', { product_id: product.id, quantity: 1 })),
      )
      const statuses = responses.map((r) => r.status)
      expect(statuses.filter((s) => s === 201)).toHaveLength(50)
      expect(statuses.filter((s) => s === 409)).toHaveLength(150)
      const after = (await (await fetch(`${urls[1]}/products/${product.id}`)).json()) as { stock: number }
      expect(after.stock).toBe(0)
    } finally {
      servers.forEach(({ child }) => child.kill('SIGTERM'))
      await Promise.all(exits)
    }
  })
})

describe('migrations', () => {
  it('when three processes migrate one empty file at once, then all succeed and the schema is applied once', async () => {
    const { databaseUrl, dir } = freshDatabaseUrl()
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const runs = Array.from({ length: 3 }, () => {
      let output = ''
      const child = spawn(process.execPath, ['--import', TSX, resolve('scripts/migrate.ts')], {
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      child.stdout.on('data', (chunk) => (output += chunk))
      child.stderr.on('data', (chunk) => (output += chunk))
      return exitOf(child).then((code) => ({ code, output }))
    })
    const results = await Promise.all(runs)
    expect(results.map((r) => r.code)).toEqual([0, 0, 0])
    const applied = results.filter((r) => r.output.includes('0001_initial Success'))
    expect(applied).toHaveLength(1)
  })
})

describe('start-up configuration', () => {
  it('when NODE_ENV=production has no WEBHOOK_SECRET, then the service refuses to start', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'orders-inventory-prod-'))
    cleanups.push(() => rmSync(cwd, { recursive: true, force: true }))
    const { child, output } = runServer(cwd, { NODE_ENV: 'production', PORT: String(await freePort()) })
    expect(await exitOf(child)).not.toBe(0)
    expect(output()).toContain('WEBHOOK_SECRET is required')
  })

  it('when a variable has a bad value, then start-up fails naming it', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'orders-inventory-conf-'))
    cleanups.push(() => rmSync(cwd, { recursive: true, force: true }))
    const { child, output } = runServer(cwd, { PORT: 'eighty', BODY_LIMIT: '-1' })
    expect(await exitOf(child)).not.toBe(0)
    expect(output()).toContain('PORT')
    expect(output()).toContain('BODY_LIMIT')
  })
})
