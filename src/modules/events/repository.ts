import { randomFillSync } from 'node:crypto'
import { PostgresAdapter, sql, type Transaction } from 'kysely'
import type { Database, Db, EventRow, EventType } from '../../db/types.js'
import { inTransaction } from '../../db/transaction.js'

/*
 * The outbox. Events are written by recordEvents in the transaction of the change they describe
 * (called by the code that makes the change: products/repository.ts, orders/service.ts), so an
 * event exists exactly when its change committed. Off the request path, fanOut turns each new event
 * into one delivery per subscribed endpoint (and a bus entry when an event bus is configured);
 * the dispatcher and the bus publisher then work from those.
 */

export interface NewEvent {
  id: string
  type: EventType
  /** The event as delivered: `{"id","type","timestamp","data"}`. */
  payload: string
}

// Random bytes for event ids, drawn from the CSPRNG a pool at a time: one randomBytes call per
// event cost more than writing the event.
const ID_RANDOM_BYTES = 12
const idPool = Buffer.alloc(ID_RANDOM_BYTES * 256)
let idPoolOffset = idPool.length

/** `evt_` + the time in base 36 (so ids roughly sort by time when read) + 16 random base64url characters. */
export function newEventId(now = Date.now()): string {
  if (idPoolOffset === idPool.length) {
    randomFillSync(idPool)
    idPoolOffset = 0
  }
  const random = idPool.toString('base64url', idPoolOffset, (idPoolOffset += ID_RANDOM_BYTES))
  return `evt_${now.toString(36)}${random}`
}

/** Writes events in the caller's transaction. A SQL template: an order's event is on the hottest write. */
export async function recordEvents(
  trx: Transaction<Database>,
  events: readonly NewEvent[],
  now: string,
): Promise<void> {
  if (events.length === 0) return
  const rows = sql.join(events.map((e) => sql`(${e.id}, ${e.type}, ${e.payload}, ${now})`))
  await sql`insert into events (id, type, payload, created_at) values ${rows}`.execute(trx)
}

export interface EventsPage {
  type?: EventType | undefined
  /** Only events after this one (its seq); undefined: from the first. */
  afterSeq?: number | undefined
  limit: number
}

export async function listEvents(db: Db, page: EventsPage): Promise<Pick<EventRow, 'seq' | 'id' | 'payload'>[]> {
  return db
    .selectFrom('events')
    .select(['seq', 'id', 'payload'])
    .$if(page.type !== undefined, (query) => query.where('type', '=', page.type!))
    .$if(page.afterSeq !== undefined, (query) => query.where('seq', '>', page.afterSeq!))
    .orderBy('seq')
    .limit(page.limit)
    .execute()
}

export async function countEvents(db: Db, type: EventType | undefined): Promise<number> {
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .$if(type !== undefined, (query) => query.where('type', '=', type!))
    .executeTakeFirstOrThrow()
  return Number(row.total)
}

/** The position of an event in the log, or undefined when there is no such event (or it was purged). */
export async function seqOfEvent(db: Db, id: string): Promise<number | undefined> {
  const row = await db.selectFrom('events').select('seq').where('id', '=', id).executeTakeFirst()
  return row === undefined ? undefined : Number(row.seq)
}

/** Whether an endpoint's `events` list (JSON) takes this event type. */
export function subscribes(endpointEvents: string, type: string): boolean {
  const types = JSON.parse(endpointEvents) as string[]
  return types.includes('*') || types.includes(type)
}

export interface FanOutResult {
  events: number
  deliveries: number
  busEntries: number
}

/**
 * Fans out up to `limit` new events, oldest first, in one transaction: a pending delivery for each
 * enabled endpoint subscribed to the event's type that existed when the event was written, and a
 * bus entry when `bus`; then marks them fanned out. On PostgreSQL the events are claimed with
 * FOR UPDATE SKIP LOCKED, so instances fanning out at once take different events; deliveries are
 * unique per endpoint and event besides. Returns how many events, deliveries and bus entries it made.
 */
