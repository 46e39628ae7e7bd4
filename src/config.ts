import { existsSync, readFileSync } from 'node:fs'
import { isIP } from 'node:net'
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
  DATABASE_PREPARED_STATEMENTS: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'true',
    description:
      'PostgreSQL: prepare each SQL text once per connection (named statements) instead of parsing and planning it on every query. Set false behind a pooler in transaction mode that does not support them.',
  }),
  DATABASE_SYNCHRONOUS_COMMIT: Type.Union(
    ['on', 'remote_apply', 'remote_write', 'local', 'off'].map((value) => Type.Literal(value)),
    {
      default: 'on',
      description:
        "PostgreSQL: the service's sessions' synchronous_commit. `on` (the default) answers a write once its commit is on disk; `off` answers sooner and may lose the last commits of a server crash (never corrupts).",
    },
  ),
  DATABASE_CONNECT_TIMEOUT_MS: Type.Integer({
    default: 5000,
    minimum: 100,
    description:
      "Longest wait for the database: PostgreSQL, for a connection (new or from a busy pool); SQLite, for the file's write lock held by another process. Past it the request gets 503.",
  }),
  WEBHOOK_SECRET: Type.String({
    default: '',
    description:
      'HMAC-SHA256 secret(s) for POST /webhooks/payment, comma-separated for rotation (a `whsec_<base64>` secret is used decoded for Standard Webhooks signatures). Required in production.',
  }),
  WEBHOOK_TOLERANCE_SECONDS: Type.Integer({
    default: 300,
    minimum: 1,
    maximum: 86_400,
    description:
      'Standard Webhooks deliveries: a `webhook-timestamp` further than this from now is refused (403), so a captured delivery cannot be replayed later.',
  }),
  CURRENCY: Type.String({
    default: 'USD',
    pattern: '^[A-Z]{3}$',
    'x-expected': 'must be a three-letter ISO 4217 code in capitals, such as USD or EUR',
    description: "The store's currency (ISO 4217): a payment webhook naming another currency is refused (422).",
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
    description:
      'Behind a proxy or load balancer: `true` (the one proxy in front: the client is the right-most X-Forwarded-For entry), a hop count, or comma-separated proxy addresses/CIDRs. Sets the client address used in logs and rate limits, and lets X-Forwarded-Proto/-Host (checked) into Link headers.',
  }),
  CORS_ORIGINS: Type.String({
    default: '',
    description: 'Comma-separated origins allowed to call the API from a browser (`*` for any). Empty: CORS off.',
  }),
  RATE_LIMIT_MAX: Type.Integer({
    default: 0,
    minimum: 0,
    description:
      'Writes (POST, PUT, PATCH, DELETE) allowed per client per window, counted per API key name, else per client address; past it, 429 with Retry-After. 0 (the default): no rate limiting.',
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
      'Comma-separated `NAME:SCOPE:KEY` entries, scope `read`, `orders` or `admin` (a bare `KEY` is an admin key named key1, key2... by its place in the list). When set, every API route needs `Authorization: Bearer <key>` of a sufficient scope.',
  }),
  PENDING_ORDER_TTL_SECONDS: Type.Integer({
    default: 0,
    minimum: 0,
    maximum: 604_800,
    description:
      'How long a new order holds its stock unpaid: past it, the service cancels it (cancel_reason "expired") and returns the stock. 0: orders never expire (an order may still ask for expires_in_seconds).',
  }),
  RECONCILIATION_INTERVAL_SECONDS: Type.Integer({
    default: 300,
    minimum: 0,
    maximum: 86_400,
    description:
      "How often each instance checks that every product's stock equals the sum of its ledger movements (the inventory_ledger_mismatches metric and its alert). 0: only when GET /inventory/reconciliation is called.",
  }),
  HEADERS_TIMEOUT_MS: Type.Integer({
    default: 10_000,
    minimum: 1000,
    maximum: 300_000,
    description:
      'A connection that has not sent a complete request head this long after it opened (or after its last response) is closed, so idle sockets cannot pile up.',
  }),
  PUBLIC_URL: Type.String({
    default: '',
    'x-expected': 'must be an origin such as https://api.shop.example (http or https, no path)',
    pattern: '^(https?://[^/?#\\s]+)?$',
    description:
      'The base URL clients use (`https://api.shop.example`): `Link` headers are built from it. Empty: from the request, with proxy headers only under TRUST_PROXY.',
  }),
  EVENT_RETENTION_DAYS: Type.Integer({
    default: 30,
    minimum: 1,
    maximum: 3650,
    description:
      'Events older than this are purged (with their deliveries and attempts), except those with a delivery still pending or not yet published to the event bus.',
  }),
  WEBHOOK_TIMEOUT_MS: Type.Integer({
    default: 10_000,
    minimum: 100,
    maximum: 120_000,
    description: 'Outbound webhooks: an attempt not answered with a 2xx within this time fails and is retried.',
  }),
  WEBHOOK_RETRY_SCHEDULE: Type.String({
    default: '5,30,120,600,1800,3600,10800,21600,43200,86400',
    pattern: '^\\s*\\d+(\\.\\d+)?(\\s*,\\s*\\d+(\\.\\d+)?)*\\s*$',
    'x-expected': 'must be seconds separated by commas, such as 5,30,120',
    description:
      'Outbound webhooks: seconds to wait before each retry after a failed attempt (up to 10% jitter added); after the last one the delivery is failed.',
  }),
  WEBHOOK_ALLOW_PRIVATE_URLS: Type.Union([Type.Literal('false'), Type.Literal('true')], {
    default: 'false',
    description:
      'Allow webhook endpoints on loopback, private or link-local addresses in production (always allowed in development and test).',
  }),
  WEBHOOK_CONCURRENCY: Type.Integer({
    default: 16,
    minimum: 1,
    maximum: 256,
    description: 'Outbound webhooks: attempts in flight at once per instance, over all endpoints.',
  }),
  WEBHOOK_CONCURRENCY_PER_ENDPOINT: Type.Integer({
    default: 4,
    minimum: 1,
    maximum: 64,
    description: 'Outbound webhooks: attempts in flight at once per instance to one endpoint.',
  }),
  SECRETS_ENCRYPTION_KEY: Type.String({
    default: '',
    description:
      'Any long random string: webhook endpoint secrets are then stored encrypted (AES-256-GCM), so a database dump alone cannot sign a delivery. Keep it outside the database; losing it means rotating every endpoint secret.',
  }),
  EVENT_BUS_URL: Type.String({
    default: '',
    pattern: '^(nats://\\S+)?$',
    'x-expected': 'must be nats://HOST:4222 (several servers comma-separated) or empty',
    description:
      'nats://HOST:4222: every event is also published to NATS JetStream, subject orders-inventory.<event type>, with the event id as Nats-Msg-Id. Empty: no event bus.',
  }),
  EVENT_BUS_STREAM: Type.String({
    default: 'ORDERS_INVENTORY',
    pattern: '^[A-Za-z0-9_-]{1,64}$',
    'x-expected': 'must be a JetStream stream name: letters, digits, _ and -',
    description: 'The JetStream stream that holds the subjects <EVENT_BUS_SUBJECT_PREFIX>.> (created when missing).',
  }),
  EVENT_BUS_SUBJECT_PREFIX: Type.String({
    default: 'orders-inventory',
    pattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$',
    'x-expected': 'must be NATS subject tokens separated by dots, such as orders-inventory',
    description: 'Events are published on <prefix>.<event type> (orders-inventory.order.created).',
  }),
  IDEMPOTENCY_TTL_HOURS: Type.Integer({
    default: 24,
    minimum: 1,
    maximum: 720,
    description:
      'How long an Idempotency-Key is remembered: a retry within it is answered with the first response; after it the key is purged and counts as new.',
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
  readonly apiKeys: readonly ApiKey[]
  readonly headersTimeoutMs: number
  /** 0: orders never expire unless they ask to. */
  readonly pendingOrderTtlSeconds: number
  /** 0: the ledger is checked only on request. */
  readonly reconciliationIntervalSeconds: number
  /** Origin for links (`https://api.shop.example`, no trailing slash); empty: from the request. */
  readonly publicUrl: string
  /** ISO 4217 code a payment must be in. */
  readonly currency: string
  readonly webhookToleranceSeconds: number
  /** How long an Idempotency-Key record is kept (IDEMPOTENCY_TTL_HOURS). */
  readonly idempotencyTtlHours: number
  readonly events: EventsConfig
}

/** Outbound events: retention, webhook delivery and the event bus. */
export interface EventsConfig {
  readonly retentionDays: number
  readonly webhookTimeoutMs: number
  /** Seconds before each retry; its length is the number of retries. */
  readonly retryScheduleSeconds: readonly number[]
  /** True in development and test, or with WEBHOOK_ALLOW_PRIVATE_URLS=true. */
  readonly allowPrivateUrls: boolean
  readonly concurrency: number
  readonly concurrencyPerEndpoint: number
  /** SECRETS_ENCRYPTION_KEY; empty: secrets stored as they are. */
  readonly secretsEncryptionKey: string
  /** Empty: no event bus. */
  readonly busUrl: string
  readonly busStream: string
  readonly busSubjectPrefix: string
}

/** What a key may do: `read` every GET; `orders` also places, changes and cancels orders; `admin` all. */
export const API_KEY_SCOPES = ['read', 'orders', 'admin'] as const
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number]

