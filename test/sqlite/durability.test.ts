import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { startTestApp } from '../helpers/app.js'
import { freePort, runScript, waitFor } from '../helpers/processes.js'

describe('SQLite file', () => {
  it('when the database opens, then it is in WAL mode with full sync, foreign keys, a busy timeout and savepoint journals in memory', async () => {
    const api = await startTestApp()
    const pragma = async (name: string) => {
      const { rows } = await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(api.app.db)
      return Object.values(rows[0] ?? {})[0]
    }
    expect(await pragma('journal_mode')).toBe('wal')
    expect(await pragma('synchronous')).toBe(2) // FULL: the WAL is synced at every commit
    expect(await pragma('foreign_keys')).toBe(1)
    expect(await pragma('busy_timeout')).toBe(5000) // the README's "5 s busy timeout"
    expect(await pragma('temp_store')).toBe(2) // MEMORY: each write's savepoint journal
    await api.close()
  })

  it('when DATABASE_URL is not set, then ./data/store.db is created and keeps what was written', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'orders-inventory-default-'))
    try {
      const port = await freePort()
      const server = runScript({ PORT: String(port) }, { cwd })
      const baseUrl = `http://127.0.0.1:${port}`
      await waitFor(baseUrl, '/ready')
      const created = await fetch(`${baseUrl}/products`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sku: 'DEFAULT-1', name: 'Default file', price: 1, stock: 1 }),
      })
      expect(created.status).toBe(201)
      server.child.kill('SIGTERM')
      await server.exited

      expect(existsSync(join(cwd, 'data', 'store.db'))).toBe(true)
      const reopened = await startTestApp({}, { databaseUrl: `sqlite:${join(cwd, 'data', 'store.db')}` })
      expect((await reopened.request('GET', '/products')).body).toMatchObject([{ sku: 'DEFAULT-1' }])
      await reopened.close()
    } finally {
      rmSync(cwd, { recursive: true, force: true })
    }
  })
})
