import { existsSync } from 'node:fs'
import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'

const DEV_WEBHOOK_SECRET = 'dev-webhook-secret-change-me'

/** Every environment variable the service reads, declared once: type, default, description. */
export const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
    description: 'Runtime mode. In production the service refuses to start without WEBHOOK_SECRET.',
  }),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1, description: 'Interface to listen on.' }),
  PORT: Type.Integer({ default: 8000, minimum: 0, maximum: 65535, description: 'TCP port to listen on.' }),
  DATABASE_URL: Type.String({
    default: 'sqlite:./data/store.db',
    minLength: 1,
    description:
      'sqlite:PATH for an embedded SQLite file (the default: ./data/store.db), or postgres://USER:PASSWORD@HOST:PORT/DB (also postgresql://) for PostgreSQL.',
  }),
  DATABASE_POOL_SIZE: Type.Integer({
    default: 10,
    minimum: 1,
    maximum: 1000,
    description: 'PostgreSQL: connections per instance (instances × pool size must stay under max_connections).',
  }),
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Integer({
    default: 5000,
    minimum: 0,
    description:
      'PostgreSQL: longest a query may run before the server cancels it (0: no limit). Migrations have none.',
  }),
  DATABASE_CONNECT_TIMEOUT_MS: Type.Integer({
    default: 5000,
    minimum: 100,
    description: 'PostgreSQL: longest wait for a connection (new or from a busy pool); past it the request gets 503.',
  }),
  WEBHOOK_SECRET: Type.String({
    default: '',
    description:
      'HMAC-SHA256 secret(s) for POST /webhooks/payment, comma-separated for rotation. Required in production.',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info', description: 'pino log level.' },
  ),
  BODY_LIMIT: Type.Integer({
    default: 1_048_576,
    minimum: 1024,
    maximum: 104_857_600,
    description: 'Largest accepted request body in bytes; larger bodies get 413.',
  }),
})

export type Env = Static<typeof EnvSchema>

export interface Config {
  readonly env: Env['NODE_ENV']
  readonly host: string
  readonly port: number
  readonly database: DatabaseConfig
  readonly webhookSecrets: readonly string[]
  /** True when no WEBHOOK_SECRET was given and the development secret is in use. */
  readonly usingDevWebhookSecret: boolean
  readonly logLevel: Env['LOG_LEVEL']
  readonly bodyLimit: number
}

export interface DatabaseConfig {
  readonly url: string
  /** PostgreSQL only, like the two timeouts. */
  readonly poolSize: number
  readonly statementTimeoutMs: number
  readonly connectTimeoutMs: number
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@]*@/i, '$1***@')
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Parses and validates the environment once; throws ConfigError with every problem listed. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = source[key]
    if (value !== undefined && value !== '') raw[key] = value.trim()
  }
  const env = Value.Convert(EnvSchema, Value.Default(EnvSchema, raw)) as Env
  const lines = Value.Errors(EnvSchema, env).map((error) => {
    const key = error.instancePath.replace(/^\//, '') || '(environment)'
    return `  ${key}=${JSON.stringify(raw[key] ?? '')}: ${error.message}`
  })
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(env.DATABASE_URL)) {
    lines.push(
      `  DATABASE_URL=${JSON.stringify(redactUrl(env.DATABASE_URL))}: expected sqlite:PATH or postgres://USER@HOST:PORT/DB`,
    )
  }
  if (lines.length > 0) throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)

  const secrets = env.WEBHOOK_SECRET.split(',')
    .map((secret) => secret.trim())
    .filter((secret) => secret.length > 0)
  if (env.NODE_ENV === 'production' && secrets.length === 0) {
    throw new ConfigError('Invalid configuration:\n  WEBHOOK_SECRET is required when NODE_ENV=production')
  }

  return Object.freeze({
    env: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    database: Object.freeze({
      url: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
    }),
    webhookSecrets: Object.freeze(secrets.length > 0 ? secrets : [DEV_WEBHOOK_SECRET]),
    usingDevWebhookSecret: secrets.length === 0,
    logLevel: env.LOG_LEVEL,
    bodyLimit: env.BODY_LIMIT,
  })
}

/** Loads `./.env` when there is one; variables already set in the environment win. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path)
}
