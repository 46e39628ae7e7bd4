/**
 * Group commit for SQLite: the Kysely driver. With `synchronous=FULL` every commit waits for the
 * disk (fsync), and better-sqlite3 waits on the event loop: one fsync per write capped a whole
 * process at about a thousand writes a second. Here the writes that arrive together share one
 * commit. This file is the Kysely side (the driver and its connection); the batches, their states
 * and the wait for another process's write lock are in sqlite-batch.ts.
 *
 * - A write (a transaction, or a single writing statement) runs at once, inside the open batch
 *   (one `BEGIN IMMEDIATE` transaction), in a savepoint of its own: if it fails, only its own
 *   changes are rolled back.
 * - The batch commits when the event loop has run the requests that were ready (setImmediate),
 *   or at MAX_BATCH (256) writes; never under an open write, but as soon as it ends. A read
 *   outside a write waits for the pending commit (reads never see a change before it is
 *   committed) and lends the connection to writes meanwhile (lendConnectionUntilCommitted), so a
 *   `db.connection()` that reads is not atomic against this process's writes: read-then-write
 *   logic belongs in a transaction, as it does on PostgreSQL.
 * - Each write's caller gets its result only once the batch's commit is on disk, and an error
 *   if the commit fails, or if SQLite rolled the whole batch back (SQLITE_FULL, IOERR...): a 201
 *   still means the order is durable, exactly as without batching. A batch rolled back is never
 *   reused: the next write begins a new one.
 * - Another process (a second instance, a seed, a migration) may hold the file's write lock. The
 *   batch's `BEGIN IMMEDIATE` then does not wait inside SQLite: its busy handler would sleep on the
 *   event loop, and the whole process (health checks, reads) with it. It runs with a zero busy
 *   timeout (every other statement keeps the connection's busy_timeout), and on SQLITE_BUSY the
 *   writer lends the connection (reads and this process's other work go on) and waits
 *   (waitForWriteLock), queued on a batch waiting for the lock, in order of arrival; one poller
 *   tries the lock again after 1 ms, 2, 4... up to 50 ms between tries. When it gets the lock the
 *   batch opens and the queue joins it in order; writes that arrive meanwhile queue behind them
 *   rather than overtake. A writer still waiting at its deadline (lockTimeoutMs,
 *   DATABASE_CONNECT_TIMEOUT_MS), or when the database is closed, fails with SQLITE_BUSY (503)
 *   before anything of it ran.
 *
 * One logical transaction runs at a time, as with Kysely's own SQLite driver: the connection is
 * held from acquire to release, except while lent (a read waiting for a commit, a write waiting for
 * the lock), before that transaction has run anything.
 */
import type SQLite from 'better-sqlite3'
import type { CompiledQuery, DatabaseConnection, Driver, QueryResult } from 'kysely'
import { WriteBatches, type CommitStats } from './sqlite-batch.js'

export { WriteLockError, type CommitStats } from './sqlite-batch.js'

/** The longest wait for another process's write lock, unless the driver is told otherwise. */
const DEFAULT_LOCK_TIMEOUT_MS = 5000

export interface GroupCommitOptions {
  /** The longest a write waits for another process's write lock (DATABASE_CONNECT_TIMEOUT_MS). */
  lockTimeoutMs?: number
}

export class GroupCommitDriver implements Driver {
  readonly #batches: WriteBatches
  readonly #statements: StatementCache

  constructor(sqlite: SQLite.Database, options: GroupCommitOptions = {}) {
    this.#batches = new WriteBatches(sqlite, options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS)
    this.#statements = new StatementCache(sqlite)
  }

