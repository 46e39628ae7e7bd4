import { PostgresAdapter, sql } from 'kysely'
import { inTransaction } from '../../db/transaction.js'
import type { Db, DeliveryStatus } from '../../db/types.js'
import { SecretUnavailableError } from '../../shared/secrets.js'
import type { AttemptResult } from './dispatch-send.js'
import { findEndpointForDelivery } from './repository.js'

/*
 * The webhook dispatcher's data: which deliveries an instance takes, what it sends, and what it
 * writes down after each attempt. The loop that drives it is src/plugins/event-dispatcher.ts.
 *
 * - A claim is a lease: `lease_until` set in one statement, on deliveries that are pending, due and
 *   not leased (or whose lease ran out), to enabled endpoints. On PostgreSQL the rows are locked
 *   with FOR UPDATE SKIP LOCKED, so two instances claiming at once take different deliveries; on
 *   SQLite write statements run one at a time (across processes too). So a delivery is attempted
 *   by one instance at a time, as long as an attempt ends before its lease (the attempt's timeout
 *   plus a margin).
 * - The lease survives a crash: a killed instance's deliveries are due again once it runs out.
 * - The outcome of an attempt is one transaction: its attempt row and the delivery's new state
 *   (and, for a 410, the endpoint disabled). Until it commits the delivery stays leased; if it
 *   never commits, the lease runs out and the delivery is attempted again (at least once).
 * - A delivery made due again while in flight (POST /webhook-deliveries/{id}/retry sets
 *   next_attempt_at) is not closed by the attempt that was already running: its outcome is
 *   recorded, the lease released, and the delivery stays pending, so it is sent again.
 */

/** A delivery this instance has leased. `lease_until` and `next_attempt_at` tell later whether it is still ours as claimed. */
export interface ClaimedDelivery {
  id: number
  endpoint_id: number
  event_seq: number
  event_id: string
  attempts: number
  next_attempt_at: string
  lease_until: string
}

export interface ClaimLimits {
  /** Deliveries to claim at most (the instance's free slots). */
  limit: number
  /** Slots per endpoint (WEBHOOK_CONCURRENCY_PER_ENDPOINT). */
  perEndpoint: number
  /** Endpoints with attempts in flight here: how many slots each has left (0: skip it). */
  slotsLeft: ReadonlyMap<number, number>
}

/** Candidates locked per free slot, so that a backlog of one endpoint does not hide the others'. */
const CANDIDATES_PER_SLOT = 4

/**
 * Leases up to `limit` due deliveries until `leaseUntil`, oldest due first, at most the slots each
 * endpoint has left (a slow endpoint cannot take every slot of the instance). One statement:
 * - `locked`: the oldest due deliveries to enabled endpoints that still have slots here, a few per
 *   free slot, locked with FOR UPDATE SKIP LOCKED on PostgreSQL: rows another instance is claiming
 *   at the same moment are passed over (it takes those, this one the next), never waited for or
 *   taken twice, and each row is checked again once locked.
 * - `chosen`: of those, each endpoint's oldest up to its slots, and `limit` in all. (The ranking
 *   cannot be where the locks are taken: window functions do not go with FOR UPDATE.)
 * A backlog of one endpoint at the head of the queue may fill the candidates; it then takes its
 * slots, and from the next round on it is left out while they are full.
 */
export async function claimDeliveries(
  db: Db,
  { limit, perEndpoint, slotsLeft }: ClaimLimits,
  now: string,
  leaseUntil: string,
): Promise<ClaimedDelivery[]> {
  if (limit <= 0) return []
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter
  const full = [...slotsLeft].filter(([, left]) => left <= 0).map(([endpoint]) => endpoint)
  const slots =
    slotsLeft.size === 0
      ? sql`cast(${perEndpoint} as integer)`
      : sql`case ranked.endpoint_id ${sql.join(
          [...slotsLeft].map(([endpoint, left]) => sql`when ${endpoint} then cast(${left} as integer)`),
          sql` `,
        )} else cast(${perEndpoint} as integer) end`
  const result = await sql<ClaimedDelivery>`
    with locked as (
      select d.id, d.endpoint_id, d.next_attempt_at from webhook_deliveries d
      where d.status = 'pending' and d.next_attempt_at <= ${now}
        and (d.lease_until is null or d.lease_until < ${now})
        and exists (select 1 from webhook_endpoints e where e.id = d.endpoint_id and e.enabled = 1)
        ${full.length > 0 ? sql`and d.endpoint_id not in (${sql.join(full)})` : sql``}
      order by d.next_attempt_at, d.id
      limit ${limit * CANDIDATES_PER_SLOT}
      ${postgres ? sql`for update skip locked` : sql``}
    ),
    chosen as (
      select ranked.id from (
        select l.id, l.endpoint_id, l.next_attempt_at,
          row_number() over (partition by l.endpoint_id order by l.next_attempt_at, l.id) as endpoint_rank
        from locked l
      ) ranked
      where ranked.endpoint_rank <= ${slots}
      order by ranked.next_attempt_at, ranked.id
      limit ${limit}
    )
    update webhook_deliveries set lease_until = ${leaseUntil}
    where id in (select id from chosen)
    returning id, endpoint_id, event_seq, event_id, attempts, next_attempt_at, lease_until`.execute(db)
  return result.rows.map((row) => ({
    ...row,
    id: Number(row.id),
    endpoint_id: Number(row.endpoint_id),
    event_seq: Number(row.event_seq),
  }))
}

