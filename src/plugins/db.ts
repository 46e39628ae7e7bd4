import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { sql } from 'kysely'
import type pg from 'pg'
import type { DatabaseConfig } from '../config.js'
import { createDb, sqliteCommitStats } from '../db/connect.js'
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
    /** True when the database answers a trivial query. */
    isDatabaseReady(): Promise<boolean>
    /** PostgreSQL's connection pool right now; undefined on SQLite (one connection, no pool). */
    databasePoolStats(): PoolStats | undefined
    /** SQLite's commits so far and the writes they carried (group commit); undefined on PostgreSQL. */
    databaseCommitStats(): CommitStats | undefined
  }
}

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
  // Bounded, so that a database that stopped answering makes /ready say so instead of hanging.
  const readyTimeoutMs = Math.min(database.connectTimeoutMs, 5000)
  app.decorate('isDatabaseReady', async () => {
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
