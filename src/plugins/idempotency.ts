import { createHash, randomUUID } from 'node:crypto'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { Type } from 'typebox'
import type { Config } from '../config.js'
import { inTransaction } from '../db/transaction.js'
import type { Db } from '../db/types.js'
import { DomainError } from '../shared/errors.js'
import { encryptionKey, openSecret, sealSecret, SecretUnavailableError } from '../shared/secrets.js'
import { sendJsonText } from '../shared/json.js'
import { errorResponse } from '../shared/schemas.js'
import { scopeOf } from './access.js'

/*
 * Idempotency-Key on the API's POST routes (after the IETF draft and Stripe).
 *
 * Guarantees:
 * - Once per key: a request sent again with the same key by the same caller (API key name) gets
 *   the first answer again, status and body byte for byte, with `Idempotent-Replayed: true`; its
 *   work is not done twice. The record lives in the database: it holds across instances sharing
 *   it and across restarts.
 * - The record's outcome commits in the work's own transaction (`done`, status, body): there is
 *   no moment in which the work is committed and its key's outcome is not, nor the reverse.
 * - A request refused before its work (400, 422) leaves no record, nor does work that failed with
 *   anything but a domain outcome (5xx, 503, a validation error raised by the work): the same key
 *   may be retried. A domain outcome (404, 409 insufficient stock, 409 SKU taken) is recorded and
 *   replayed, as Stripe does.
 * - The same key with another method, path or body: 422. While the first request runs: 409 with
 *   Retry-After. A `running` record whose lease has run out (its instance died) is taken over by
 *   the next identical request; the old holder can then no longer complete it (completing checks
 *   the lease token inside the work's transaction, which rolls back), so the work commits once.
 * - Records expire IDEMPOTENCY_TTL_HOURS after they were created: an expired key counts as new,
 *   and every instance purges expired rows on a timer, in bounded batches (any number of
 *   instances may purge at once).
 * What a crash leaves: a reservation whose release failed (the database was down) stays
 * `running` until its lease runs out; until then the key gets 409.
 *
 * Which routes: every POST route that is not `public` takes the header, unless it declares
 * `config: { idempotency: false }`. The public POST route, the payment webhook, is authenticated
 * by its signature, not by a caller, and has its own event identity. A route that takes the header
 * runs its work through `app.idempotent`; one that does not is logged as an error when a key comes.
 */

declare module 'fastify' {
  interface FastifyContextConfig {
    /** POST routes take an Idempotency-Key unless this is false (set to true where they do). */
    idempotency?: boolean
    /**
     * The answer holds a secret (a webhook endpoint's): its Idempotency-Key record is stored
     * encrypted under SECRETS_ENCRYPTION_KEY when one is set, like the secret itself.
     */
    secretInResponse?: boolean
  }
  interface FastifyRequest {
    /** The request's Idempotency-Key, unquoted and checked; undefined without one. */
    idempotencyKey: string | undefined
  }
  interface FastifyInstance {
    /**
     * Runs a POST route's work once per Idempotency-Key and answers with `status` and its result.
     * `work` gets the transaction the key's record commits in (`app.db` when no key was sent) and
     * must do all its writes through it. `afterCommit` runs once the work has committed (never for
     * a replay or a failure): for metrics. Returns what the handler returns: the result to send
     * with `status` (no key), or the reply, already sent (a key).
     */
    idempotent<T>(
      request: FastifyRequest,
      reply: FastifyReply,
      status: number,
      work: (db: Db) => Promise<T>,
      afterCommit?: (result: T) => void,
    ): Promise<T | FastifyReply>
    /** Deletes expired Idempotency-Key records now (the timer does it every minute); returns how many. */
    purgeExpiredIdempotencyKeys(): Promise<number>
  }
}

export const IDEMPOTENCY_MESSAGES = {
  malformed: 'Malformed Idempotency-Key: send 1 to 255 printable ASCII characters, or the same in double quotes',
  repeated: 'Send one Idempotency-Key header, not several',
  reused: 'Idempotency-Key reused with a different request',
  inProgress: 'A request with this Idempotency-Key is in progress',
  unreadable:
    'The answer recorded for this Idempotency-Key is encrypted under another SECRETS_ENCRYPTION_KEY: read the resource instead',
} as const