export interface ApiKey {
  /** Shown in logs and used for rate limits; never the key itself. */
  readonly name: string
  readonly scope: ApiKeyScope
  readonly key: string
}

export interface DatabaseConfig {
  readonly url: string
  /** PostgreSQL only, like the two timeouts. */
  readonly poolSize: number
  readonly statementTimeoutMs: number
  readonly connectTimeoutMs: number
  /** PostgreSQL: named prepared statements (default true). */
  readonly preparedStatements?: boolean
  /** PostgreSQL: the sessions' synchronous_commit (default: the server's, `on` unless changed). */
  readonly synchronousCommit?: string
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@]*@/i, '$1***@')
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const configError = (problems: string[]) =>
  new ConfigError(`Invalid configuration (set in the environment or in .env):\n${problems.join('\n')}`)

interface SettingSchema {
  type?: string
  anyOf?: { const?: unknown }[]
  minimum?: number
  maximum?: number
  minLength?: number
  pattern?: string
  /** What a value must look like, said to a person: shown when the pattern does not match. */
  'x-expected'?: string
}

/** The one sentence that says what is wrong with a setting's value, if anything. */
function problemWith(schema: SettingSchema, value: string): string | undefined {
  if (schema.anyOf) {
    const allowed = schema.anyOf.map((option) => String(option.const))
    return allowed.includes(value) ? undefined : `must be one of ${allowed.join(', ')}`
  }
  if (schema.type === 'integer') {
    if (!/^-?\d+$/.test(value)) return 'must be a whole number'
    const number = Number(value)
    if (schema.minimum !== undefined && number < schema.minimum) return `must be at least ${schema.minimum}`
    if (schema.maximum !== undefined && number > schema.maximum) return `must be at most ${schema.maximum}`
    return undefined
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
    return schema['x-expected'] ?? `must match ${schema.pattern}`
  }
  return undefined
}

