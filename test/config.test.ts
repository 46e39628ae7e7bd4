import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ConfigError, EnvSchema, loadConfig } from '../src/config.js'
import { sqlitePathFromUrl } from '../src/db/connect.js'

describe('configuration', () => {
  it('when nothing is set, then the documented defaults apply', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      env: 'development',
      host: '127.0.0.1',
      port: 8000,
      databaseUrl: 'sqlite:./data/store.db',
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
