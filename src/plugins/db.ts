import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { sql } from 'kysely'
import { createDb } from '../db/connect.js'
import { migrateToLatest } from '../db/migrate.js'
import type { Db } from '../db/types.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
    /** True when the database answers a trivial query. */
    isDatabaseReady(): Promise<boolean>
  }
}

export interface DbPluginOptions {
  databaseUrl: string
}

async function dbPlugin(app: FastifyInstance, { databaseUrl }: DbPluginOptions) {
  const db = createDb(databaseUrl)
  try {
    await migrateToLatest(db)
  } catch (error) {
    await db.destroy()
    throw error
  }
  app.decorate('db', db)
  app.decorate('isDatabaseReady', async () => {
    try {
      await sql`select 1`.execute(db)
      return true
    } catch {
      return false
    }
  })
  app.addHook('onClose', async () => {
    await db.destroy()
  })
}

export default fp(dbPlugin, { name: 'db' })
