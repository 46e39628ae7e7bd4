/**
 * The batches behind group commit (group-commit.ts): one SQLite connection, one `BEGIN IMMEDIATE`
 * transaction at a time, shared by the writes that arrive together, each in a savepoint of its own.
 *
 * A batch's states. Only this module moves them; nothing outside it sees a batch:
 *
 *   state      what it means                                  what moves it on
 *   ---------  ---------------------------------------------  -----------------------------------------------
 *   waiting    `BEGIN IMMEDIATE` found the write lock held by  the poller's (or a woken writer's) BEGIN
 *              another process. Its writers queue on it, in    IMMEDIATE succeeds: open, and the queue is
 *              their order of arrival, without the connection; woken. Its last writer gives up (deadline),
 *              one poller tries the lock again after 1 ms, 2,  the poller's try fails otherwise, or the
 *              4... up to 50 ms.                               database closes: failed.
 *   open       `BEGIN IMMEDIATE` done: writes join it, one at  setImmediate (the event loop has served the
 *              a time, each in its own savepoint.              requests that were ready): due if a write is
 *                                                              open, else committed. A write ends as the
 *                                                              256th kept, or fails in a batch with none kept:
 *                                                              committed. A read back from waiting for the
 *                                                              previous commit, or close: committed.
 *   due        The event loop moved on while a write was       That write ends: committed.
 *              open: the batch cannot commit under it.
 *   committed  COMMIT is on disk: its writers are answered.    Final. The next write begins a new batch.
 *   failed     It will never commit: COMMIT failed, or SQLite  Final. Its writers get the error (a write that
 *              rolled the whole transaction back (SQLITE_FULL, was kept is never reported done); the next
 *              IOERR...), or nobody waits for it any more.     write begins a new batch.
 *
 * SQLite rolling a batch back is noticed (the connection is out of its transaction) after a
 * statement's error, before a write joins and when a write ends: the batch fails then.
 */
import type SQLite from 'better-sqlite3'

/** The most writes one commit carries; the batch commits at once when it reaches it. */
const MAX_BATCH = 256
/** Writers waiting for another process's write lock try again after 1 ms, then 2, 4... up to this. */
const MAX_LOCK_POLL_MS = 50

/** Commits so far, and the writes they carried: writes / commits is the batching achieved. */
export interface CommitStats {
  readonly commits: number
  readonly writes: number
  /** Writes that found the write lock held by another process and waited for it. */
  readonly lockWaits: number
  /** Of those, the writes that gave up at the deadline (SQLITE_BUSY: 503). */
  readonly lockTimeouts: number
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

type BatchState = 'waiting' | 'open' | 'due' | 'committed' | 'failed'

/** A writer queued on a waiting batch; woken (true) when it is worth trying again. */
type LockWaiter = (retry: boolean) => void

class Batch {
  /** Writes kept in it (savepoints released). */
  writes = 0
  /** Why it failed, if it did. */
  error: unknown = undefined
  /** Writers queued for the write lock, first come first (while waiting). */
  readonly waiters: LockWaiter[] = []
  /** Settles when the batch is committed, or rejects when it fails: what its writers wait for. */
  readonly committed: Promise<void>
  /** The same, never rejecting: what a read waits for. */
  readonly settled: Promise<void>
  readonly settle: (error?: unknown) => void

  constructor(public state: BatchState) {
    let settle!: Batch['settle']
    this.committed = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(error))
    })
    this.settle = settle
    // Also keeps a batch nobody waits for (only rolled-back writes) from leaving a rejection unhandled.
    this.settled = this.committed.catch(() => {})
  }
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms))

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY')
}

/**
 * The batches of one SQLite connection, and the connection itself: held by one logical transaction
 * at a time (takeConnection), which may lend it while it has not run anything yet.
 */
export class WriteBatches {
  /** The batch writes join now (waiting, open or due); undefined: the next write begins one. */
  #batch: Batch | undefined
  /** The batch in which the connection holder's write has its savepoint open, if it has one. */
  #writing: Batch | undefined
  #connectionQueue: Promise<void> = Promise.resolve()
  #closed = false
  readonly #stats = { commits: 0, writes: 0, lockWaits: 0, lockTimeouts: 0 }
  /** The connection's busy_timeout (openSqlite), put back after each `BEGIN IMMEDIATE`. */
  readonly #busyTimeoutMs: number
  readonly #begin: SQLite.Statement
  readonly #commit: SQLite.Statement
  readonly #rollback: SQLite.Statement
  readonly #savepoint: SQLite.Statement
  readonly #release: SQLite.Statement
  readonly #rollbackTo: SQLite.Statement

