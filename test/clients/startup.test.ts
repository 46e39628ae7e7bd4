import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { freePort, runScript } from '../helpers/processes.js'

/*
 * The service started as a user starts it, with the mistakes people make: each must end in one
 * sentence naming the setting and what to do, never a stack trace.
 */
describe('start-up', () => {
  async function startIn(env: Record<string, string>, files: Record<string, string> = {}) {
    const cwd = mkdtempSync(join(tmpdir(), 'orders-inventory-conf-'))
    for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text)
    const server = runScript({ PORT: String(await freePort()), ...env }, { cwd })
    const code = await server.exited
    rmSync(cwd, { recursive: true, force: true })
    return { code, output: server.output() }
  }
  /** A message for a person: no stack trace, no error class dump. */
  const expectNoStackTrace = (output: string) => {
    expect(output).not.toMatch(/^\s+at /m)
    expect(output).not.toMatch(/Error:|\{\s*$/m)
  }

  it('when the port is in use, then one sentence names PORT and what to do', async () => {
    const busy = createServer()
    await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done))
    try {
      const port = (busy.address() as AddressInfo).port
      const { code, output } = await startIn({ PORT: String(port), LOG_LEVEL: 'warn' })
      expect(code).toBe(1)
      expect(output).toContain(`Cannot start: PORT=${port}: the port is already in use`)
      expectNoStackTrace(output)
    } finally {
      busy.close()
    }
  })

  it('when HOST is not an address of this machine, then one sentence names HOST', async () => {
    const { code, output } = await startIn({ HOST: 'not-a-host.invalid', LOG_LEVEL: 'warn' })
    expect(code).toBe(1)
    expect(output).toContain('Cannot start: HOST=not-a-host.invalid: cannot listen on this address')
    expectNoStackTrace(output)
  })

  it('when nothing answers at the database address, then one sentence names DATABASE_URL, redacted', async () => {
    const port = await freePort()
    const { code, output } = await startIn({
      DATABASE_URL: `postgres://app:s3cret@127.0.0.1:${port}/orders`,
      LOG_LEVEL: 'warn',
    })
    expect(code).toBe(1)
    expect(output).toContain(`Cannot start: DATABASE_URL=postgres://app:***@127.0.0.1:${port}/orders: nothing answers`)
    expect(output).not.toContain('s3cret')
    expectNoStackTrace(output)
  })

  it('when the SQLite path cannot be created, then one sentence names DATABASE_URL', async () => {
    const { code, output } = await startIn(
      { DATABASE_URL: 'sqlite:./a-file/x.db', LOG_LEVEL: 'warn' },
      { 'a-file': 'not a folder' },
    )
    expect(code).toBe(1)
    expect(output).toContain('Cannot start: DATABASE_URL=sqlite:./a-file/x.db: cannot open or create the SQLite file')
    expectNoStackTrace(output)
  })

  it('when values are accepted by type but cannot work, then each is refused with what to write instead', async () => {
    const { code, output } = await startIn({
      LOG_LEVEL: 'verbose',
      SHUTDOWN_TIMEOUT_MS: '1.5',
      TRUST_PROXY: 'maybe',
      CORS_ORIGINS: 'example.com',
      REDIS_URL: 'localhost:6379',
    })
    expect(code).toBe(1)
    expect(output).toContain('LOG_LEVEL="verbose": must be one of fatal, error, warn, info, debug, trace, silent')
    expect(output.match(/LOG_LEVEL/g)).toHaveLength(1)
    expect(output).toContain('SHUTDOWN_TIMEOUT_MS="1.5": must be a whole number')
    expect(output).toContain('TRUST_PROXY="maybe"')
    expect(output).toContain('CORS_ORIGINS="example.com"')
    expect(output).toContain('REDIS_URL="localhost:6379"')
    expectNoStackTrace(output)
  })

  it('when production gets a webhook secret shorter than 16 bytes, then it refuses to start', async () => {
    const { code, output } = await startIn({ NODE_ENV: 'production', WEBHOOK_SECRET: 'short' })
    expect(code).toBe(1)
    expect(output).toContain('WEBHOOK_SECRET: in production each secret must be at least 16 bytes')
  })

  it('when a .env line is malformed, then its line is reported and the service does not start on half a file', async () => {
    const { code, output } = await startIn({}, { '.env': 'PORT=1\nthis is junk\nLOG_LEVEL="warn\n' })
    expect(code).toBe(1)
    expect(output).toContain('line 2: expected NAME=value')
    expect(output).toContain('line 3: the quoted value of LOG_LEVEL is never closed')
    expectNoStackTrace(output)
  })

  it('when NODE_ENV=production has no WEBHOOK_SECRET, then the service refuses to start', async () => {
    const { code, output } = await startIn({ NODE_ENV: 'production' })
    expect(code).not.toBe(0)
    expect(output).toContain('WEBHOOK_SECRET is required')
  })

  it('when a variable has a bad value, then start-up fails naming it', async () => {
    const { code, output } = await startIn({ PORT: 'eighty', BODY_LIMIT: '-1' })
    expect(code).not.toBe(0)
    expect(output).toContain('PORT')
    expect(output).toContain('BODY_LIMIT')
  })
})
