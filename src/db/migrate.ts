import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely'
import { isBusy } from './errors.js'
import * as initial from './migrations/0001_initial.js'

// Listed explicitly (not read from disk) so the same list works from src/ under tsx and vitest
// and from dist/ after a build. Add new migrations at the end; never edit a released one.
const migrations: Record<string, Migration> = {
  '0001_initial': initial,
}

const provider: MigrationProvider = {
  getMigrations: async () => migrations,
}

export class MigrationError extends Error {
  override name = 'MigrationError'
}

const BUSY_RETRIES = 20

/**
 * The one Migrator used by the server start, `npm run db:migrate` and the tests. Migrations run
 * in one transaction; when another process holds the database (two instances starting at once),
 * the attempt rolls back and is retried.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider })
  let result = await migrator.migrateToLatest()
  for (let attempt = 1; attempt < BUSY_RETRIES && result.error && isBusy(result.error); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt))
    result = await migrator.migrateToLatest()
  }
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')
    throw new MigrationError(`Migration ${failed?.migrationName ?? '(unknown)'} failed: ${String(result.error)}`, {
      cause: result.error,
    })
  }
  return result
}
