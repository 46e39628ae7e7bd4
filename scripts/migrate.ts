/** `npm run db:migrate`: brings the database named by DATABASE_URL to the latest schema. */
import { ConfigError, loadConfig, loadDotEnv } from '../src/config.js'
import { createDb } from '../src/db/connect.js'
import { migrateToLatest } from '../src/db/migrate.js'

try {
  loadDotEnv()
  const config = loadConfig()
  const db = createDb(config.databaseUrl)
  try {
    const { results = [] } = await migrateToLatest(db)
    if (results.length === 0) console.log(`${config.databaseUrl}: already up to date`)
    for (const result of results) console.log(`${config.databaseUrl}: ${result.migrationName} ${result.status}`)
  } finally {
    await db.destroy()
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error)
  process.exitCode = 1
}