/**
 * True when some delivery to an enabled endpoint is due and not leased: one read on the partial
 * index of pending deliveries, so that an idle poll writes nothing (a claim is a write).
 */
export async function hasDueDeliveries(db: Db, now: string): Promise<boolean> {
  const row = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
    .select('d.id')
    .where('d.status', '=', 'pending')
    .where('d.next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<', now)]))
    .where('e.enabled', '=', 1)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/** What one claimed delivery needs for its attempt. */
export interface DeliveryTarget {
  delivery: ClaimedDelivery
  url: string
  /** The event as stored: sent and signed byte for byte. */
  payload: string
  /** Signing secrets, the current first; empty when `problem` says why none can be used. */
  secrets: string[]
  /** Why no request can be made (a secret that cannot be opened); the attempt fails with it. */
  problem?: string
}

/**
 * The payloads and endpoints of claimed deliveries (one query for the payloads, one per endpoint).
 * Deliveries whose endpoint was disabled or deleted since the claim are returned as `gone` (to
 * be released).
 */
export async function loadTargets(
  db: Db,
  claimed: readonly ClaimedDelivery[],
  encryptionKey: Buffer | undefined,
): Promise<{ targets: DeliveryTarget[]; gone: ClaimedDelivery[] }> {
  if (claimed.length === 0) return { targets: [], gone: [] }
  const events = await db
    .selectFrom('events')
    .select(['seq', 'payload'])
    .where('seq', 'in', [...new Set(claimed.map((d) => d.event_seq))])
    .execute()
  const payloadOf = new Map(events.map((e) => [Number(e.seq), e.payload]))
  const endpointOf = new Map<number, Endpoint | undefined>()
  for (const id of new Set(claimed.map((d) => d.endpoint_id)))
    endpointOf.set(id, await endpointFor(db, id, encryptionKey))
  const targets: DeliveryTarget[] = []
  const gone: ClaimedDelivery[] = []
  for (const delivery of claimed) {
    const endpoint = endpointOf.get(delivery.endpoint_id)
    const payload = payloadOf.get(delivery.event_seq)
    if (!endpoint || !endpoint.enabled || payload === undefined) gone.push(delivery)
    else targets.push({ delivery, payload, ...endpoint })
  }
  return { targets, gone }
}

type Endpoint = { url: string; enabled: boolean; secrets: string[]; problem?: string }

async function endpointFor(db: Db, id: number, key: Buffer | undefined): Promise<Endpoint | undefined> {
  try {
    return await findEndpointForDelivery(db, id, key)
  } catch (error) {
    if (!(error instanceof SecretUnavailableError)) throw error
    const row = await db
      .selectFrom('webhook_endpoints')
      .select(['url', 'enabled'])
      .where('id', '=', id)
      .executeTakeFirst()
    return row && { url: row.url, enabled: Number(row.enabled) === 1, secrets: [], problem: error.message }
  }
}

/** Gives a claimed delivery back without counting an attempt (shutdown, endpoint gone), if still ours. */
export async function releaseDeliveries(db: Db, deliveries: readonly ClaimedDelivery[]): Promise<void> {
  for (const delivery of deliveries) {
    await db
      .updateTable('webhook_deliveries')
      .set({ lease_until: null })
      .where('id', '=', delivery.id)
      .where('lease_until', '=', delivery.lease_until)
      .execute()
  }
}

/** What an attempt led to, for the metrics: `retrying` when the delivery stays pending. */
export type AttemptOutcome = 'succeeded' | 'retrying' | 'failed' | 'endpoint_disabled'

export const GONE_REASON = 'The endpoint answered 410 Gone'
const MAX_RETRY_AFTER_SECONDS = 86_400

export interface RetryPolicy {
  /** WEBHOOK_RETRY_SCHEDULE: seconds before each retry; its length is the number of retries. */
  scheduleSeconds: readonly number[]
  /** 0 <= random() < 1, for the jitter (up to 10% of the wait). */
  random: () => number
}

