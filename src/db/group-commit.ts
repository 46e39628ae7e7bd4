import type SQLite from 'better-sqlite3'
import type { CompiledQuery, DatabaseConnection, Driver, QueryResult } from 'kysely'

/** The most writes one commit carries; the batch commits at once when it reaches it. */
const MAX_BATCH = 256
/** Writers waiting for another process's write lock try again after 1 ms, then 2, 4... up to this. */
const MAX_LOCK_POLL_MS = 50
/** The longest wait for another process's write lock, unless the driver is told otherwise. */
const DEFAULT_LOCK_TIMEOUT_MS = 5000

interface Batch {
  writes: number
  /** The event loop has moved on since the batch began: commit as soon as no write is open. */
  due: boolean
  /** Why SQLite rolled the batch back, if it did. */
  error?: unknown
  committed: Promise<void>
  settle: (error?: unknown) => void
}

/** Commits so far, and the writes they carried: writes / commits is the batching achieved. */
export interface CommitStats {
  commits: number
  writes: number
  /** Writes that found the write lock held by another process and waited for it. */
  lockWaits: number
  /** Of those, the writes that gave up at the deadline (SQLITE_BUSY: 503). */
  lockTimeouts: number
}

export interface GroupCommitOptions {
  /** The longest a write waits for another process's write lock (DATABASE_CONNECT_TIMEOUT_MS). */
  lockTimeoutMs?: number
}

/**
 * A write that waited for another process's write lock and did not get it: the deadline passed,
 * or the database was closed meanwhile. Nothing of the write ran. Its code is SQLite's own for a
 * lock still held when the busy timeout ran out, so it means the same (503, Retry-After).
 */
export class WriteLockError extends Error {
  override name = 'WriteLockError'
  readonly code = 'SQLITE_BUSY'
}

interface LockWaiter {
  /** The lock was taken for the waiters (a batch is open), or something else happened: try again. */
  wake: () => void
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms))

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY')
}

/**
 * Group commit for SQLite. With `synchronous=FULL` every commit waits for the disk (fsync), and
 * better-sqlite3 waits on the event loop: one fsync per write capped a whole process at about a
 * thousand writes a second. Here the writes that arrive together share one commit:
 *
 * - A write (a transaction, or a single writing statement) runs at once, inside the open batch
 *   (one `BEGIN IMMEDIATE` transaction), in a savepoint of its own: if it fails, only its own
 *   changes are rolled back.
 * - The batch commits when the event loop has run the requests that were ready (setImmediate),
 *   or at MAX_BATCH writes. A read outside a write waits for the pending commit (reads never see
 *   a change before it is committed) and lends the connection to writes meanwhile, so a
 *   `db.connection()` that reads is not atomic against this process's writes: read-then-write
 *   logic belongs in a transaction, as it does on PostgreSQL.
 * - Each write's caller gets its result only once the batch's commit is on disk, and an error
 *   if the commit fails. So a 201 still means the order is durable, exactly as before.
 * - Another process (a second instance, a seed, a migration) may hold the file's write lock. The
 *   batch's `BEGIN IMMEDIATE` then does not wait inside SQLite: its busy handler would sleep on the
 *   event loop, and the whole process (health checks, reads) with it. It runs with a zero busy
 *   timeout (every other statement keeps the connection's busy_timeout), and on SQLITE_BUSY the
 *   writer lends the connection (reads and this process's other work go on) and waits, in a queue
 *   of the writers waiting for the lock, in their order of arrival; one poller tries the lock
 *   again after 1 ms, 2, 4... up to 50 ms between tries. When it gets the lock it opens the batch
 *   and wakes the queue, which joins that batch in order; writes that arrive meanwhile queue
 *   behind them rather than overtake. A writer still waiting at its deadline (lockTimeoutMs,
 *   DATABASE_CONNECT_TIMEOUT_MS), or when the database is closed, fails with SQLITE_BUSY (503)
 *   before anything of it ran.
 *
 * One logical transaction runs at a time, as with Kysely's own SQLite driver: the connection is
 * held from acquire to release, except while lent (a read waiting for a commit, a write waiting for
 * the lock), before that transaction has run anything.
 */
export class GroupCommitDriver implements Driver {
  #queue: Promise<void> = Promise.resolve()
  #batch: Batch | undefined
  readonly #statements = new Map<string, SQLite.Statement>()
  readonly stats: CommitStats = { commits: 0, writes: 0, lockWaits: 0, lockTimeouts: 0 }
  /** Set while a write's savepoint is open: the batch cannot commit under it. */
  inWrite = false
  /** Writers waiting for another process's write lock, first come first. */
  readonly #lockWaiters: LockWaiter[] = []
  #polling = false
  #closed = false
  readonly lockTimeoutMs: number
  /** The connection's busy_timeout (openSqlite), put back after each `BEGIN IMMEDIATE`. */
  readonly #busyTimeoutMs: number

  constructor(
    private readonly sqlite: SQLite.Database,
    options: GroupCommitOptions = {},
  ) {
    this.lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS
    this.#busyTimeoutMs = sqlite.pragma('busy_timeout', { simple: true }) as number
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new BatchedConnection(this, await this.lock())
  }

