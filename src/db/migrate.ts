import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely'
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

/**
 * The one Migrator used by the server start, `npm run db:migrate` and the tests. The run is one
 * immediate transaction (see connect.ts), so processes starting at once migrate one at a time.
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