/** The delivery's next state after an attempt, from its result and the attempts made (this one included). */
export function nextState(
  result: Pick<AttemptResult, 'statusCode' | 'retryAfter'>,
  attemptsMade: number,
  policy: RetryPolicy,
  now: Date,
): { status: DeliveryStatus; nextAttemptAt: string | null; outcome: AttemptOutcome } {
  const code = result.statusCode
  if (code !== null && code >= 200 && code < 300)
    return { status: 'succeeded', nextAttemptAt: null, outcome: 'succeeded' }
  if (code === 410) return { status: 'failed', nextAttemptAt: null, outcome: 'endpoint_disabled' }
  if (attemptsMade > policy.scheduleSeconds.length) return { status: 'failed', nextAttemptAt: null, outcome: 'failed' }
  const asked = code === 429 || code === 503 ? retryAfterSeconds(result.retryAfter, now) : undefined
  const waitSeconds =
    asked !== undefined
      ? Math.min(asked, MAX_RETRY_AFTER_SECONDS)
      : policy.scheduleSeconds[attemptsMade - 1]! * (1 + policy.random() * 0.1)
  return {
    status: 'pending',
    nextAttemptAt: new Date(now.getTime() + Math.ceil(waitSeconds * 1000)).toISOString(),
    outcome: 'retrying',
  }
}

/** A `Retry-After` value in seconds from `now`: delta seconds or an HTTP date; undefined when it is neither. */
export function retryAfterSeconds(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed)
  const at = Date.parse(trimmed)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, (at - now.getTime()) / 1000)
}

/**
 * Writes an attempt down, in one transaction: its row, the delivery's new state, and for a 410 the
 * endpoint disabled. Returns what the attempt led to, or undefined when the delivery is gone (its
 * endpoint was deleted meanwhile). When the delivery changed since the claim (made due again by
 * hand, or leased by another instance after this lease ran out), the attempt is counted but the
 * delivery stays as it now is: pending, to be sent again.
 */
export async function recordAttempt(
  db: Db,
  delivery: ClaimedDelivery,
  result: AttemptResult,
  policy: RetryPolicy,
): Promise<AttemptOutcome | undefined> {
  return inTransaction(db, async (trx) => {
    const now = new Date()
    const nowText = now.toISOString()
    // A 410 disables the endpoint, whatever became of the delivery meanwhile. The endpoint's row is
    // written before the delivery's is locked: the order in which deleting an endpoint takes them.
    if (result.statusCode === 410) {
      await trx
        .updateTable('webhook_endpoints')
        .set({ enabled: 0, disabled_reason: GONE_REASON, updated_at: nowText })
        .where('id', '=', delivery.endpoint_id)
        .execute()
    }
    const row = await trx
      .selectFrom('webhook_deliveries')
      .select(['status', 'attempts', 'next_attempt_at', 'lease_until'])
      .where('id', '=', delivery.id)
      .forUpdate()
      .executeTakeFirst()
    if (!row) return undefined
    const attempt = row.attempts + 1
    await trx
      .insertInto('webhook_attempts')
      .values({
        delivery_id: delivery.id,
        attempt,
        started_at: result.startedAt,
        duration_ms: result.durationMs,
        status_code: result.statusCode,
        error: result.error,
        response_excerpt: result.excerpt,
      })
      .execute()

    const state = nextState(result, attempt, policy, now)
    const leaseOurs = row.lease_until === delivery.lease_until
    const unchanged = leaseOurs && row.status === 'pending' && row.next_attempt_at === delivery.next_attempt_at
    const recorded = {
      attempts: attempt,
      last_status_code: result.statusCode,
      last_error: result.error,
      updated_at: nowText,
    }
    if (unchanged) {
      await trx
        .updateTable('webhook_deliveries')
        .set({ ...recorded, status: state.status, next_attempt_at: state.nextAttemptAt, lease_until: null })
        .where('id', '=', delivery.id)
        .execute()
      return state.outcome
    }
    await trx
      .updateTable('webhook_deliveries')
      .set(leaseOurs ? { ...recorded, lease_until: null } : recorded)
      .where('id', '=', delivery.id)
      .execute()
    return state.outcome === 'endpoint_disabled' || state.outcome === 'succeeded' ? state.outcome : 'retrying'
  })
}

/** Pending deliveries of each enabled endpoint and when the oldest was created, for the metrics. */
export async function pendingBacklog(db: Db): Promise<{ endpointId: number; pending: number; oldest: string }[]> {
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
    .where('d.status', '=', 'pending')
    .where('e.enabled', '=', 1)
    .groupBy('d.endpoint_id')
    .select((eb) => [
      'd.endpoint_id',
      eb.fn.countAll<number>().as('pending'),
      eb.fn.min<string>('d.created_at').as('oldest'),
    ])
    .execute()
  return rows.map((row) => ({ endpointId: Number(row.endpoint_id), pending: Number(row.pending), oldest: row.oldest }))
}
