import { PostgresAdapter, sql, type Kysely } from 'kysely'

/**
 * Outbound events: the transactional outbox, webhook endpoints, their deliveries and attempts, and
 * the event bus's queue.
 * - `events`: every state change's event, written in the change's transaction. `seq` orders them;
 *   `id` (`evt_...`) is the public identity (the `webhook-id` of every delivery, the bus's
 *   `Nats-Msg-Id`); `payload` is the exact JSON that is delivered and signed. `fanned_out_at` is
 *   null until the dispatcher has made its deliveries (a partial index keeps that queue small).
 * - `webhook_endpoints`: where to deliver, which event types, the signing secret (and the previous
 *   one for a day after a rotation).
 * - `webhook_deliveries`: one per event and endpoint; `lease_until` is the claim of the instance
 *   attempting it. `webhook_attempts`: every attempt, with its outcome.
 * - `bus_outbox`: events still to publish to the event bus (only when one is configured).
 * - Products get `low_stock_threshold` (null: no `stock.low` event).
 */
// Frozen: migrations use Kysely<any>, never the application's types.
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter
  const id = postgres ? 'bigint' : 'integer'
  const timestamp = postgres ? 'timestamptz' : 'text'
  const primaryId = (col: any) =>
    postgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement()

  await db.schema
    .alterTable('products')
    .addColumn('low_stock_threshold', id, (col) => col.check(sql`low_stock_threshold >= 0`))
    .execute()

  await db.schema
    .createTable('events')
    .addColumn('seq', id, primaryId)
    .addColumn('id', 'text', (col) => col.notNull().unique())
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('payload', 'text', (col) => col.notNull())
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('fanned_out_at', timestamp)
    .execute()
  await db.schema.createIndex('events_type').on('events').columns(['type', 'seq']).execute()
  await sql`create index events_to_fan_out on events (seq) where fanned_out_at is null`.execute(db)

  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', id, primaryId)
    .addColumn('url', 'text', (col) => col.notNull())
    .addColumn('events', 'text', (col) => col.notNull())
    .addColumn('description', 'text')
    .addColumn('enabled', 'integer', (col) => col.notNull().check(sql`enabled in (0, 1)`))
    .addColumn('disabled_reason', 'text')
    .addColumn('secret', 'text', (col) => col.notNull())
    .addColumn('previous_secret', 'text')
    .addColumn('previous_secret_expires_at', timestamp)
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .execute()

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', id, primaryId)
    .addColumn('endpoint_id', id, (col) => col.notNull().references('webhook_endpoints.id').onDelete('cascade'))
    .addColumn('event_seq', id, (col) => col.notNull().references('events.seq').onDelete('cascade'))
    .addColumn('event_id', 'text', (col) => col.notNull())
    .addColumn('event_type', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().check(sql`status in ('pending', 'succeeded', 'failed')`))
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('next_attempt_at', timestamp)
    .addColumn('lease_until', timestamp)
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('updated_at', timestamp, (col) => col.notNull())
    .addUniqueConstraint('webhook_deliveries_endpoint_event', ['endpoint_id', 'event_seq'])
    .execute()
  await db.schema
    .createIndex('webhook_deliveries_endpoint')
    .on('webhook_deliveries')
    .columns(['endpoint_id', 'id'])
    .execute()
  await db.schema.createIndex('webhook_deliveries_event').on('webhook_deliveries').column('event_seq').execute()
  // The dispatcher's question: which deliveries are due?
  await sql`create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending'`.execute(
    db,
  )

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('id', id, primaryId)
    .addColumn('delivery_id', id, (col) => col.notNull().references('webhook_deliveries.id').onDelete('cascade'))
    .addColumn('attempt', 'integer', (col) => col.notNull())
    .addColumn('started_at', timestamp, (col) => col.notNull())
    .addColumn('duration_ms', 'integer', (col) => col.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('response_excerpt', 'text')
    .execute()
  await db.schema
    .createIndex('webhook_attempts_delivery')
    .on('webhook_attempts')
    .columns(['delivery_id', 'id'])
    .execute()

  await db.schema
    .createTable('bus_outbox')
    .addColumn('event_seq', id, (col) => col.primaryKey().references('events.seq').onDelete('cascade'))
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('next_attempt_at', timestamp, (col) => col.notNull())
    .addColumn('lease_until', timestamp)
    .addColumn('last_error', 'text')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('bus_outbox').execute()
  await db.schema.dropTable('webhook_attempts').execute()
  await db.schema.dropTable('webhook_deliveries').execute()
  await db.schema.dropTable('webhook_endpoints').execute()
  await db.schema.dropTable('events').execute()
  await db.schema.alterTable('products').dropColumn('low_stock_threshold').execute()
}
