import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import SQLite from 'better-sqlite3'
import {
  Kysely,
  PostgresDialect,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type Dialect as KyselyDialect,
  type DialectAdapter,
  type KyselyPlugin,
  type PostgresPool,
  type PostgresPoolClient,
} from 'kysely'
import pg from 'pg'
import type { DatabaseConfig } from '../config.js'
import { GroupCommitDriver, type CommitStats } from './group-commit.js'
import type { Database, Db } from './types.js'

export type Dialect = 'sqlite' | 'postgres'

export function dialectOf(url: string): Dialect {
  return /^postgres(ql)?:\/\//.test(url) ? 'postgres' : 'sqlite'
}

export class UnsupportedDatabaseUrlError extends Error {
  override name = 'UnsupportedDatabaseUrlError'
}

/**
 * `sqlite:PATH` -> PATH. The SQLAlchemy forms used by FastAPI deployments mean the same:
 * `sqlite:///./store.db` is relative, `sqlite:////var/lib/store.db` absolute.
 */
export function sqlitePathFromUrl(url: string): string {
  const match = /^sqlite:(?:\/\/\/|\/\/)?(.+)$/.exec(url)
  if (!match?.[1]) {
    throw new UnsupportedDatabaseUrlError(
      `Unsupported DATABASE_URL "${url}": expected sqlite:PATH (for example sqlite:./data/store.db)`,
    )
  }
  return match[1]
}

/**
 * Switching a new file to WAL takes an exclusive lock, and SQLite answers SQLITE_BUSY at once,
 * without its busy handler, when another process opening the same file holds a lock (two instances
 * started together on a new database): tried again for up to 5 s. Only at start, so a blocking wait.
 */
function retryWhileBusy(step: () => unknown): void {
  const deadline = Date.now() + 5000
  for (let delayMs = 5; ; delayMs = Math.min(delayMs * 2, 100)) {
    try {
      step()
      return
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delayMs)
    }
  }
}

export function openSqlite(path: string): SQLite.Database {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true })
  const sqlite = new SQLite(path)
  // WAL lets readers run beside the writer; FULL makes every acknowledged commit durable
  // (fsync of the WAL at commit), so an order answered with 201 survives a crash or power loss.
  retryWhileBusy(() => sqlite.pragma('journal_mode = WAL'))
  sqlite.pragma('synchronous = FULL')
  sqlite.pragma('foreign_keys = ON')
  // Every write runs in a savepoint of the group commit's batch (group-commit.ts), and SQLite keeps
  // the pages a savepoint changes, to undo it, in a statement journal: a temporary file by
  // default, written to on every page a write touches first. In memory it is a copy: an order with
  // its line, movement and event cost 60 µs of SQLite's time with the file, 33 in memory. Temporary
  // tables and sorts live in memory too; the service's queries sort through indexes.
  sqlite.pragma('temp_store = memory')
  // A statement that finds the file locked by another process (a migration, a second instance) waits
  // up to 5 s, not failing at once. Except the group commit's BEGIN IMMEDIATE, the one statement
  // that waits for the write lock: it waits off the event loop instead (group-commit.ts).
  sqlite.pragma('busy_timeout = 5000')
  return sqlite
}

/**
 * SQLite does run DDL inside transactions; saying so makes Kysely's Migrator wrap the whole
 * migration run in one (immediate) transaction: processes starting at once migrate one after the
 * other, and a crash half-way leaves the schema as it was.
 */
class TransactionalDdlAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true
  }
}

/**
 * SQLite through the group-commit driver (group-commit.ts). Its batches begin with BEGIN
 * IMMEDIATE: SQLite's plain BEGIN takes the write lock only at the first write, so a transaction
 * that read first could fail when another process (a second instance, a migration, a seed) wrote
 * meanwhile; IMMEDIATE takes the lock up front. While another process holds it, the writer waits
 * without blocking the event loop, up to DATABASE_CONNECT_TIMEOUT_MS (then SQLITE_BUSY: 503).
 */
function sqliteGroupCommitDialect(driver: GroupCommitDriver): KyselyDialect {
  return {
    createDriver: () => driver,
    createAdapter: () => new TransactionalDdlAdapter(),
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createIntrospector: (db) => new SqliteIntrospector(db),
  }
}

/**
 * SQLite has no row locks: a transaction already holds the whole database's write lock from its
 * first statement (BEGIN IMMEDIATE), which is stronger. So `FOR UPDATE` (and `SKIP LOCKED`), which
 * the repositories use for PostgreSQL, are dropped here rather than rejected as a syntax error.
 */
const ROW_LOCKS = new Set(['ForUpdate', 'ForShare', 'ForKeyShare', 'ForNoKeyUpdate', 'SkipLocked', 'NoWait'])
const withoutRowLocks: KyselyPlugin = {
  transformQuery: ({ node }) => {
    if (node.kind !== 'SelectQueryNode' || !node.endModifiers) return node
    return { ...node, endModifiers: node.endModifiers.filter((modifier) => !ROW_LOCKS.has(modifier.modifier ?? '')) }
  },
  transformResult: async ({ result }) => result,
}

const INT8 = 20
const TIMESTAMPTZ = 1184
const parseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ)

/**
 * Values come back from PostgreSQL as they do from SQLite: bigint ids and counts as numbers
 * (ids stay below 2^53, see the Id schema) and timestamps as ISO 8601 strings.
 */
