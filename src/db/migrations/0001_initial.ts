import { PostgresAdapter, sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely'

/**
 * Where SQLite and PostgreSQL differ, and nowhere else:
 * - ids: SQLite's `integer primary key autoincrement` (64-bit, never reused) against a `bigint`
 *   identity column;
 * - large integers (ids, stock): SQLite's integer is always 64-bit, PostgreSQL's is 32-bit;
 * - timestamps: ISO 8601 text on SQLite (which has no time type; it sorts as time does) against
 *   `timestamptz`. Both read back as the same ISO strings (see connect.ts).
 * The partial unique index on live SKUs and the CHECK constraints are the same SQL on both.
 */
function columnTypes(db: Kysely<any>) {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter
  return {
    id: postgres ? 'bigint' : 'integer',
    identity: (col: ColumnDefinitionBuilder) =>
      postgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
    bigInteger: postgres ? 'bigint' : 'integer',
    timestamp: postgres ? 'timestamptz' : 'text',
  } as const
}

// Frozen: migrations use Kysely<any>, never the application's types.
export async function up(db: Kysely<any>): Promise<void> {
  const type = columnTypes(db)
  await db.schema
    .createTable('products')
    .addColumn('id', type.id, type.identity)
    .addColumn('sku', 'text', (col) => col.notNull().check(sql`length(sku) between 1 and 64`))
    .addColumn('name', 'text', (col) => col.notNull().check(sql`length(name) between 1 and 200`))
    .addColumn('price_cents', 'integer', (col) => col.notNull().check(sql`price_cents > 0`))
    .addColumn('stock', type.bigInteger, (col) =>
      col
        .notNull()
        .defaultTo(0)
        .check(sql`stock >= 0`),
    )
    .addColumn('created_at', type.timestamp, (col) => col.notNull())
    .addColumn('updated_at', type.timestamp, (col) => col.notNull())
    .addColumn('deleted_at', type.timestamp)
    .execute()

  // A SKU is unique among live products only: deleting a product frees its SKU.
  await db.schema
    .createIndex('products_sku_live_unique')
    .on('products')
    .column('sku')
    .unique()
    .where(sql.ref('deleted_at'), 'is', null)
    .execute()

  await db.schema
    .createTable('orders')
    .addColumn('id', type.id, type.identity)
    .addColumn('product_id', type.id, (col) => col.notNull().references('products.id'))
    .addColumn('quantity', 'integer', (col) => col.notNull().check(sql`quantity > 0`))
    .addColumn('status', 'text', (col) =>
      col.notNull().check(sql`status in ('PENDING', 'PAID', 'SHIPPED', 'CANCELED')`),
    )
    .addColumn('unit_price_cents', 'integer', (col) => col.notNull().check(sql`unit_price_cents > 0`))
    .addColumn('created_at', type.timestamp, (col) => col.notNull())
    .addColumn('updated_at', type.timestamp, (col) => col.notNull())
    .execute()

  await db.schema.createIndex('orders_product_status').on('orders').columns(['product_id', 'status']).execute()
  await db.schema.createIndex('orders_status_id').on('orders').columns(['status', 'id']).execute()

  await db.schema
    .createTable('webhook_events')
    .addColumn('event_id', 'text', (col) => col.primaryKey())
    .addColumn('event_type', 'text', (col) => col.notNull())
    .addColumn('order_id', type.id)
    .addColumn('received_at', type.timestamp, (col) => col.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_events').execute()
  await db.schema.dropTable('orders').execute()
  await db.schema.dropTable('products').execute()
}