  /** Commits so far and the writes they carried, and the waits for another process's lock. */
  get stats(): CommitStats {
    return this.#batches.stats
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new BatchedConnection(this.#batches, this.#statements, await this.#batches.takeConnection())
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    return (connection as BatchedConnection).beginWrite()
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    ;(connection as BatchedConnection).endWrite(true)
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    ;(connection as BatchedConnection).endWrite(false)
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const committed = (connection as BatchedConnection).release()
    // The caller's result waits for the commit that makes its writes durable.
    if (committed) await committed
  }

  async destroy(): Promise<void> {
    await this.#batches.close()
  }
}

/**
 * better-sqlite3 compiles a statement on every prepare(), and Kysely prepares every query it
 * runs. The service runs a small, fixed set of SQL texts (values are bound parameters), so
 * compiled statements are kept by text and reused; bounded, in case SQL is built dynamically.
 */
class StatementCache {
  readonly #statements = new Map<string, SQLite.Statement>()

  constructor(private readonly sqlite: SQLite.Database) {}

  get(sql: string): SQLite.Statement {
    let statement = this.#statements.get(sql)
    if (!statement) {
      if (this.#statements.size >= 500) this.#statements.clear()
      statement = this.sqlite.prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement
  }
}

/** The connection as one logical transaction (or one query) holds it, from acquire to release. */
class BatchedConnection implements DatabaseConnection {
  /** The commit this connection's writes wait for, once they are kept. */
  #committed: Promise<void> | undefined

  constructor(
    private readonly batches: WriteBatches,
    private readonly statements: StatementCache,
    /** Frees the connection for the next holder. */
    private free: () => void,
  ) {}

  /**
   * Opens this connection's write, in the open batch (begun if need be). Synchronous unless another
   * process holds the write lock: the promise then settles once the write has joined a batch, or
   * rejects with WriteLockError at the deadline.
   */
  beginWrite(): Promise<void> | undefined {
    return this.batches.beginWrite() ? undefined : this.#waitForWriteLock()
  }

  endWrite(keep: boolean): void {
    const committed = this.batches.endWrite(keep)
    if (committed) this.#committed = committed
  }

  /** Frees the connection; returns the commit this connection's writes wait for, if any. */
  release(): Promise<void> | undefined {
    this.endWrite(false)
    this.free()
    return this.#committed
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.statements.get(query.sql)
    if (this.batches.writing) {
      try {
        return run<R>(statement, query)
      } catch (error) {
        this.batches.failIfRolledBack(error)
        throw error
      }
    }
    if (statement.readonly) {
      const pending = this.batches.pendingCommit()
      if (pending) await this.#lendConnectionUntilCommitted(pending)
      return run<R>(statement, query)
    }
    // A single writing statement: a write of its own.
    const waiting = this.beginWrite()
    if (waiting) await waiting
    let result: QueryResult<R>
    try {
      result = run<R>(statement, query)
    } catch (error) {
      this.batches.failIfRolledBack(error)
      this.endWrite(false)
      throw error
    }
    this.endWrite(true)
    return result
  }

  /**
   * A read outside a write sees only committed data. If writes are waiting for their commit, the
   * read waits for it too, and lends the connection meanwhile so that more writes join that
   * commit; should another batch have begun by the time it is back, it commits it.
   */
  async #lendConnectionUntilCommitted(commit: Promise<void>): Promise<void> {
    this.free()
    await commit
    this.free = await this.batches.takeConnection()
    this.batches.commitOpenBatch()
  }

  /**
   * Another process holds the write lock: waits for it without the connection (reads, and this
   * process's other work, go on), queued behind the writers that came first, until the write has
   * joined a batch or, at the deadline, fails with WriteLockError.
   */
  async #waitForWriteLock(): Promise<void> {
    const deadline = Date.now() + this.batches.lockTimeoutMs
    for (;;) {
      this.free()
      const inTime = await this.batches.untilWriteLockTaken(deadline)
      this.free = await this.batches.takeConnection()
      // At the deadline, one last try: the lock may have been freed since the poller's last.
      if (this.batches.retryWrite(!inTime)) return
    }
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on SQLite here')
  }
}

function run<R>(statement: SQLite.Statement, query: CompiledQuery): QueryResult<R> {
  const parameters = query.parameters as unknown[]
  if (statement.reader) return { rows: statement.all(parameters) as R[] }
  const { changes, lastInsertRowid } = statement.run(parameters)
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] }
}