const postgresTypes = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8) return (value: string) => Number(value)
    if (oid === TIMESTAMPTZ) return (value: string) => (parseTimestamptz(value) as Date).toISOString()
    return pg.types.getTypeParser(oid, format)
  },
} as pg.CustomTypesConfig

export interface CreateDbOptions {
  /** Called when an idle pooled connection breaks (the server restarted, the network dropped). */
  onIdleConnectionError?: (error: Error) => void
  /** Receives the PostgreSQL pool, for its gauges (connections in use, requests waiting). */
  onPool?: (pool: pg.Pool) => void
}

function createPool(config: DatabaseConfig, options: CreateDbOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize,
    connectionTimeoutMillis: config.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    // Dead peers of idle connections are noticed within about a minute, not two hours.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: 'orders-inventory',
    ...(config.synchronousCommit !== undefined && { options: `-c synchronous_commit=${config.synchronousCommit}` }),
    ...(config.statementTimeoutMs > 0 && {
      statement_timeout: config.statementTimeoutMs,
      // The server enforces statement_timeout only while it runs; a server that stopped answering
      // (stalled, partitioned) is given up on by the client a second later.
      query_timeout: config.statementTimeoutMs + 1000,
    }),
    types: postgresTypes,
  })
  // A connection that drops emits 'error'; without a listener that would crash the process. The
  // pool hears it for idle connections; a connection in use also fails its query, which is the
  // error that matters (the request gets 503), so its event is only swallowed. Either way the pool
  // discards the connection and opens a new one when next needed: the service recovers by itself.
  pool.on('error', (error) => options.onIdleConnectionError?.(error))
  pool.on('connect', (client) => client.on('error', () => {}))
  return pool
}

/**
 * The pool as Kysely sees it, except that a connection whose round trip failed without an answer
 * from the server (a client-side timeout, a dropped socket) is destroyed on release instead of
 * being reused: its state is unknown, and a late reply could otherwise reach the next query.
 * Errors the server answered with (a SQLSTATE code) leave the connection usable.
 */
function discardingBrokenConnections(pool: pg.Pool, prepared: boolean): PostgresPool {
  return {
    connect: async () => {
      const client = await pool.connect()
      let broken: Error | undefined
      const query = (...args: Parameters<pg.PoolClient['query']>) => {
        if (prepared) args = asPrepared(args)
        const result = (client.query as (...a: unknown[]) => unknown)(...args)
        if (result instanceof Promise) {
          result.catch((error: unknown) => {
            const code = (error as { code?: unknown } | null)?.code
            if (!(typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code))) broken = error as Error
          })
        }
        return result
      }
      return { query, release: () => client.release(broken) } as unknown as PostgresPoolClient
    },
    end: () => pool.end(),
  }
}

// Named prepared statements: each SQL text gets a name the first time, and each connection parses
// and plans a named statement once (pg sends Parse only the first time on that connection),
// instead of on every query: the one-statement order is five statements in one, costly to plan.
// The service runs a small, fixed set of texts; past MAX_PREPARED (SQL built with a varying number
// of values) texts run unnamed. Schema changes (DDL) are never prepared; migrations run before the
// pool serves any query.
const MAX_PREPARED = 500
const preparedNames = new Map<string, string>()

function asPrepared(args: unknown[]): Parameters<pg.PoolClient['query']> {
  const [text, values] = args
  if (typeof text !== 'string' || !(values === undefined || Array.isArray(values)) || args.length > 2) {
    return args as Parameters<pg.PoolClient['query']>
  }
  let name = preparedNames.get(text)
  if (name === undefined) {
    if (preparedNames.size >= MAX_PREPARED || !/^\s*(select|insert|update|delete|with)\b/i.test(text)) {
      return args as Parameters<pg.PoolClient['query']>
    }
    name = `s${preparedNames.size + 1}`
    preparedNames.set(text, name)
  }
  return [{ name, text, values: values as unknown[] | undefined }] as unknown as Parameters<pg.PoolClient['query']>
}

// The SQLite handle and driver behind each Kysely instance, by its adapter: transactions and
// connections of an instance share its adapter object.
const sqliteHandles = new WeakMap<DialectAdapter, { sqlite: SQLite.Database; driver: GroupCommitDriver }>()

/** The better-sqlite3 handle under `db` (or a transaction or connection of it); undefined on PostgreSQL. */
export function sqliteHandleOf(db: Db): SQLite.Database | undefined {
  return sqliteHandles.get(db.getExecutor().adapter)?.sqlite
}

/** SQLite's commits so far and the writes they carried; undefined on PostgreSQL. */
export function sqliteCommitStats(db: Db): CommitStats | undefined {
  return sqliteHandles.get(db.getExecutor().adapter)?.driver.stats
}

/** One Kysely instance over SQLite or PostgreSQL, chosen by the URL's scheme. */
export function createDb(config: DatabaseConfig, options: CreateDbOptions = {}): Db {
  if (dialectOf(config.url) === 'postgres') {
    const raw = createPool(config, options)
    options.onPool?.(raw)
    const pool = discardingBrokenConnections(raw, config.preparedStatements ?? true)
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  }
  const sqlite = openSqlite(sqlitePathFromUrl(config.url))
  const driver = new GroupCommitDriver(sqlite, { lockTimeoutMs: config.connectTimeoutMs })
  const db = new Kysely<Database>({ dialect: sqliteGroupCommitDialect(driver), plugins: [withoutRowLocks] })
  sqliteHandles.set(db.getExecutor().adapter, { sqlite, driver })
  return db
}