/** An IP address or CIDR, or one of proxy-addr's names (loopback, linklocal, uniquelocal). */
function isProxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true
  const [address = '', prefix, ...rest] = entry.split('/')
  const version = isIP(address)
  if (version === 0 || rest.length > 0) return false
  if (prefix === undefined) return true
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128)
}

/** Parses and validates the environment once; throws ConfigError with every problem listed. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, string> = {}
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = source[key]
    if (value !== undefined && value !== '') raw[key] = value.trim()
  }
  const problems: string[] = []
  const say = (key: string, message: string, shown: string = raw[key] ?? '') =>
    problems.push(`  ${key}=${JSON.stringify(shown)}: ${message}`)
  const valid: Record<string, string> = {}
  for (const [key, value] of Object.entries(raw)) {
    const problem = problemWith(EnvSchema.properties[key as keyof Env] as SettingSchema, value)
    if (problem) say(key, problem, key === 'DATABASE_URL' ? redactUrl(value) : value)
    else valid[key] = value
  }
  // The checks below run on the values that passed (defaults for the others), so that one
  // message lists every problem.
  const env = Value.Convert(EnvSchema, Value.Default(EnvSchema, valid)) as Env

  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(env.DATABASE_URL)) {
    say(
      'DATABASE_URL',
      'expected sqlite:PATH (sqlite:./data/store.db) or postgres://USER:PASSWORD@HOST:5432/DB',
      redactUrl(env.DATABASE_URL),
    )
  }
  const secrets = list(env.WEBHOOK_SECRET)
  if (env.NODE_ENV === 'production' && secrets.length === 0) {
    problems.push('  WEBHOOK_SECRET is required when NODE_ENV=production (the secret your payment provider signs with)')
  }
  if (secrets.some((secret) => secret.startsWith('whsec_') && !BASE64.test(secret.slice(6)))) {
    problems.push('  WEBHOOK_SECRET: a secret starting with whsec_ must be followed by base64 (as providers print it)')
  }
  if (env.NODE_ENV === 'production' && secrets.some((secret) => Buffer.byteLength(secret) < 16)) {
    problems.push(
      '  WEBHOOK_SECRET: in production each secret must be at least 16 bytes (a random string of 32 or more)',
    )
  }
  for (const entry of list(env.TRUST_PROXY)) {
    if (!['true', 'false'].includes(env.TRUST_PROXY) && !/^\d+$/.test(env.TRUST_PROXY) && !isProxyAddress(entry)) {
      say(
        'TRUST_PROXY',
        `"${entry}" is not an IP address or CIDR: use true, a hop count, or addresses (10.0.0.0/8,127.0.0.1)`,
      )
    }
  }
  for (const origin of list(env.CORS_ORIGINS)) {
    if (origin !== '*' && !/^https?:\/\/[^/\s?#]+$/.test(origin)) {
      say(
        'CORS_ORIGINS',
        `"${origin}" is not an origin: write it as a browser sends it, https://shop.example (no path)`,
      )
    }
  }
  if (env.REDIS_URL && !/^rediss?:\/\/\S+$/.test(env.REDIS_URL)) {
    say('REDIS_URL', 'expected redis://HOST:6379 (or rediss:// for TLS)', redactUrl(env.REDIS_URL))
  }
  let apiKeys: ApiKey[] = []
  try {
    apiKeys = parseApiKeys(env.API_KEYS)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    problems.push(error.message.replace(/^Invalid configuration:\n/, ''))
  }
  if (problems.length > 0) throw configError(problems)

  return Object.freeze({
    env: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    database: Object.freeze({
      url: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
      preparedStatements: env.DATABASE_PREPARED_STATEMENTS === 'true',
      synchronousCommit: env.DATABASE_SYNCHRONOUS_COMMIT,
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
    apiKeys: Object.freeze(apiKeys),
    headersTimeoutMs: env.HEADERS_TIMEOUT_MS,
    pendingOrderTtlSeconds: env.PENDING_ORDER_TTL_SECONDS,
    reconciliationIntervalSeconds: env.RECONCILIATION_INTERVAL_SECONDS,
    publicUrl: env.PUBLIC_URL,
    currency: env.CURRENCY,
    webhookToleranceSeconds: env.WEBHOOK_TOLERANCE_SECONDS,
    idempotencyTtlHours: env.IDEMPOTENCY_TTL_HOURS,
    events: Object.freeze({
      retentionDays: env.EVENT_RETENTION_DAYS,
      webhookTimeoutMs: env.WEBHOOK_TIMEOUT_MS,
      retryScheduleSeconds: Object.freeze(list(env.WEBHOOK_RETRY_SCHEDULE).map(Number)),
      allowPrivateUrls: env.WEBHOOK_ALLOW_PRIVATE_URLS === 'true' || env.NODE_ENV !== 'production',
      concurrency: env.WEBHOOK_CONCURRENCY,
      concurrencyPerEndpoint: env.WEBHOOK_CONCURRENCY_PER_ENDPOINT,
      secretsEncryptionKey: env.SECRETS_ENCRYPTION_KEY,
      busUrl: env.EVENT_BUS_URL,
      busStream: env.EVENT_BUS_STREAM,
      busSubjectPrefix: env.EVENT_BUS_SUBJECT_PREFIX,
    }),
  })
}

const KEY_NAME = /^[A-Za-z0-9_.-]{1,64}$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * `NAME:SCOPE:KEY` entries (the key may itself hold colons), or a bare KEY: an admin key named
 * after its place in the list (key1, key2...). Names and keys must be unique.
 */
