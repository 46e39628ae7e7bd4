import type { Db } from '../../db/types.js'

/**
 * Records a delivery's identity. Returns false when it was recorded before: the primary key makes
 * the check and the record one atomic step, shared by every instance on the same database.
 */
export async function recordEvent(
  db: Db,
  event: { event_id: string; event_type: string; order_id: number },
  now: string,
): Promise<boolean> {
  const inserted = await db
    .insertInto('webhook_events')
    .values({ ...event, received_at: now })
    .onConflict((conflict) => conflict.column('event_id').doNothing())
    .returning('event_id')
    .executeTakeFirst()
  return inserted !== undefined
}

export async function findEvent(db: Db, eventId: string) {
  return db.selectFrom('webhook_events').selectAll().where('event_id', '=', eventId).executeTakeFirst()
}
