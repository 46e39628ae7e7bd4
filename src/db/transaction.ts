import type { Transaction } from 'kysely'
import type { Database, Db } from './types.js'

/**
 * Runs `work` in a transaction: the caller's, when `db` already is one (a use case called by a
 * wider unit of work, such as an Idempotency-Key record that must commit with it), else a new one.
 */
export function inTransaction<T>(db: Db, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db as Transaction<Database>) : db.transaction().execute(work)
}
