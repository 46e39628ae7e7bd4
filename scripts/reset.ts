/** `npm run db:reset`: empties the development database (asks first unless --yes). */
import { existsSync, rmSync } from 'node:fs'
import { createInterface } from 'node:readline/promises'
import { sql } from 'kysely'
import { loadConfig, loadDotEnv, redactUrl, type Config } from '../src/config.js'
import { createDb, dialectOf, sqlitePathFromUrl } from '../src/db/connect.js'
import { migrateDatabase } from '../src/db/migrate.js'
import { parseCli, reportFailure } from './cli.js'

const USAGE = `
usage: npm run db:reset [-- --yes]

Empties the database named by DATABASE_URL (environment or .env; default sqlite:./data/store.db):
every product, order and webhook event is deleted and the schema is created afresh, as on a first
start. It asks before it deletes anything, unless --yes is given. It refuses when NODE_ENV is
production. Takes a second or two. Then \`npm run db:seed\` puts demo data back.
`
const { values } = parseCli(USAGE, { yes: { type: 'boolean', default: false } })

let config: Config | undefined
try {
  loadDotEnv()
  config = loadConfig()
  const where = redactUrl(config.database.url)
  if (config.env === 'production') {
    console.error(`${where}: NODE_ENV is production; db:reset only empties development databases.`)
    process.exit(1)
  }
  if (!values.yes && !(await confirm(`Delete every product, order and webhook event in ${where}? Type yes: `))) {
    console.error('Nothing deleted.')
    process.exit(1)
  }
  await emptyDatabase(config)
  const db = createDb(config.database)
  try {
    await migrateDatabase(config.database, db)
  } finally {
    await db.destroy()
  }
  console.log(`${where}: emptied; the schema is fresh`)
} catch (error) {
  reportFailure(error, config)
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    console.error('Not a terminal: pass --yes to reset without being asked.')
    return false
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr })
  try {
    return (await prompt.question(question)).trim().toLowerCase() === 'yes'
  } finally {
    prompt.close()
  }
}

/** SQLite: the file goes (with its WAL). PostgreSQL: every table of the service's schema goes. */
async function emptyDatabase({ database }: Config): Promise<void> {
  if (dialectOf(database.url) === 'sqlite') {
    const path = sqlitePathFromUrl(database.url)
    for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) rmSync(file)
    return
  }
  const db = createDb({ ...database, poolSize: 1 })
  try {
    const tables = await db.introspection.getTables({ withInternalKyselyTables: true })
    await db.transaction().execute(async (trx) => {
      for (const table of tables) {
        await sql`drop table if exists ${sql.table(`${table.schema ?? 'public'}.${table.name}`)} cascade`.execute(trx)
      }
    })
  } finally {
    await db.destroy()
  }
}