export async function fanOut(db: Db, { bus, limit = 500 }: { bus: boolean; limit?: number }): Promise<FanOutResult> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter
  return inTransaction(db, async (trx) => {
    const events = await trx
      .selectFrom('events')
      .select(['seq', 'id', 'type', 'created_at'])
      .where('fanned_out_at', 'is', null)
      .orderBy('seq')
      .limit(limit)
      .$if(postgres, (query) => query.forUpdate().skipLocked())
      .execute()
    if (events.length === 0) return { events: 0, deliveries: 0, busEntries: 0 }
    const now = new Date().toISOString()
    const endpoints = await trx
      .selectFrom('webhook_endpoints')
      .select(['id', 'events', 'created_at'])
      .where('enabled', '=', 1)
      .execute()
    const deliveries = events.flatMap((event) =>
      endpoints
        .filter((endpoint) => endpoint.created_at <= event.created_at && subscribes(endpoint.events, event.type))
        .map((endpoint) => ({
          endpoint_id: Number(endpoint.id),
          event_seq: Number(event.seq),
          event_id: event.id,
          event_type: event.type,
          status: 'pending' as const,
          attempts: 0,
          next_attempt_at: now,
          lease_until: null,
          last_status_code: null,
          last_error: null,
          created_at: now,
          updated_at: now,
        })),
    )
    for (let i = 0; i < deliveries.length; i += 500) {
      await trx
        .insertInto('webhook_deliveries')
        .values(deliveries.slice(i, i + 500))
        .onConflict((oc) => oc.columns(['endpoint_id', 'event_seq']).doNothing())
        .execute()
    }
    if (bus) {
      await trx
        .insertInto('bus_outbox')
        .values(events.map((event) => ({ event_seq: Number(event.seq), attempts: 0, next_attempt_at: now })))
        .onConflict((oc) => oc.column('event_seq').doNothing())
        .execute()
    }
    // One SQL text whatever the batch's size (a list of its seqs would be a new statement to
    // prepare each time). SQLite: the batch is the first unfanned events by seq, so the range
    // holds no other unfanned one. PostgreSQL: other instances may hold events inside the range.
    await (
      postgres
        ? sql`update events set fanned_out_at = ${now} where seq = any(${events.map((event) => Number(event.seq))})`
        : sql`update events set fanned_out_at = ${now}
          where seq between ${events[0]!.seq} and ${events.at(-1)!.seq} and fanned_out_at is null`
    ).execute(trx)
    return { events: events.length, deliveries: deliveries.length, busEntries: bus ? events.length : 0 }
  })
}

/** True when some event still waits to be fanned out: one read on a partial index, outside any transaction. */
export async function hasEventsToFanOut(db: Db): Promise<boolean> {
  const row = await db.selectFrom('events').select('seq').where('fanned_out_at', 'is', null).limit(1).executeTakeFirst()
  return row !== undefined
}

/**
 * Deletes up to `limit` of the oldest events written before `before`, with their deliveries and
 * attempts (foreign keys cascade), except those still to fan out, with a pending delivery, or still
 * to publish to the bus (those are kept until they are done). Events are taken in log order (seq):
 * no index on created_at is needed, since the oldest come first. Returns how many it deleted: call
 * again while it returns `limit`.
 */
export async function purgeEvents(db: Db, before: string, limit = 1000): Promise<number> {
  const doomed = db
    .selectFrom('events')
    .select('seq')
    .where('created_at', '<', before)
    .where('fanned_out_at', 'is not', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('webhook_deliveries')
            .select('webhook_deliveries.id')
            .whereRef('webhook_deliveries.event_seq', '=', 'events.seq')
            .where('webhook_deliveries.status', '=', 'pending'),
        ),
      ),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('bus_outbox').select('bus_outbox.event_seq').whereRef('bus_outbox.event_seq', '=', 'events.seq'),
        ),
      ),
    )
    .orderBy('seq')
    .limit(limit)
  const result = await db.deleteFrom('events').where('seq', 'in', doomed).executeTakeFirst()
  return Number(result.numDeletedRows)
}