/** No API key (API_KEYS off): never a key's name, which has 1 to 64 characters. */
const ANONYMOUS = ''
/** A running request holds its key this much longer than a client may take to send one. */
const LEASE_MARGIN_MS = 30_000
/** Seconds: the first request is usually answered within one. */
const RETRY_AFTER_S = 1
const HOUR_MS = 3_600_000
const PURGE_INTERVAL_MS = 60_000
const PURGE_BATCH = 500
/** At most this many batches per run: a backlog is cleared over several runs, never in one long one. */
const PURGE_MAX_BATCHES = 20

// --- The header -------------------------------------------------------------------------------

const PRINTABLE_ASCII = /^[\x20-\x7e]{1,255}$/
// RFC 8941 sf-string, the IETF draft's form: printable ASCII in quotes, `\"` and `\\` escaped.
const QUOTED = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/

/** The key an `Idempotency-Key` value names (quotes and escapes removed), or undefined if malformed. */
export function parseIdempotencyKey(value: string): string | undefined {
  const quoted = QUOTED.exec(value)
  if (!quoted && value.startsWith('"')) return undefined
  const key = quoted ? quoted[1]!.replace(/\\(["\\])/g, '$1') : value
  return PRINTABLE_ASCII.test(key) ? key : undefined
}

function headerCount(request: FastifyRequest): number {
  const raw = request.raw.rawHeaders
  let count = 0
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'idempotency-key') count += 1
  return count
}

const hooksOf = <H>(hooks: H | H[] | undefined): H[] =>
  hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks]

const badRequest = (detail: string) => Object.assign(new Error(detail), { statusCode: 400 })

/** What makes two requests the same: method, path (trailing slash aside) with its query, body text. */
export function printOf(method: string, url: string, rawBody: string | undefined): RequestPrint {
  const [path = '/', query] = splitOnce(url, '?')
  const bare = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
  const target = query === undefined ? bare : `${bare}?${query}`
  const fingerprint = createHash('sha256')
    .update(`${method}\n${target}\n`)
    .update(rawBody ?? '')
    .digest('hex')
  return { method, path: target, fingerprint }
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator)
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)]
}

// --- The store: one row per caller and key ----------------------------------------------------

export interface KeyId {
  caller: string
  key: string
}

export interface RequestPrint {
  method: string
  path: string
  fingerprint: string
}

export interface KeyTiming {
  now: number
  ttlMs: number
  leaseMs: number
}

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * Reserves the key for this attempt: a new row, or the row of an expired key, or a `running` row
 * of the same request whose lease has run out, becomes `running` under a new lease token, which
 * is returned. One statement, so two attempts can never both own the key. Undefined: another
 * attempt's record stands (read it with findKeyRecord).
 */
export async function reserveKey(db: Db, id: KeyId, print: RequestPrint, timing: KeyTiming) {
  const token = randomUUID()
  const now = iso(timing.now)
  const row = await db
    .insertInto('idempotency_keys')
    .values({
      ...id,
      ...print,
      state: 'running',
      lease_token: token,
      locked_until: iso(timing.now + timing.leaseMs),
      response_status: null,
      response_body: null,
      created_at: now,
      expires_at: iso(timing.now + timing.ttlMs),
    })
    .onConflict((conflict) =>
      conflict
        .columns(['caller', 'key'])
        .doUpdateSet((eb) => ({
          method: eb.ref('excluded.method'),
          path: eb.ref('excluded.path'),
          fingerprint: eb.ref('excluded.fingerprint'),
          state: eb.ref('excluded.state'),
          lease_token: eb.ref('excluded.lease_token'),
          locked_until: eb.ref('excluded.locked_until'),
          response_status: null,
          response_body: null,
          created_at: eb.ref('excluded.created_at'),
          expires_at: eb.ref('excluded.expires_at'),
        }))
        .where((eb) =>
          eb.or([
            eb('idempotency_keys.expires_at', '<=', now),
            eb.and([
              eb('idempotency_keys.state', '=', 'running'),
              eb('idempotency_keys.locked_until', '<=', now),
              eb('idempotency_keys.fingerprint', '=', eb.ref('excluded.fingerprint')),
            ]),
          ]),
        ),
    )
    .returning('lease_token')
    .executeTakeFirst()
  return row?.lease_token === token ? token : undefined
}

export async function findKeyRecord(db: Db, id: KeyId) {
  return db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('caller', '=', id.caller)
    .where('key', '=', id.key)
    .executeTakeFirst()
}

