import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, dotEnvProblems, EnvSchema, loadConfig, redactUrl } from '../src/config.js'
import { sqlitePathFromUrl } from '../src/db/connect.js'
import { freePort, runScript } from './helpers/processes.js'

describe('configuration', () => {
  it('when nothing is set, then the documented defaults apply', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      env: 'development',
      host: '127.0.0.1',
      port: 8000,
      database: { url: 'sqlite:./data/store.db', poolSize: 10, statementTimeoutMs: 5000, connectTimeoutMs: 5000 },
      bodyLimit: 1_048_576,
      usingDevWebhookSecret: true,
    })
    expect(Object.isFrozen(config)).toBe(true)
  })

  it('when WEBHOOK_SECRET lists several secrets, then each is kept, trimmed', () => {
    expect(loadConfig({ WEBHOOK_SECRET: ' a , b,,c ' }).webhookSecrets).toEqual(['a', 'b', 'c'])
  })

  it('when values are wrong, then one error lists them all', () => {
    expect(() => loadConfig({ PORT: '70000', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' })).toThrow(ConfigError)
    try {
      loadConfig({ PORT: '70000', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' })
    } catch (error) {
      expect(String(error)).toMatch(/PORT[\s\S]*LOG_LEVEL[\s\S]*DATABASE_URL/)
    }
  })

  it('when DATABASE_URL names PostgreSQL, then both schemes and the pool settings are accepted', () => {
    for (const url of ['postgres://app:pw@db:5432/store', 'postgresql://app@db/store?sslmode=require']) {
      expect(loadConfig({ DATABASE_URL: url }).database.url).toBe(url)
    }
    const tuned = loadConfig({
      DATABASE_URL: 'postgres://db/store',
      DATABASE_POOL_SIZE: '25',
      DATABASE_STATEMENT_TIMEOUT_MS: '0',
      DATABASE_CONNECT_TIMEOUT_MS: '2000',
    }).database
    expect(tuned).toMatchObject({ poolSize: 25, statementTimeoutMs: 0, connectTimeoutMs: 2000 })
    expect(() => loadConfig({ DATABASE_POOL_SIZE: '0' })).toThrow(/DATABASE_POOL_SIZE/)
  })

  it('when a database URL holds a password, then messages show it masked', () => {
    expect(redactUrl('postgres://app:s3cret@db:5432/store')).toBe('postgres://app:***@db:5432/store')
    expect(redactUrl('postgresql://app@db/store')).toBe('postgresql://app@db/store')
    expect(() => loadConfig({ DATABASE_URL: 'mysql://app:s3cret@db/store' })).toThrow(/^(?![\s\S]*s3cret)/)
  })

  it('when DATABASE_URL uses the SQLAlchemy forms, then relative and absolute paths mean what they meant', () => {
    expect(sqlitePathFromUrl('sqlite:./data/store.db')).toBe('./data/store.db')
    expect(sqlitePathFromUrl('sqlite:///./test.db')).toBe('./test.db')
    expect(sqlitePathFromUrl('sqlite:///store.db')).toBe('store.db')
    expect(sqlitePathFromUrl('sqlite:////var/lib/store.db')).toBe('/var/lib/store.db')
  })

  it('when the README documents configuration, then its table lists exactly the declared variables', () => {
    const readme = readFileSync('README.md', 'utf8')
    const section = readme.split('## Configuration')[1]?.split('\n## ')[0] ?? ''
    const documented = [...section.matchAll(/^\| `([A-Z_]+)`\s*\|/gm)].map((m) => m[1])
    expect(documented.sort()).toEqual(Object.keys(EnvSchema.properties).sort())
  })
})

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

describe('WEBHOOK_SECRET', () => {
  it('when a whsec_ secret is not followed by base64, then start-up fails naming WEBHOOK_SECRET', () => {
    expect(() => loadConfig({ WEBHOOK_SECRET: 'whsec_not base64!' })).toThrow(/WEBHOOK_SECRET/)
    expect(
      loadConfig({ WEBHOOK_SECRET: `whsec_${Buffer.from('x'.repeat(32)).toString('base64')}` }).webhookSecrets,
    ).toHaveLength(1)
  })
})

describe('.env files', () => {
  it('when lines are comments, exports, quoted or multi-line values, then nothing is reported', () => {
    expect(dotEnvProblems('# comment\n\nexport A=1\nB="two words"\nC=\'x\'\nD="multi\nline"\nE=\n')).toEqual([])
  })
})
