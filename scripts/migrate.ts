/** `npm run db:migrate`: brings the database named by DATABASE_URL to the latest schema. */
import { loadConfig, loadDotEnv, redactUrl, type Config } from '../src/config.js'
import { createDb } from '../src/db/connect.js'
import { migrateDatabase } from '../src/db/migrate.js'
import { parseCli, reportFailure } from './cli.js'

parseCli(
  `
usage: npm run db:migrate

Applies the migrations the database named by DATABASE_URL (environment or .env; default
sqlite:./data/store.db) does not have yet, in one transaction. The service does the same at every
start; run this as a release step if you prefer. Safe to run twice, or from several machines at
once (they take turns). Takes a second or two.
`,
  {},
)

let config: Config | undefined
try {
  loadDotEnv()
  config = loadConfig()
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
  reportFailure(error, config)
}
