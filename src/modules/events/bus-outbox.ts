import { PostgresAdapter } from 'kysely'
import type { Db } from '../../db/types.js'

/*
 * The event bus's queue: one `bus_outbox` row per event still to publish (written by fanOut when
 * an event bus is configured). The publisher claims due rows with a lease, publishes them and
 * deletes them; a failed publish puts its row back with a later `next_attempt_at`.
 */

/** A claimed event, ready to publish: `payload` is the event's JSON as stored, byte for byte. */
export interface BusEntry {
  seq: number
  id: string
  type: string
  payload: string
  attempts: number
}

/**
 * Claims up to `limit` due rows, oldest event first, in one statement: their `lease_until` becomes
 * `leaseUntil`, which is also the claim's token for settling them. A row is due when its
 * `next_attempt_at` has come and nobody holds it (no lease, or a lease that ran out: its holder
 * crashed or stalled). On PostgreSQL the rows are taken FOR UPDATE SKIP LOCKED, so instances
 * claiming at once take different rows; SQLite runs one write at a time.
 */
export async function claimBusEntries(
  db: Db,
  { now, leaseUntil, limit }: { now: string; leaseUntil: string; limit: number },
): Promise<BusEntry[]> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter
  const due = db
    .selectFrom('bus_outbox')
    .select('event_seq')
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
    .orderBy('event_seq')
    .limit(limit)
    .$if(postgres, (query) => query.forUpdate().skipLocked())
  const claimed = await db
    .updateTable('bus_outbox')
    .set({ lease_until: leaseUntil })
    .where('event_seq', 'in', due)
    .returning(['event_seq', 'attempts'])
    .execute()
  if (claimed.length === 0) return []
  const attempts = new Map(claimed.map((row) => [Number(row.event_seq), row.attempts]))
  const events = await db
    .selectFrom('events')
    .select(['seq', 'id', 'type', 'payload'])
    .where('seq', 'in', [...attempts.keys()])
    .orderBy('seq')
    .execute()
  return events.map((event) => ({
    seq: Number(event.seq),
    id: event.id,
    type: event.type,
    payload: event.payload,
    attempts: attempts.get(Number(event.seq)) ?? 0,
  }))
}

/** Published: the rows are done. */
export async function deleteBusEntries(db: Db, seqs: readonly number[]): Promise<void> {
  if (seqs.length === 0) return
  await db
    .deleteFrom('bus_outbox')
    .where('event_seq', 'in', [...seqs])
    .execute()
}

/** A publish failed: one more attempt counted, tried again at `nextAttemptAt`, unless the lease was lost meanwhile. */
export async function failBusEntry(
  db: Db,
  seq: number,
  { leaseUntil, nextAttemptAt, error }: { leaseUntil: string; nextAttemptAt: string; error: string },
): Promise<void> {
  await db
    .updateTable('bus_outbox')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      next_attempt_at: nextAttemptAt,
      last_error: error.slice(0, 500),
      lease_until: null,
    }))
    .where('event_seq', '=', seq)
    .where('lease_until', '=', leaseUntil)
    .execute()
}

/**
 * Claimed rows left unpublished (the instance is closing, or an earlier row of the batch failed):
 * free again, from `nextAttemptAt` when given, else at once; no attempt counted.
 */
export async function releaseBusEntries(
  db: Db,
  seqs: readonly number[],
  { leaseUntil, nextAttemptAt }: { leaseUntil: string; nextAttemptAt?: string },
): Promise<void> {
  if (seqs.length === 0) return
  await db
    .updateTable('bus_outbox')
    .set(nextAttemptAt === undefined ? { lease_until: null } : { lease_until: null, next_attempt_at: nextAttemptAt })
    .where('event_seq', 'in', [...seqs])
    .where('lease_until', '=', leaseUntil)
    .execute()
}

/** How many events wait for the bus. */
export async function countBusEntries(db: Db): Promise<number> {
  const row = await db
    .selectFrom('bus_outbox')
    .select((eb) => eb.fn.countAll<number>().as('pending'))
    .executeTakeFirstOrThrow()
  return Number(row.pending)
}

/** When the oldest event waiting for the bus was written; undefined when none waits. */
export async function oldestBusEntryCreatedAt(db: Db): Promise<string | undefined> {
  const row = await db
    .selectFrom('bus_outbox')
    .innerJoin('events', 'events.seq', 'bus_outbox.event_seq')
    .select('events.created_at')
    .orderBy('bus_outbox.event_seq')
    .limit(1)
    .executeTakeFirst()
  return row?.created_at
}
