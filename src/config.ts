import { existsSync } from 'node:fs'
import { Type, type Static } from 'typebox'
import { Value } from 'typebox/value'

/** Signs webhooks when WEBHOOK_SECRET is not set, outside production; the client tools use it too. */
export const DEV_WEBHOOK_SECRET = 'dev-webhook-secret-change-me'

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
  REQUEST_TIMEOUT_MS: Type.Integer({
    default: 30_000,
    minimum: 1000,
    description: 'Longest a client may take to send a whole request; slower ones get 408.',
  }),
  KEEP_ALIVE_TIMEOUT_MS: Type.Integer({
    default: 72_000,
    minimum: 1000,
    description:
      "How long an idle keep-alive connection stays open. Keep it longer than the load balancer's idle timeout (60 s on most), so the balancer, not the service, closes idle connections.",
  }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({
    default: 10_000,
    minimum: 1000,
    description: 'On SIGTERM, how long in-flight requests may take to finish before the process exits anyway.',
  }),
  TRUST_PROXY: Type.String({
    default: 'false',
    pattern: '^\\S+$',
    description:
      'Behind a proxy or load balancer: `true` (trust X-Forwarded-For from any hop), a hop count, or comma-separated proxy addresses/CIDRs. Sets the client address used in logs and rate limits.',
  }),
  CORS_ORIGINS: Type.String({
    default: '',
    description: 'Comma-separated origins allowed to call the API from a browser (`*` for any). Empty: CORS off.',
  }),
  RATE_LIMIT_MAX: Type.Integer({
    default: 1000,
    minimum: 0,
    description:
      'Writes (POST, PUT, PATCH, DELETE) allowed per client per window; past it, 429 with Retry-After. 0: off.',
  }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ default: 60_000, minimum: 1000, description: 'The rate-limit window.' }),
  REDIS_URL: Type.String({
    default: '',
    description:
      'redis://HOST:6379: rate-limit counters shared by every instance. Empty: counted in memory, per instance.',
  }),
  API_KEYS: Type.String({
    default: '',
    description:
      'Comma-separated API keys. When set, product writes and order status changes need `Authorization: Bearer <key>`; reads, placing orders and the (HMAC-signed) webhook stay open.',
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
  readonly requestTimeoutMs: number
  readonly keepAliveTimeoutMs: number
  readonly shutdownTimeoutMs: number
  /** Fastify's trustProxy: false, true, a list of addresses, or a function trusting the first N hops. */
  readonly trustProxy: boolean | string[] | ((address: string, hop: number) => boolean)
  /** Empty: CORS off. */
  readonly corsOrigins: readonly string[]
  readonly rateLimit: { readonly max: number; readonly windowMs: number; readonly redisUrl: string }
  /** Empty: no API key needed. */
  readonly apiKeys: readonly string[]
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

  const secrets = list(env.WEBHOOK_SECRET)
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
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: env.KEEP_ALIVE_TIMEOUT_MS,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    corsOrigins: Object.freeze(list(env.CORS_ORIGINS)),
    rateLimit: Object.freeze({ max: env.RATE_LIMIT_MAX, windowMs: env.RATE_LIMIT_WINDOW_MS, redisUrl: env.REDIS_URL }),
    apiKeys: Object.freeze(list(env.API_KEYS)),
  })
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
}

function parseTrustProxy(value: string): Config['trustProxy'] {
  if (value === 'true' || value === 'false') return value === 'true'
  if (/^\d+$/.test(value)) {
    const hops = Number(value)
    return (_address, hop) => hop < hops
  }
  return list(value)
}

/** Loads `./.env` when there is one; variables already set in the environment win. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path)
}
