import SQLite from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { sqlitePathFromUrl } from '../../src/db/connect.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { buildProduct } from '../helpers/builders.js'

/**
 * SQLite's write lock held by another process: a POST with an Idempotency-Key that cannot reach the
 * database gets 503 and leaves no record, so the client's retry with the same key runs the work.
 * (test/idempotency.test.ts covers a 503 raised after the key was reserved, on both databases.)
 */
describe('Idempotency-Key while another process holds the write lock', () => {
  let api: TestApp
  let holder: SQLite.Database | undefined
  afterEach(async () => {
    if (holder?.inTransaction) holder.exec('rollback')
    holder?.close()
    holder = undefined
    await api.close()
  })

  it('when the write lock is held past DATABASE_CONNECT_TIMEOUT_MS, then 503 with no record, and the same key works once the lock is free', async () => {
    api = await startTestApp({ DATABASE_CONNECT_TIMEOUT_MS: '300' })
    const payload = buildProduct()
    const key = 'locked-out-1'
    holder = new SQLite(sqlitePathFromUrl(api.databaseUrl))
    holder.exec('begin immediate')

    const refused = await api.request('POST', '/products', payload, { 'Idempotency-Key': key })
    expect(refused.status).toBe(503)
    expect(refused.headers['retry-after']).toBeDefined()

    holder.exec('commit')
    const records = await api.app.db.selectFrom('idempotency_keys').selectAll().where('key', '=', key).execute()
    expect(records).toEqual([])
    const retried = await api.request('POST', '/products', payload, { 'Idempotency-Key': key })
    expect(retried.status).toBe(201)
    expect(retried.headers['idempotent-replayed']).toBeUndefined()
    const again = await api.request('POST', '/products', payload, { 'Idempotency-Key': key })
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect((await api.request('GET', '/products')).body).toHaveLength(1)
  })
})