export function parseApiKeys(value: string): ApiKey[] {
  const problems: string[] = []
  const keys = list(value).map((entry, index): ApiKey => {
    const [name = '', scope = '', ...rest] = entry.split(':')
    if (rest.length === 0) return Object.freeze({ name: `key${index + 1}`, scope: 'admin', key: entry })
    const key = rest.join(':')
    if (!KEY_NAME.test(name)) problems.push(`entry ${index + 1}: the name must be 1-64 letters, digits, _ . or -`)
    if (!(API_KEY_SCOPES as readonly string[]).includes(scope)) {
      problems.push(`entry ${index + 1} (${name}): the scope must be one of ${API_KEY_SCOPES.join(', ')}`)
    }
    if (key === '') problems.push(`entry ${index + 1} (${name}): the key is empty`)
    return Object.freeze({ name, scope: scope as ApiKeyScope, key })
  })
  const seen = (field: 'name' | 'key') => keys.map((k) => k[field]).filter((v, i, all) => all.indexOf(v) !== i)
  for (const name of new Set(seen('name'))) problems.push(`the name ${name} is used twice`)
  if (seen('key').length > 0) problems.push('the same key is listed twice')
  if (problems.length > 0) {
    throw new ConfigError(
      `Invalid configuration:\n  API_KEYS (NAME:SCOPE:KEY, comma-separated): ${problems.join('; ')}`,
    )
  }
  return keys
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
}

