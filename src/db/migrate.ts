import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely'
import type { DatabaseConfig } from '../config.js'
import { createDb, dialectOf } from './connect.js'
import * as initial from './migrations/0001_initial.js'
import * as largePrices from './migrations/0002_large_prices.js'
import * as orderLines from './migrations/0003_order_lines.js'
import * as idempotencyKeys from './migrations/0004_idempotency_keys.js'
import * as ledgerAndHolds from './migrations/0005_ledger_and_holds.js'
import * as eventsAndWebhooks from './migrations/0006_events_and_webhooks.js'
import * as catalogueNotify from './migrations/0007_catalogue_notify.js'

// Listed explicitly (not read from disk) so the same list works from src/ under tsx and vitest
// and from dist/ after a build. Add new migrations at the end; never edit a released one.
const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_large_prices': largePrices,
  '0003_order_lines': orderLines,
  '0004_idempotency_keys': idempotencyKeys,
  '0005_ledger_and_holds': ledgerAndHolds,
  '0006_events_and_webhooks': eventsAndWebhooks,
  '0007_catalogue_notify': catalogueNotify,
}

/** Every migration, in the order they run. */
export const MIGRATION_NAMES = Object.keys(migrations)

const provider: MigrationProvider = {
  getMigrations: async () => migrations,
}

export class MigrationError extends Error {
  override name = 'MigrationError'
}

/**
 * The one Migrator used by the server start, `npm run db:migrate` and the tests. Instances starting
 * at once migrate one at a time: on SQLite the run is one immediate transaction (see connect.ts);
 * on PostgreSQL Kysely's adapter holds an advisory lock (pg_advisory_lock) on the migration's
 * connection for the whole run, which is also one transaction (PostgreSQL has transactional DDL).
 * Whoever comes second finds the migrations applied and does nothing.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  const result = await new Migrator({ db, provider }).migrateToLatest()
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')
    throw new MigrationError(`Migration ${failed?.migrationName ?? '(unknown)'} failed: ${String(result.error)}`, {
      cause: result.error,
    })
  }
  return result
}

/** Migrates up (or down) to the named migration: for tests that write data with an older schema. */
export async function migrateTo(db: Kysely<any>, name: keyof typeof migrations): Promise<MigrationResultSet> {
  const result = await new Migrator({ db, provider }).migrateTo(name)
  if (result.error)
    throw new MigrationError(`Migration to ${name} failed: ${String(result.error)}`, { cause: result.error })
  return result
}

/**
 * Migrates the database `config` names. On PostgreSQL the run gets a connection of its own without
 * the statement timeout: waiting for another instance's lock, or building an index on a large
 * table, may take longer than any request should.
 */
export async function migrateDatabase(config: DatabaseConfig, db: Kysely<any>): Promise<MigrationResultSet> {
  if (dialectOf(config.url) !== 'postgres') return migrateToLatest(db)
  const own = createDb({ ...config, poolSize: 1, statementTimeoutMs: 0 })
  try {
    return await migrateToLatest(own)
  } finally {
    await own.destroy()
  }
}
