import type { Db, EventType } from '../../db/types.js'
import { RequestValidationError } from '../../shared/errors.js'
import { countWithCache } from '../../shared/counts.js'
import * as events from './repository.js'
import type { EventsQuery } from './schemas.js'

/**
 * An event of `type` about `data` (the order or product as the API shows it), ready to record:
 * its payload is the JSON delivered and signed, `{"id","type","timestamp","data"}`.
 */
export function eventOf(type: EventType, data: object, now: string): events.NewEvent {
  const id = events.newEventId(Date.parse(now))
  return { id, type, payload: JSON.stringify({ id, type, timestamp: now, data }) }
}

/**
 * The stock events a change from `before` to `after` crosses: `stock.low` when it falls below the
 * product's threshold, `stock.depleted` when it reaches 0, `stock.replenished` when it leaves 0.
 */
export function stockCrossings(before: number, after: number, threshold: number | null): EventType[] {
  const crossed: EventType[] = []
  if (threshold !== null && before >= threshold && after < threshold) crossed.push('stock.low')
  if (before > 0 && after === 0) crossed.push('stock.depleted')
  if (before === 0 && after > 0) crossed.push('stock.replenished')
  return crossed
}

/** A page of events, oldest first, as the JSON text of an array of their payloads. */
export async function listEvents(
  db: Db,
  query: EventsQuery,
): Promise<{ json: string; total: number; size: number; lastId: string | undefined; limit: number }> {
  const limit = query.limit ?? 100
  let afterSeq: number | undefined
  if (query.after_id !== undefined) {
    afterSeq = await events.seqOfEvent(db, query.after_id)
    if (afterSeq === undefined) {
      throw new RequestValidationError([
        { loc: ['query', 'after_id'], msg: 'No such event (or it was purged)', type: 'value_error' },
      ])
    }
  }
  const rows = await events.listEvents(db, { type: query.type, afterSeq, limit })
  const total = await countWithCache(db, `events:${query.type ?? '*'}`, () => events.countEvents(db, query.type))
  return {
    json: `[${rows.map((row) => row.payload).join(',')}]`,
    total,
    size: rows.length,
    lastId: rows.at(-1)?.id,
    limit,
  }
}