/**
 * Records the answer, if this attempt still holds the lease: called inside the work's
 * transaction, a false result must roll the work back (another attempt took the key over).
 */
export async function completeKey(db: Db, id: KeyId, token: string, status: number, body: string) {
  const result = await db
    .updateTable('idempotency_keys')
    .set({ state: 'done', response_status: status, response_body: body })
    .where('caller', '=', id.caller)
    .where('key', '=', id.key)
    .where('lease_token', '=', token)
    .where('state', '=', 'running')
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** Deletes this attempt's reservation: the key may be used again. */
export async function releaseKey(db: Db, id: KeyId, token: string): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('caller', '=', id.caller)
    .where('key', '=', id.key)
    .where('lease_token', '=', token)
    .where('state', '=', 'running')
    .execute()
}

/** Deletes up to `limit` expired records; returns how many. */
export async function purgeExpiredKeys(db: Db, now: number, limit: number): Promise<number> {
  const at = iso(now)
  const result = await db
    .deleteFrom('idempotency_keys')
    .where((eb) =>
      eb(
        eb.refTuple('caller', 'key'),
        'in',
        eb
          .selectFrom('idempotency_keys')
          .select(['caller', 'key'])
          .where('expires_at', '<=', at)
          .limit(limit)
          .$asTuple('caller', 'key'),
      ),
    )
    // Again on the row itself: on PostgreSQL a key renewed meanwhile (reserveKey) is re-checked here.
    .where('expires_at', '<=', at)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

export interface Purger {
  /** One run: batches until one is not full, at most maxBatches. Returns the rows deleted. */
  runOnce(): Promise<number>
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>
}

/** Purges expired records every `intervalMs` (unref'd: it never keeps the process alive). */
export function startPurger(
  db: Db,
  log: FastifyBaseLogger,
  { intervalMs = PURGE_INTERVAL_MS, batch = PURGE_BATCH, maxBatches = PURGE_MAX_BATCHES } = {},
): Purger {
  let running: Promise<number> | undefined
  const purge = async () => {
    let deleted = 0
    for (let run = 0; run < maxBatches; run++) {
      const count = await purgeExpiredKeys(db, Date.now(), batch)
      deleted += count
      if (count < batch) break
    }
    return deleted
  }
  const runOnce = () => (running ??= purge().finally(() => (running = undefined)))
  const timer = setInterval(() => {
    runOnce().catch((error: unknown) => log.warn({ err: error }, 'could not purge expired Idempotency-Keys'))
  }, intervalMs)
  timer.unref()
  return {
    runOnce,
    stop: async () => {
      clearInterval(timer)
      await running?.catch(() => {})
    },
  }
}

// --- The plugin -------------------------------------------------------------------------------

/** A domain outcome of the work (404, 409...): recorded and replayed. "Retry" conflicts are not. */
const isRecordedOutcome = (error: unknown): error is DomainError =>
  error instanceof DomainError && error.statusCode < 500 && error.code !== 'CONCURRENT_UPDATE'

class LeaseLost extends Error {
  override name = 'LeaseLost'
}

type KeyRecord = NonNullable<Awaited<ReturnType<typeof findKeyRecord>>>

async function idempotencyPlugin(app: FastifyInstance, { config }: { config: Config }) {
  const ttlHours = config.idempotencyTtlHours
  const timing = (): KeyTiming => ({
    now: Date.now(),
    ttlMs: ttlHours * HOUR_MS,
    leaseMs: config.requestTimeoutMs + LEASE_MARGIN_MS,
  })
  const honoured = new WeakSet<FastifyRequest>()
  const secretsKey = encryptionKey(config.events.secretsEncryptionKey)

  app.decorateRequest('idempotencyKey', undefined)

  // Only the routes that take the header pay for its hooks (route-level, after the global ones).
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (!methods.includes('POST') || scopeOf(route.config) === 'public' || route.config?.idempotency === false) return
    route.config = { ...route.config, idempotency: true }
    route.onRequest = [...hooksOf(route.onRequest), readKey]
    route.onResponse = [...hooksOf(route.onResponse), warnIfIgnored]
    documentHeader(route, ttlHours)
  })

  // Before the body is read: a malformed key is refused whatever the body.
  function readKey(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) {
    const value = request.headers['idempotency-key']
    if (request.method !== 'POST' || value === undefined) return done()
    if (Array.isArray(value) || headerCount(request) > 1) return done(badRequest(IDEMPOTENCY_MESSAGES.repeated))
    const key = parseIdempotencyKey(value)
    if (key === undefined) return done(badRequest(IDEMPOTENCY_MESSAGES.malformed))
    request.idempotencyKey = key
    done()
  }

  function warnIfIgnored(request: FastifyRequest, reply: FastifyReply, done: () => void) {
    if (request.idempotencyKey !== undefined && !honoured.has(request) && reply.statusCode < 400) {
      request.log.error(
        { route: request.routeOptions.url },
        'Idempotency-Key ignored: this route takes the header but its handler does not call app.idempotent',
      )
    }
    done()
  }

  async function idempotent<T>(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    work: (db: Db) => Promise<T>,
    afterCommit?: (result: T) => void,
  ): Promise<T | FastifyReply> {
    const key = request.idempotencyKey
    if (key === undefined) {
      const result = await work(app.db)
      afterCommit?.(result)
      // Returned, not sent: an async handler that returns the reply makes Fastify wait for the
      // response stream to finish, a sixth of a small request's CPU.
      reply.code(status)
      return result
    }
    honoured.add(request)
    const id: KeyId = { caller: request.apiKeyName ?? ANONYMOUS, key }
    const print = printOf(request.method, request.url, request.rawBody)

    const token = await reserveOrAnswer(id, print, reply)
    if (token === undefined) return reply
    let committed: { result: T; text: string }
    try {
      committed = await inTransaction(app.db, async (trx) => {
        const result = await work(trx)
        const text = serializeAs(reply, status, result)
        const stored = request.routeOptions.config.secretInResponse ? sealSecret(text, secretsKey) : text
        if (!(await completeKey(trx, id, token, status, stored))) throw new LeaseLost()
        return { result, text }
      })
    } catch (error) {
      if (error instanceof LeaseLost) {
        return answerFromRecord(await findKeyRecord(app.db, id), print, reply, secretsKey)
      }
      await settleAfterFailure(request, reply, id, token, error)
      throw error
    }
    afterCommit?.(committed.result)
    return sendJsonText(reply.code(status), committed.text)
  }

  /**
   * The work's transaction rolled back. A domain outcome is recorded on its own (the work changed
   * nothing); anything else releases the key. Either write failing is logged: a reservation left
   * `running` frees itself when its lease ends.
   */
  async function settleAfterFailure(
    request: FastifyRequest,
    reply: FastifyReply,
    id: KeyId,
    token: string,
    error: unknown,
  ): Promise<void> {
    try {
      if (isRecordedOutcome(error)) {
        const text = serializeAs(reply, error.statusCode, { detail: error.message })
        await completeKey(app.db, id, token, error.statusCode, text)
      } else {
        await releaseKey(app.db, id, token)
      }
    } catch (failure) {
      request.log.warn({ err: failure }, 'could not settle an Idempotency-Key after its request failed')
    }
  }
  app.decorate('idempotent', idempotent)

  /** This attempt's lease token, or undefined once it has answered from another attempt's record. */
  async function reserveOrAnswer(id: KeyId, print: RequestPrint, reply: FastifyReply) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const token = await reserveKey(app.db, id, print, timing())
      if (token !== undefined) return token
      const record = await findKeyRecord(app.db, id)
      if (record) {
        answerFromRecord(record, print, reply, secretsKey)
        return undefined
      }
      // The record went between the two statements (released after a failure, or purged): again.
    }
    answerFromRecord(undefined, print, reply, secretsKey)
    return undefined
  }

  const purger = startPurger(app.db, app.log)
  app.decorate('purgeExpiredIdempotencyKeys', purger.runOnce)
  app.addHook('onClose', () => purger.stop())
}