  constructor(
    private readonly sqlite: SQLite.Database,
    /** The longest a write waits for another process's write lock. */
    readonly lockTimeoutMs: number,
  ) {
    this.#busyTimeoutMs = sqlite.pragma('busy_timeout', { simple: true }) as number
    this.#begin = sqlite.prepare('begin immediate')
    this.#commit = sqlite.prepare('commit')
    this.#rollback = sqlite.prepare('rollback')
    this.#savepoint = sqlite.prepare('savepoint write')
    this.#release = sqlite.prepare('release write')
    this.#rollbackTo = sqlite.prepare('rollback to write')
  }

  get stats(): CommitStats {
    return this.#stats
  }

  /** Waits for the connection; returns the function that frees it. */
  async takeConnection(): Promise<() => void> {
    let free!: () => void
    const previous = this.#connectionQueue
    this.#connectionQueue = new Promise((done) => (free = done))
    await previous
    return free
  }

  /** True while the connection holder's write has its savepoint open: its statements run in it. */
  get writing(): boolean {
    return this.#writing !== undefined
  }

  /**
   * Opens a write (its savepoint) in the open batch, begun if there is none. False, and nothing
   * ran, when the write must wait for the write lock (untilWriteLockTaken, then retryWrite):
   * another process holds it, or earlier writers wait for it.
   */
  beginWrite(): boolean {
    const batch = this.#join(false)
    if (!batch) {
      this.#stats.lockWaits += 1
      return false
    }
    this.#enter(batch)
    return true
  }

