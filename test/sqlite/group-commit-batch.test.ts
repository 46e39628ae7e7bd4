import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SQLite from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDb, sqliteCommitStats, sqliteHandleOf } from '../../src/db/connect.js'
import type { CommitStats } from '../../src/db/group-commit.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import type { Db } from '../../src/db/types.js'

/**
 * The batch's states below HTTP (src/db/sqlite-batch.ts), on a real SQLite file, checked the way
 * another process would see it: by a second, read-only connection, which sees only what is committed.
 */
describe('SQLite group commit batches', () => {
  let dir: string
  let db: Db
  let reader: SQLite.Database | undefined
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'orders-batch-'))
    db = createDb({
      url: `sqlite:${join(dir, 'db.sqlite')}`,
      poolSize: 1,
      statementTimeoutMs: 0,
      connectTimeoutMs: 1000,
    })
    await migrateToLatest(db)
  })
  afterEach(async () => {
    reader?.close()
    reader = undefined
    await db.destroy().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  })

  const insert = (d: Db, sku: string, name = sku) =>
    d
      .insertInto('products')
      .values({ sku, name, price_cents: 100, stock: 1, created_at: 'now', updated_at: 'now', deleted_at: null })
      .execute()
  /** The SKUs committed to the file, in insertion order. */
  const committedSkus = (): string[] => {
    reader ??= new SQLite(join(dir, 'db.sqlite'), { readonly: true })
    return reader.prepare('select sku from products order by id').pluck().all() as string[]
  }
  /** Commits and committed writes since `before`. */
  const since = (before: CommitStats) => {
    const now = sqliteCommitStats(db)!
    return { commits: now.commits - before.commits, writes: now.writes - before.writes }
  }
  const snapshot = () => ({ ...sqliteCommitStats(db)! })
  /** Set once the event loop has gone on to its next turn (macrotasks) after this call. */
  const nextTurn = () => {
    const turn = { passed: false }
    setImmediate(() => (turn.passed = true))
    return turn
  }
  const outcome = (write: Promise<unknown>) =>
    write.then(
      () => 'kept',
      (error: { code?: string; message?: string }) => error.code ?? error.message,
    )

  it('when the batch becomes due while a transaction is open, then it commits right after that transaction ends, not under it', async () => {
    const before = snapshot()
    let seenDuring: { skus: string[]; commits: number; writes: number } | undefined
    let turn: { passed: boolean } | undefined
    const ended = db.transaction().execute(async (trx) => {
      await insert(trx, 'first')
      // The batch's setImmediate, queued when it began, runs before this one: the batch is now due.
      await new Promise((done) => setImmediate(done))
      await new Promise((done) => setTimeout(done, 10))
      seenDuring = { skus: committedSkus(), ...since(before) }
      await insert(trx, 'second')
      turn = nextTurn()
    })
    const result = await outcome(ended)
    expect(seenDuring).toEqual({ skus: [], commits: 0, writes: 0 })
    expect(result).toBe('kept')
    // Answered in the same turn as it ended: the commit did not wait for the event loop again.
    expect(turn!.passed).toBe(false)
    expect(committedSkus()).toEqual(['first', 'second'])
    expect(since(before)).toEqual({ commits: 1, writes: 1 })
  })

  it('when 257 writes arrive together, then the 256th commits its batch at once and the 257th begins the next one', async () => {
    const before = snapshot()
    const turn = nextTurn()
    const writes = Array.from({ length: 257 }, (_, i) => insert(db, `W-${i}`))
    let atFull: { committed: number; commits: number; writes: number; turnPassed: boolean } | undefined
    void writes[255]!.then(() => {
      atFull = { committed: committedSkus().length, ...since(before), turnPassed: turn.passed }
    })
    await Promise.all(writes)
    expect(atFull).toEqual({ committed: 256, commits: 1, writes: 256, turnPassed: false })
    expect(since(before)).toEqual({ commits: 2, writes: 257 })
    expect(committedSkus()).toEqual(Array.from({ length: 257 }, (_, i) => `W-${i}`))
  })

  it('when writes of one batch fail, then each undoes only its own changes and the others are kept in the same commit', async () => {
    await insert(db, 'TAKEN')
    const before = snapshot()
    const results = await Promise.all([
      outcome(insert(db, 'KEPT-1')),
      // Fails at its second statement: its first is undone with it.
      outcome(
        db.transaction().execute(async (trx) => {
          await insert(trx, 'UNDONE-1')
          await insert(trx, 'TAKEN')
        }),
      ),
      outcome(insert(db, 'KEPT-2')),
      outcome(insert(db, 'TAKEN')),
      outcome(
        db.transaction().execute(async (trx) => {
          await insert(trx, 'UNDONE-2')
          throw new Error('refused by the use case')
        }),
      ),
      outcome(insert(db, 'KEPT-3')),
    ])
    expect(results).toEqual([
      'kept',
      'SQLITE_CONSTRAINT_UNIQUE',
      'kept',
      'SQLITE_CONSTRAINT_UNIQUE',
      'refused by the use case',
      'kept',
    ])
    expect(committedSkus()).toEqual(['TAKEN', 'KEPT-1', 'KEPT-2', 'KEPT-3'])
    expect(since(before)).toEqual({ commits: 1, writes: 3 })
  })

  it('when SQLite rolls a whole batch back (disk full), then its writers get the error and the next write, queued behind, begins a new batch and is kept', async () => {
    const sqlite = sqliteHandleOf(db)!
    await insert(db, 'seed')
    const before = snapshot()
    sqlite.pragma(`max_page_count = ${(sqlite.pragma('page_count', { simple: true }) as number) + 2}`)
    const results = Promise.all([
      outcome(insert(db, 'in-the-rolled-back-batch')),
      outcome(
        db.transaction().execute(async (trx) => {
          try {
            for (let i = 0; ; i++) await insert(trx, `big-${i}`, 'x'.repeat(200))
          } finally {
            sqlite.pragma('max_page_count = 1000000') // room again for the next write
          }
        }),
      ),
      // Already waiting for the connection, in the same turn: it would join the batch if it were reused.
      outcome(insert(db, 'next')),
    ])
    expect(await results).toEqual(['SQLITE_FULL', 'SQLITE_FULL', 'kept'])
    expect(committedSkus()).toEqual(['seed', 'next'])
    expect(since(before)).toEqual({ commits: 1, writes: 1 })
  })
})