/** The route's own serializer for that status: the text Fastify would send (JSON serializers give text). */
function serializeAs(reply: FastifyReply, status: number, value: unknown): string {
  return reply.code(status).serialize(value) as string
}

function answerFromRecord(
  record: KeyRecord | undefined,
  print: RequestPrint,
  reply: FastifyReply,
  secretsKey: Buffer | undefined,
): FastifyReply {
  if (record && record.fingerprint !== print.fingerprint) {
    return sendJsonText(reply.code(422), JSON.stringify({ detail: IDEMPOTENCY_MESSAGES.reused }))
  }
  if (!record || record.state === 'running' || record.response_status === null || record.response_body === null) {
    return sendJsonText(
      reply.code(409).header('Retry-After', String(RETRY_AFTER_S)),
      JSON.stringify({ detail: IDEMPOTENCY_MESSAGES.inProgress }),
    )
  }
  let body: string
  try {
    body = openSecret(record.response_body, secretsKey)
  } catch (error) {
    if (!(error instanceof SecretUnavailableError)) throw error
    // Sealed under a SECRETS_ENCRYPTION_KEY this instance does not have: the answer is lost, not the work.
    return sendJsonText(reply.code(422), JSON.stringify({ detail: IDEMPOTENCY_MESSAGES.unreadable }))
  }
  return sendJsonText(reply.code(record.response_status).header('Idempotent-Replayed', 'true'), body)
}