  /**
   * For a write that waited for the lock: tries again, ahead of writers queued after it. Throws
   * WriteLockError if the database was closed meanwhile, or if this was the last try (the
   * deadline passed) and another process still holds the lock.
   */
  retryWrite(lastTry: boolean): boolean {
    if (this.#closed) throw new WriteLockError('the database was closed while the write waited for the lock')
    const batch = this.#join(true)
    if (batch) {
      this.#enter(batch)
      return true
    }
    if (lastTry) {
      this.#stats.lockTimeouts += 1
      throw new WriteLockError(
        `database is locked: another process held the write lock for more than ${this.lockTimeoutMs} ms`,
      )
    }
    return false
  }

  /**
   * Queues the caller, who must not hold the connection, on the batch waiting for the lock (begun,
   * with its poller, if there is none): settles true once the lock was taken for the queue (or
   * something else happened: try again), false at `deadline`.
   */
  untilWriteLockTaken(deadline: number): Promise<boolean> {
    const current = this.#batch
    if (current && current.state !== 'waiting') return Promise.resolve(true)
    const waiting = current ?? this.#waitForLock()
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          const at = waiting.waiters.indexOf(waiter)
          if (at >= 0) waiting.waiters.splice(at, 1)
          if (waiting.waiters.length === 0 && waiting.state === 'waiting') {
            this.#fail(waiting, new WriteLockError('no writer waits for the lock any more'))
          }
          resolve(false)
        },
        Math.max(0, deadline - Date.now()),
      )
      const waiter: LockWaiter = (retry) => {
        clearTimeout(timer)
        resolve(retry)
      }
      waiting.waiters.push(waiter)
    })
  }

  /**
   * Ends the connection holder's write, if one is open: keeps it (releases its savepoint) or undoes
   * it. Returns the commit its caller waits for, if the batch holds kept writes: kept or not, the
   * write saw the batch's earlier writes (a refusal can rest on them). Throws the batch's error
   * when a kept write finds that SQLite rolled the batch back.
   */
  endWrite(keep: boolean): Promise<void> | undefined {
    const batch = this.#writing
    if (!batch) return undefined
    this.failIfRolledBack()
    if (batch.state === 'failed') {
      // SQLite already rolled everything back; the writers have been told.
      this.#writing = undefined
      if (keep) throw batch.error ?? new Error('SQLite rolled the transaction back')
      return undefined
    }
    if (keep) {
      this.#release.run()
      batch.writes += 1
    } else {
      this.#rollbackTo.run()
      this.#release.run()
    }
    this.#writing = undefined
    const committed = batch.writes > 0 ? batch.committed : undefined
    // A batch with no kept write commits at once: the write lock is never held for nothing, since
    // the caller, not waiting for a commit, may go on to use the database from another connection.
    if (batch.state === 'due' || batch.writes >= MAX_BATCH || (!keep && batch.writes === 0)) this.#commitBatch(batch)
    return committed
  }

  /**
   * Some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, an interrupt) make SQLite roll back the
   * whole transaction, not only the statement: the batch then fails, and its writers are told with
   * that error (a write is never reported done unless its commit succeeded).
   */
  failIfRolledBack(error?: unknown): void {
    const batch = this.#batch
    if (!batch || batch.state === 'waiting' || this.sqlite.inTransaction) return
    this.#fail(batch, error ?? new Error('SQLite rolled the batch back'))
  }

  /** The open batch's commit, settled either way (it never rejects); undefined if none is open. */
  pendingCommit(): Promise<void> | undefined {
    const batch = this.#batch
    return batch && batch.state !== 'waiting' ? batch.settled : undefined
  }

  /** Commits the open batch, if there is one; for a holder with no write open. */
  commitOpenBatch(): void {
    const batch = this.#batch
    if (batch && batch.state !== 'waiting') this.#commitBatch(batch)
  }

  /** After the transaction in progress, if any: commits the open batch and closes the connection. */
  async close(): Promise<void> {
    // Committing under a transaction would keep half of it.
    const free = await this.takeConnection()
    try {
      this.commitOpenBatch()
    } finally {
      this.sqlite.close()
      this.#closed = true
      free()
      // Writers waiting for the lock are told that the database is closed (503).
      const batch = this.#batch
      if (batch?.state === 'waiting') this.#fail(batch, new WriteLockError('the database was closed'))
    }
  }

  /**
   * The batch a write joins now: the open one, or one begun if the write lock is free right now.
   * Undefined while another process holds it, or while earlier writers wait for it (unless
   * `waited`: the caller is one of them).
   */
  #join(waited: boolean): Batch | undefined {
    this.failIfRolledBack()
    const batch = this.#batch
    if (batch && batch.state !== 'waiting') return batch
    if (batch && !waited) return undefined
    return this.#beginImmediate() ? this.#open(batch) : undefined
  }

  #enter(batch: Batch): void {
    this.#savepoint.run()
    this.#writing = batch
  }

  /** `BEGIN IMMEDIATE` without waiting: false if another process holds the write lock. */
  #beginImmediate(): boolean {
    // A zero busy timeout: SQLite's busy handler would sleep on the event loop. SQLite applies this
    // pragma when the statement is prepared: it cannot be a cached statement.
    this.sqlite.pragma('busy_timeout = 0')
    try {
      this.#begin.run()
      return true
    } catch (error) {
      if (isBusy(error)) return false
      throw error
    } finally {
      this.sqlite.pragma(`busy_timeout = ${this.#busyTimeoutMs}`)
    }
  }

  /** A batch waiting for the write lock, and its poller. */
  #waitForLock(): Batch {
    const batch = (this.#batch = new Batch('waiting'))
    void this.#pollWriteLock(batch)
    return batch
  }

  /** After `BEGIN IMMEDIATE`: the waiting batch (whose queue is woken to join it) or a new one, open. */
  #open(waiting: Batch | undefined): Batch {
    const batch = waiting ?? new Batch('open')
    batch.state = 'open'
    this.#batch = batch
    setImmediate(() => {
      if (batch.state !== 'open') return
      if (this.#writing === batch) batch.state = 'due'
      else this.#commitBatch(batch)
    })
    if (waiting) for (const wake of waiting.waiters.splice(0)) wake(true)
    return batch
  }

  /**
   * Tries the write lock for a waiting batch, with a backoff (1 ms doubling to MAX_LOCK_POLL_MS),
   * holding the connection only for each try, until the batch is open or has failed.
   */
  async #pollWriteLock(batch: Batch): Promise<void> {
    let delay = 1
    while (batch.state === 'waiting') {
      await sleep(delay)
      delay = Math.min(delay * 2, MAX_LOCK_POLL_MS)
      if (batch.state !== 'waiting') break
      const free = await this.takeConnection()
      try {
        if (batch.state === 'waiting' && this.#beginImmediate()) this.#open(batch)
      } catch (error) {
        // Not the lock (the database closed...): each writer tries and gets the error.
        if (batch.state === 'waiting') this.#fail(batch, error)
      } finally {
        free()
      }
    }
  }

  /** Commits `batch`, the current one, and tells its writers. */
  #commitBatch(batch: Batch): void {
    this.#batch = undefined
    try {
      this.#commit.run()
    } catch (error) {
      try {
        if (this.sqlite.inTransaction) this.#rollback.run()
      } finally {
        batch.state = 'failed'
        batch.error = error
        batch.settle(error)
      }
      return
    }
    batch.state = 'committed'
    if (batch.writes > 0) {
      this.#stats.commits += 1
      this.#stats.writes += batch.writes
    }
    batch.settle()
  }

  /**
   * `batch`, the current one, will never commit: its writers get `error`; writers queued on it (a
   * waiting batch) are woken to try again, and meet the closed database or the lock again.
   */
  #fail(batch: Batch, error: unknown): void {
    if (this.#batch === batch) this.#batch = undefined
    batch.state = 'failed'
    batch.error = error
    batch.settle(error)
    for (const wake of batch.waiters.splice(0)) wake(true)
  }
}
