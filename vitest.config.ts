import pg from 'pg'
import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config'
import { redactUrl } from './src/config.js'

/*
 * The suite runs twice: on SQLite and on PostgreSQL (TEST_DATABASE_URL). Tests under test/sqlite/
 * and test/postgres/ are about one database only. Without a reachable PostgreSQL, a developer's
 * `npm test` runs the SQLite half and says so; in CI (CI=true) and in `npm run test:pg` the
 * PostgreSQL half is mandatory and its absence fails the run.
 */
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const postgresRequired = process.env.CI === 'true' || process.env.npm_lifecycle_event === 'test:pg'

/*
 * `npm run test:quick`: the inner loop, in seconds. SQLite only, and without the files below, each
 * of which spends its time on something slow (named beside it). `npm test` and CI run them all:
 * the quick project is defined only for this script (or with TEST_QUICK=1, e.g. `TEST_QUICK=1 npx
 * vitest` to watch), and then alone, so no run ever has a file twice.
 */
const quick = process.env.npm_lifecycle_event === 'test:quick' || process.env.TEST_QUICK === '1'
const SLOW_FILES: Record<string, string> = {
  'test/clients/**':
    'what users run, as they run it: headless Chromium, newman, promtool, the load and bench tools, the Docker dry run, the scripts as child processes',
  'test/instances.test.ts': 'server processes: up to four at once, a SIGKILL, three concurrent db:migrate runs',
  'test/shutdown.test.ts':
    'server processes stopped with SIGTERM under load and mid-request, waited for until they exit',
  'test/sqlite/durability.test.ts': 'a server process started in an empty folder, to see ./data/store.db created',
  'test/request-log.test.ts': 'a server process, for the log lines it writes',
  'test/rate-limit-default.test.ts': '5,000 writes (seconds of them), to show that no limit applies by default',
  'test/total-count.test.ts':
    '200,000 orders and 200,000 products inserted, so that counting them takes over 2 ms on any machine',
  'test/event-bus.test.ts': 'two server processes, and a private nats-server killed and restarted',
  'test/webhook-delivery-instances.test.ts':
    'server processes: one killed with SIGKILL mid-attempt and restarted, two sharing a database',
  'test/expiry.test.ts': 'two server processes sweeping one database, and shutdowns during a sweep',
}

async function postgresProblem(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('select 1')
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message || String(error) : String(error)
  } finally {
    await client.end().catch(() => {})
  }
}

export default defineConfig(async () => {
  // The quick run is SQLite only: PostgreSQL is neither probed nor missed.
  const problem = quick ? undefined : await postgresProblem()
  if (problem) {
    const where = redactUrl(TEST_DATABASE_URL)
    const message = `PostgreSQL is not reachable at ${where} (${problem}).`
    if (postgresRequired) throw new Error(`${message} The PostgreSQL tests are required here.`)
    const warning =
      `\n!! ${message}\n!! Skipped the PostgreSQL half of the suite; only SQLite was tested.\n` +
      `!! To run it: start PostgreSQL (pg_ctlcluster 15 main start) or set TEST_DATABASE_URL, then npm test` +
      ` (or npm run test:pg for that half alone).\n`
    // Vitest may load this file more than once: warn once now, and again under the summary.
    const flags = globalThis as { postgresWarned?: boolean }
    if (!flags.postgresWarned) {
      flags.postgresWarned = true
      console.warn(warning)
      process.once('exit', () => console.warn(warning))
    }
  }
  const shared = ['test/*.test.ts']
  const sqlite = {
    // test/clients/: what users run against a live server (browser, Postman, curl, smoke, client).
    include: [...shared, 'test/sqlite/*.test.ts', 'test/clients/*.test.ts'],
    env: { TEST_DIALECT: 'sqlite' },
  }
  const projects: TestProjectInlineConfiguration[] = []
  if (quick) {
    projects.push({
      extends: true,
      test: {
        name: 'quick',
        ...sqlite,
        exclude: [...configDefaults.exclude, ...Object.keys(SLOW_FILES)],
        // One module graph per worker instead of one per file (each file still starts its own app on
        // its own database): importing the app for every file took longer than the tests themselves.
        isolate: false,
      },
    })
  } else {
    projects.push({ extends: true, test: { name: 'sqlite', ...sqlite } })
  }
  if (!quick && !problem) {
    projects.push({
      extends: true,
      test: {
        name: 'postgres',
        include: [...shared, 'test/postgres/*.test.ts'],
        // Once is enough: no database involved (config), or a rule above the database (no rate limit
        // by default: 5,000 writes, which cost a minute of PostgreSQL round trips on a busy machine).
        exclude: ['test/config.test.ts', 'test/rate-limit-default.test.ts'],
        env: { TEST_DIALECT: 'postgres', TEST_DATABASE_URL },
        globalSetup: ['test/helpers/postgres-setup.ts'],
      },
    })
  }
  return {
    // Two workers even on two cores: much of the time goes to waiting on child processes and the database.
    test: { pool: 'forks', maxWorkers: 2, testTimeout: 30_000, hookTimeout: 30_000, reporters: ['default'], projects },
  }
})