  /** Waits for the connection; returns the function that frees it. */
  async lock(): Promise<() => void> {
    let release!: () => void
    const previous = this.#queue
    this.#queue = new Promise((done) => (release = done))
    await previous
    return release
  }

  /** The commit that the open batch is waiting for, if a batch is open. */
  pendingCommit(): Promise<void> | undefined {
    return this.#batch?.committed
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
    // After the transaction in progress, if any: committing under it would keep half of it.
    const unlock = await this.lock()
    try {
      this.commitBatch()
    } finally {
      this.sqlite.close()
      this.#closed = true
      unlock()
      // Writers waiting for the lock are told that the database is closed (503).
      for (const waiter of this.#lockWaiters.splice(0)) waiter.wake()
    }
  }

  /**
   * The open batch, begun if there is none and the write lock is free right now; undefined while
   * another process holds it, or while earlier writers wait for it (unless `waited`: the caller is
   * one of them).
   */
  tryOpenBatch(waited: boolean): Batch | undefined {
    this.checkBatchAlive()
    if (this.#batch) return this.#batch
    if (!waited && this.#lockWaiters.length > 0) return undefined
    return this.#beginImmediate() ? this.#newBatch() : undefined
  }

  /** `BEGIN IMMEDIATE` without waiting: false if another process holds the write lock. */
  #beginImmediate(): boolean {
    // SQLite applies this pragma when the statement is prepared: it cannot be a cached statement.
    this.sqlite.pragma('busy_timeout = 0')
    try {
      this.prepare('begin immediate').run()
      return true
    } catch (error) {
      if (isBusy(error)) return false
      throw error
    } finally {
      this.sqlite.pragma(`busy_timeout = ${this.#busyTimeoutMs}`)
    }
  }

  /**
   * Waits, without the connection, until the poller has taken the write lock for the waiting
   * writers (true: try again) or until `deadline` (false).
   */
  waitForWriteLock(deadline: number): Promise<boolean> {
    return new Promise((resolve) => {
      const waiter: LockWaiter = {
        wake: () => {
          clearTimeout(timer)
          resolve(true)
        },
      }
      const timer = setTimeout(
        () => {
          const at = this.#lockWaiters.indexOf(waiter)
          if (at >= 0) this.#lockWaiters.splice(at, 1)
          resolve(false)
        },
        Math.max(0, deadline - Date.now()),
      )
      this.#lockWaiters.push(waiter)
      if (!this.#polling) void this.#pollWriteLock()
    })
  }

  /**
   * Tries the write lock for the waiting writers, with a backoff (1 ms doubling to
   * MAX_LOCK_POLL_MS), holding the connection only for each try. Once it has the lock (the batch
   * is open), it wakes all of them: in their order, they take the connection and join that batch.
   */
  async #pollWriteLock(): Promise<void> {
    this.#polling = true
    try {
      let delay = 1
      while (this.#lockWaiters.length > 0) {
        await sleep(delay)
        delay = Math.min(delay * 2, MAX_LOCK_POLL_MS)
        if (this.#lockWaiters.length === 0) break
        const unlock = await this.lock()
        let wake: boolean
        try {
          wake = this.tryOpenBatch(true) !== undefined
        } catch {
          wake = true // not the lock (the database closed...): each writer tries and gets the error
        } finally {
          unlock()
        }
        if (wake) {
          for (const waiter of this.#lockWaiters.splice(0)) waiter.wake()
          delay = 1
        }
      }
    } finally {
      this.#polling = false
    }
  }

  /** A batch, after its `BEGIN IMMEDIATE`. */
  #newBatch(): Batch {
    let settle!: Batch['settle']
    const committed = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(error))
    })
    // Callers that never wait (a batch with only rolled-back writes) must not leave a rejection unhandled.
    committed.catch(() => {})
    const batch: Batch = { writes: 0, due: false, committed, settle }
    this.#batch = batch
    setImmediate(() => {
      if (this.#batch !== batch) return
      if (this.inWrite) batch.due = true
      else this.commitBatch()
    })
    return batch
  }

  /**
   * After a write: commits now if the batch is due or full, or if it holds no kept write (a
   * write that failed alone): the write lock is never held for nothing, since its caller, not
   * waiting for a commit, may go on to use the database from another connection.
   */
  writeDone(kept: boolean): void {
    const batch = this.#batch
    if (batch && (batch.due || batch.writes >= MAX_BATCH || (!kept && batch.writes === 0))) this.commitBatch()
  }

  /**
   * Some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, an interrupt) make SQLite roll back the
   * whole transaction, not only the statement: the batch is then gone, and its writers are told
   * with that error (a write is never reported done unless its commit succeeded).
   */
  checkBatchAlive(error: unknown = new Error('SQLite rolled the batch back')): void {
    const batch = this.#batch
    if (!batch || this.sqlite.inTransaction) return
    this.#batch = undefined
    this.inWrite = false
    batch.error = error
    batch.settle(error)
  }

  get closed(): boolean {
    return this.#closed
  }

  /** True while `batch` is the open batch (not committed, not rolled back by SQLite). */
  isOpen(batch: Batch): boolean {
    return this.#batch === batch
  }

  /** Commits the open batch, if any, and tells its writers. */
  commitBatch(): void {
    const batch = this.#batch
    if (!batch) return
    this.#batch = undefined
    try {
      this.prepare('commit').run()
    } catch (error) {
      try {
        if (this.sqlite.inTransaction) this.prepare('rollback').run()
      } finally {
        batch.settle(error)
      }
      return
    }
    if (batch.writes > 0) {
      this.stats.commits += 1
      this.stats.writes += batch.writes
    }
    batch.settle()
  }

  /**
   * better-sqlite3 compiles a statement on every prepare(), and Kysely prepares every query it
   * runs. The service runs a small, fixed set of SQL texts (values are bound parameters), so
   * compiled statements are kept by text and reused; bounded, in case SQL is built dynamically.
   */
  prepare(sql: string): SQLite.Statement {
    let statement = this.#statements.get(sql)
    if (!statement) {
      if (this.#statements.size >= 500) this.#statements.clear()
      statement = this.sqlite.prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement
  }
}

class BatchedConnection implements DatabaseConnection {
  #savepoint = false
  #committed: Promise<void> | undefined

  constructor(
    private readonly driver: GroupCommitDriver,
    private unlock: () => void,
  ) {}

  #batch: Batch | undefined

  /**
   * Opens this connection's write, in the open batch (begun if need be). Synchronous unless another
   * process holds the write lock: the promise then settles once the write has joined a batch, or
   * rejects with WriteLockError at the deadline.
   */
  beginWrite(): Promise<void> | undefined {
    const batch = this.driver.tryOpenBatch(false)
    if (!batch) return this.#waitForWriteLock()
    this.#enterWrite(batch)
    return undefined
  }

  #enterWrite(batch: Batch): void {
    this.driver.prepare('savepoint write').run()
    this.driver.inWrite = true
    this.#savepoint = true
    this.#batch = batch
  }

  async #waitForWriteLock(): Promise<void> {
    const deadline = Date.now() + this.driver.lockTimeoutMs
    this.driver.stats.lockWaits += 1
    for (;;) {
      // Lent meanwhile: reads, and this process's other work, go on.
      this.unlock()
      const retry = await this.driver.waitForWriteLock(deadline)
      this.unlock = await this.driver.lock()
      if (this.driver.closed) throw new WriteLockError('the database was closed while the write waited for the lock')
      // At the deadline, one last try: the lock may have been freed since the poller's last.
      const batch = this.driver.tryOpenBatch(true)
      if (batch) return this.#enterWrite(batch)
      if (!retry) {
        this.driver.stats.lockTimeouts += 1
        throw new WriteLockError(
          `database is locked: another process held the write lock for more than ${this.driver.lockTimeoutMs} ms`,
        )
      }
    }
  }

  endWrite(keep: boolean): void {
    if (!this.#savepoint) return
    const batch = this.#batch!
    this.driver.checkBatchAlive()
    if (!this.driver.isOpen(batch)) {
      // SQLite already rolled everything back; the writers have been told.
      this.#savepoint = false
      if (keep) throw batch.error ?? new Error('SQLite rolled the transaction back')
      return
    }
    if (keep) {
      this.driver.prepare('release write').run()
      batch.writes += 1
    } else {
      this.driver.prepare('rollback to write').run()
      this.driver.prepare('release write').run()
    }
    this.#savepoint = false
    this.driver.inWrite = false
    // Kept or not, the write saw the batch's earlier writes (a refusal can rest on them): its
    // caller is answered once they are committed, or gets the error if that commit fails.
    if (batch.writes > 0) this.#committed = batch.committed
    this.driver.writeDone(keep)
  }

  /** Frees the connection; returns the commit this connection's writes wait for, if any. */
  release(): Promise<void> | undefined {
    this.endWrite(false)
    this.unlock()
    return this.#committed
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.driver.prepare(query.sql)
    if (this.#savepoint) {
      try {
        return run<R>(statement, query)
      } catch (error) {
        this.driver.checkBatchAlive(error)
        throw error
      }
    }
    if (statement.readonly) {
      // A read outside a write sees only committed data. If writes are waiting for their commit,
      // the read waits for it too, and lends the connection meanwhile so that more writes join
      // that commit; should another batch have begun by the time it is back, it commits it.
      const pending = this.driver.pendingCommit()
      if (pending) {
        this.unlock()
        await pending.catch(() => {})
        this.unlock = await this.driver.lock()
        this.driver.commitBatch()
      }
      return run<R>(statement, query)
    }
    // A single writing statement: a write of its own.
    const waiting = this.beginWrite()
    if (waiting) await waiting
    let result: QueryResult<R>
    try {
      result = run<R>(statement, query)
    } catch (error) {
      this.driver.checkBatchAlive(error)
      this.endWrite(false)
      throw error
    }
    this.endWrite(true)
    return result
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
