import type { Transaction } from 'kysely'
import type { Database, Db } from './types.js'

// The hooks of each transaction opened by inTransaction, by the transaction object its work gets
// (nested use cases get the same object).
const endHooks = new WeakMap<Transaction<Database>, (() => void)[]>()

/**
 * Runs `work` in a transaction: the caller's, when `db` already is one (a use case called by a
 * wider unit of work, such as an Idempotency-Key record that must commit with it), else a new one.
 * A new one runs its afterTransactionEnds hooks once it has ended, before the result (or the
 * error) reaches the caller.
 */
export async function inTransaction<T>(db: Db, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db as Transaction<Database>)
  const hooks: (() => void)[] = []
  try {
    return await db.transaction().execute((trx) => {
      endHooks.set(trx, hooks)
      return work(trx)
    })
  } finally {
    for (const hook of hooks) hook()
  }
}

/**
 * Runs `hook` once the outermost transaction `trx` belongs to has ended: committed (its changes
 * visible to every new read), rolled back, or failed at COMMIT (then either may be true). For
 * transactions opened by inTransaction only.
 */
export function afterTransactionEnds(trx: Transaction<Database>, hook: () => void): void {
  const hooks = endHooks.get(trx)
  if (!hooks) throw new Error('afterTransactionEnds: the transaction was not opened by inTransaction')
  hooks.push(hook)
}
