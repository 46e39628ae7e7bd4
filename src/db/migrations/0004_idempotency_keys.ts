import { PostgresAdapter, sql, type Kysely } from 'kysely'

/**
 * Idempotency-Key records (src/plugins/idempotency.ts): one row per caller and key, written in the
 * same transaction as the work it guards. Timestamps are `timestamptz` on PostgreSQL and ISO 8601
 * text on SQLite, as in 0001.
 */
// Frozen: migrations use Kysely<any>, never the application's types.
export async function up(db: Kysely<any>): Promise<void> {
  const timestamp = db.getExecutor().adapter instanceof PostgresAdapter ? 'timestamptz' : 'text'
  await db.schema
    .createTable('idempotency_keys')
    // The API key's name; '' for a caller without one (API_KEYS off).
    .addColumn('caller', 'text', (col) => col.notNull())
    .addColumn('key', 'text', (col) => col.notNull())
    .addColumn('method', 'text', (col) => col.notNull())
    .addColumn('path', 'text', (col) => col.notNull())
    .addColumn('fingerprint', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull().check(sql`state in ('running', 'done')`))
    // Who runs the request now, and until when: another request may take a running record over
    // once its lease has run out (its instance crashed).
    .addColumn('lease_token', 'text', (col) => col.notNull())
    .addColumn('locked_until', timestamp, (col) => col.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'text')
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .addColumn('expires_at', timestamp, (col) => col.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['caller', 'key'])
    .execute()
  await db.schema.createIndex('idempotency_keys_expires_at').on('idempotency_keys').column('expires_at').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute()
}
