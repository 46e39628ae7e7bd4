import { describe, expect, it } from 'vitest'
import { TEST_DATABASE_URL } from '../helpers/database.js'
import { freePort, runScript } from '../helpers/processes.js'

/** Starts the server on `databaseUrl` and returns how it ended and what it said. */
async function startOn(databaseUrl: string) {
  const server = runScript({ PORT: String(await freePort()), DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' })
  const code = await server.exited
  return { code, output: server.output() }
}

const withUrl = (change: (url: URL) => void) => {
  const url = new URL(TEST_DATABASE_URL)
  change(url)
  return url.toString()
}

describe('start-up on PostgreSQL', () => {
  it('when the database does not exist, then one sentence says so and how to create it', async () => {
    const { code, output } = await startOn(withUrl((url) => (url.pathname = '/no_such_database_here')))
    expect(code).toBe(1)
    expect(output).toContain('Cannot start: DATABASE_URL=')
    expect(output).toContain('"no_such_database_here" does not exist')
    expect(output).toContain('createdb no_such_database_here')
    expect(output).not.toMatch(/^\s+at /m)
  })

  it('when the role does not exist, then one sentence names DATABASE_URL and the login', async () => {
    const { code, output } = await startOn(withUrl((url) => (url.username = 'no_such_role_here')))
    expect(code).toBe(1)
    expect(output).toContain('PostgreSQL refused the login')
    expect(output).toContain('no_such_role_here')
    expect(output).not.toMatch(/^\s+at /m)
  })
})
