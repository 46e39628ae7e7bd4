import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
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

export function createDb(databaseUrl: string): Db {
  const sqlite = openSqlite(sqlitePathFromUrl(databaseUrl))
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) })
}