/**
 * `true` trusts the one proxy in front (the peer that connects): the client is the address that
 * proxy saw, the right-most `X-Forwarded-For` entry. Trusting every hop instead would make the
 * left-most entry count, which any client can write.
 */
function parseTrustProxy(value: string): Config['trustProxy'] {
  if (value === 'false') return false
  const hops = value === 'true' ? 1 : /^\d+$/.test(value) ? Number(value) : undefined
  if (hops !== undefined) return (_address, hop) => hop < hops
  return list(value)
}

/**
 * Loads `./.env` when there is one; variables already set in the environment win. Node's own
 * parser skips a line it cannot read and can swallow the lines after it (a stray word, an
 * unclosed quote), so the file is checked first and every malformed line is reported.
 */
export function loadDotEnv(path = '.env'): void {
  if (!existsSync(path)) return
  const problems = dotEnvProblems(readFileSync(path, 'utf8'))
  if (problems.length > 0) {
    throw new ConfigError(`Invalid ${path} file:\n${problems.map((problem) => `  ${problem}`).join('\n')}`)
  }
  process.loadEnvFile(path)
}

/** The malformed lines of a .env text: `NAME=value` lines, comments and blank lines are fine. */
export function dotEnvProblems(text: string): string[] {
  const problems: string[] = []
  const lines = text.split(/\r?\n/)
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim()
    if (line === '' || line.startsWith('#')) continue
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line)
    if (!match) {
      problems.push(`line ${index + 1}: expected NAME=value, found ${JSON.stringify(line.slice(0, 40))}`)
      continue
    }
    const [, name, value = ''] = match
    const quote = value[0]
    if (quote !== '"' && quote !== "'" && quote !== '`') continue
    // A quoted value may span lines; it must be closed somewhere.
    let rest = value.slice(1)
    let end = index
    while (!rest.includes(quote) && end + 1 < lines.length) rest = lines[++end]!
    if (!rest.includes(quote)) {
      problems.push(`line ${index + 1}: the quoted value of ${name} is never closed (add the closing ${quote})`)
      break
    }
    index = end
  }
  return problems
}
