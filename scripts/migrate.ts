/** `npm run db:migrate`: brings the database named by DATABASE_URL to the latest schema. */
import { ConfigError, loadConfig, loadDotEnv, redactUrl } from '../src/config.js'
import { createDb } from '../src/db/connect.js'
import { migrateDatabase } from '../src/db/migrate.js'

try {
  loadDotEnv()
  const config = loadConfig()
  const db = createDb(config.database)
  const where = redactUrl(config.database.url)
  try {
    const { results = [] } = await migrateDatabase(config.database, db)
    if (results.length === 0) console.log(`${where}: already up to date`)
    for (const result of results) console.log(`${where}: ${result.migrationName} ${result.status}`)
  } finally {
    await db.destroy()
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error)
  process.exitCode = 1
}
