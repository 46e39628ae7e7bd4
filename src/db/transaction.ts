import { sql } from 'kysely'
import type { Db } from './types.js'

/**
 * Runs `work` in a write transaction. SQLite's plain BEGIN takes the write lock only at the first
 * write, and a transaction that read first may then fail with SQLITE_BUSY when another process
 * wrote meanwhile; BEGIN IMMEDIATE takes the lock up front and waits for it (busy_timeout).
 * The callback receives a Kysely bound to the transaction's connection.
 */
export async function inWriteTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection)
    try {
      const result = await work(connection)
      await sql`commit`.execute(connection)
      return result
    } catch (error) {
      // A failed rollback must not hide the error that caused it.
      await sql`rollback`.execute(connection).catch(() => undefined)
      throw error
    }
  })
}
