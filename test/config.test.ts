import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ConfigError, dotEnvProblems, EnvSchema, loadConfig, redactUrl } from '../src/config.js'
import { sqlitePathFromUrl } from '../src/db/connect.js'

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
