import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

export type TestDialect = 'sqlite' | 'postgres'

/** Which database this test run uses: vitest.config.ts sets it per project. */
export const TEST_DIALECT: TestDialect = process.env.TEST_DIALECT === 'postgres' ? 'postgres' : 'sqlite'

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

export interface TestDatabase {
  url: string
  /** Removes the database (the SQLite folder, or the PostgreSQL database). */
  drop: () => Promise<void>
}

/** A database of its own for one test file: a temp SQLite file, or a new PostgreSQL database. */
export async function createTestDatabase(dialect: TestDialect = TEST_DIALECT): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'orders-inventory-test-'))
    return {
      url: `sqlite:${join(dir, 'store.db')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    }
  }
  // The creation time in the name lets a later run recognise databases a crashed run left behind.
  const name = `oi_test_${Date.now()}_${Math.random().toString(36).slice(2, 10)}`
  await onServer((client) => client.query(`create database ${name} template template0`))
  const url = new URL(TEST_DATABASE_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: () => onServer((client) => client.query(`drop database if exists ${name} with (force)`)).then(() => {}),
  }
}

/** Runs `work` on one connection to TEST_DATABASE_URL (the maintenance database). */
export async function onServer<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}
