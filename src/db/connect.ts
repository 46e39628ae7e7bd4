import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import SQLite from 'better-sqlite3'
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely'
import type { Database, Db } from './types.js'

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

export function openSqlite(path: string): SQLite.Database {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true })
  const sqlite = new SQLite(path)
  // WAL lets readers run beside the writer; FULL makes every acknowledged commit durable
  // (fsync of the WAL at commit), so an order answered with 201 survives a crash or power loss.
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = FULL')
  sqlite.pragma('foreign_keys = ON')
  // Another process holding the write lock (a migration, a second instance) is waited for, not failed.
  sqlite.pragma('busy_timeout = 5000')
  return sqlite
}

/**
 * SQLite's plain BEGIN takes the write lock only at the first write, so a transaction that read
 * first can fail when another process (a second instance, a migration, a seed) wrote meanwhile.
 * BEGIN IMMEDIATE takes the lock up front and waits for it (busy_timeout), so every transaction
 * runs as if alone. Within one process the driver already runs one transaction at a time on its
 * single connection.
 */
class ImmediateTransactionDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'))
  }
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

class SqliteImmediateDialect extends SqliteDialect {
  constructor(private readonly options: SqliteDialectConfig) {
    super(options)
  }

  override createDriver(): Driver {
    return new ImmediateTransactionDriver(this.options)
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlAdapter()
  }
}

export function createDb(databaseUrl: string): Db {
  const sqlite = openSqlite(sqlitePathFromUrl(databaseUrl))
  return new Kysely<Database>({ dialect: new SqliteImmediateDialect({ database: sqlite }) })
}