// --- The OpenAPI document ---------------------------------------------------------------------

type ResponseSchema = { description?: string; properties?: { detail?: object }; headers?: object }

function documentHeader(route: RouteOptions, ttlHours: number): void {
  const schema = (route.schema ?? {}) as {
    hide?: boolean
    description?: string
    headers?: { properties?: object }
    response?: Record<string, ResponseSchema>
  }
  if (schema.hide) return
  const kept = `${ttlHours} hour${ttlHours === 1 ? '' : 's'}`
  const note =
    `Idempotent with an \`Idempotency-Key\` header: a retry with the same key and the same request gets ` +
    `the first answer again (\`Idempotent-Replayed: true\`) and nothing is done twice. Keys are kept ` +
    `${kept} (IDEMPOTENCY_TTL_HOURS), then purged: a key sent after that is new.`
  const response = { ...schema.response }
  for (const [status, answer] of Object.entries(response)) {
    if (/^2\d\d$/.test(status)) response[status] = { ...answer, headers: { ...answer.headers, ...replayedHeader } }
  }
  response['400'] = alsoAnswering(response['400'], malformedText, IDEMPOTENCY_MESSAGES.malformed)
  response['409'] = alsoAnswering(response['409'], inProgressText, IDEMPOTENCY_MESSAGES.inProgress)
  const invalid = response['422']
  response['422'] = invalid?.properties?.detail
    ? Type.Object(
        { detail: Type.Union([invalid.properties.detail, Type.String({ examples: [IDEMPOTENCY_MESSAGES.reused] })]) },
        { description: `${invalid.description ?? 'Validation error'}; or (a string) ${reusedText}` },
      )
    : errorResponse(reusedText, IDEMPOTENCY_MESSAGES.reused)
  route.schema = {
    ...schema,
    headers: {
      type: 'object',
      ...schema.headers,
      properties: { ...schema.headers?.properties, 'Idempotency-Key': IdempotencyKeyHeader(kept) },
    },
    description: schema.description ? `${schema.description}\n\n${note}` : note,
    response,
  } as RouteOptions['schema']
}

/** An error status the route already answers, now also for `text` (its example added); else a new one. */
function alsoAnswering(existing: ResponseSchema | undefined, text: string, example: string): ResponseSchema {
  if (!existing) return errorResponse(text.charAt(0).toUpperCase() + text.slice(1), example)
  const detail = existing.properties?.detail as { examples?: unknown[] } | undefined
  return {
    ...existing,
    description: `${existing.description ?? 'Error'}; or ${text}`,
    ...(detail && {
      properties: { ...existing.properties, detail: { ...detail, examples: [...(detail.examples ?? []), example] } },
    }),
  }
}

const inProgressText = 'a request with this Idempotency-Key is in progress (retry after Retry-After seconds)'
const malformedText = 'a malformed Idempotency-Key (1 to 255 printable ASCII characters, or the same in double quotes)'
const reusedText = `${IDEMPOTENCY_MESSAGES.reused} (another method, path or body)`

const replayedHeader = {
  'Idempotent-Replayed': {
    type: 'string',
    description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key',
  },
}

const IdempotencyKeyHeader = (kept: string) =>
  Type.Optional(
    Type.String({
      description:
        'A key of your choosing, unique per operation (a UUID): 1 to 255 printable ASCII characters, or the same ' +
        `in double quotes. Send it again when you retry. Scoped to your API key; kept ${kept}.`,
      examples: ['5f0c2e1a-8d4b-4c3e-9a7f-1b2c3d4e5f60'],
    }),
  )

export default fp(idempotencyPlugin, { name: 'idempotency', dependencies: ['access', 'db', 'json-body'] })
