import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { sql } from 'kysely'
import type pg from 'pg'
import type { DatabaseConfig } from '../config.js'
import { createDb, sqliteCommitStats } from '../db/connect.js'
import { isStorageFailure, isStorageFull } from '../db/errors.js'
import type { CommitStats } from '../db/group-commit.js'
import { migrateDatabase } from '../db/migrate.js'
import type { Db } from '../db/types.js'

export interface PoolStats {
  total: number
  idle: number
  waiting: number
}

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
    /** True when the database answers a trivial query and is not known to refuse writes (storage). */
    isDatabaseReady(): Promise<boolean>
    /** Why writes are refused now (storage full or failing, see STORAGE_FAILURE_WINDOW_MS), if they are. */
    databaseStorageProblem(): string | undefined
    /** PostgreSQL's connection pool right now; undefined on SQLite (one connection, no pool). */
    databasePoolStats(): PoolStats | undefined
    /** SQLite's commits so far and the writes they carried (group commit); undefined on PostgreSQL. */
    databaseCommitStats(): CommitStats | undefined
  }
}

/**
 * After a write failed because the database's storage is full (or failing: isStorageFailure), the
 * service is not ready until a write succeeds again, for this long at most. Not ready, a load
 * balancer sends it no more writes; so without the bound, a disk freed meanwhile would never be
 * noticed. Each new failure starts the window again.
 */
const STORAGE_FAILURE_WINDOW_MS = 30_000
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export interface DbPluginOptions {
  database: DatabaseConfig
}

async function dbPlugin(app: FastifyInstance, { database }: DbPluginOptions) {
  let pool: pg.Pool | undefined
  const db = createDb(database, {
    onIdleConnectionError: (error) => app.log.warn({ err: error }, 'an idle database connection was lost'),
    onPool: (created) => (pool = created),
  })
  app.decorate('databasePoolStats', () =>
    pool ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } : undefined,
  )
  app.decorate('databaseCommitStats', () => sqliteCommitStats(db))
  try {
    const { results = [] } = await migrateDatabase(database, db)
    if (results.length > 0) app.log.info({ migrations: results.map((r) => r.migrationName) }, 'database migrated')
  } catch (error) {
    await db.destroy()
    throw error
  }
  app.decorate('db', db)

  // Watched at the HTTP layer, the same on SQLite and PostgreSQL: a request failed because of the
  // storage; a write request answered 2xx (so its writes are committed).
  let storageFailure: { at: number; full: boolean } | undefined
  app.addHook('onError', async (_request, _reply, error) => {
    if (isStorageFailure(error)) storageFailure = { at: Date.now(), full: isStorageFull(error) }
  })
  app.addHook('onResponse', async (request, reply) => {
    const succeeded = reply.statusCode >= 200 && reply.statusCode < 300
    if (storageFailure && succeeded && WRITE_METHODS.has(request.method)) storageFailure = undefined
  })
  app.decorate('databaseStorageProblem', () => {
    if (storageFailure && Date.now() - storageFailure.at >= STORAGE_FAILURE_WINDOW_MS) storageFailure = undefined
    if (!storageFailure) return undefined
    return storageFailure.full
      ? 'Database storage is full: writes are refused'
      : 'Database storage is failing (I/O errors): writes are refused'
  })

  // Bounded, so that a database that stopped answering makes /ready say so instead of hanging.
  const readyTimeoutMs = Math.min(database.connectTimeoutMs, 5000)
  app.decorate('isDatabaseReady', async () => {
    if (app.databaseStorageProblem()) return false
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<boolean>((done) => (timer = setTimeout(() => done(false), readyTimeoutMs)))
    const answered = sql`select 1`.execute(db).then(
      () => true,
      () => false,
    )
    try {
      return await Promise.race([answered, timedOut])
    } finally {
      clearTimeout(timer)
    }
  })
  app.addHook('onClose', async () => {
    await db.destroy()
  })
}

export default fp(dbPlugin, { name: 'db' })
