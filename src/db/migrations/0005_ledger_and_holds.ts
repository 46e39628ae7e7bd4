import { PostgresAdapter, sql, type Kysely } from 'kysely'

/**
 * The inventory ledger and stock holds that expire.
 * - `stock_movements`: every change of a product's stock, with the stock after it, its reason,
 *   the order or reference behind it and who made it. Every existing product gets an `initial`
 *   movement of the stock it has, so that the books balance from the start.
 * - Orders get `expires_at` (null: the order never expires) and `cancel_reason` (null unless
 *   CANCELED); orders canceled before this migration were canceled on request.
 */
// Frozen: migrations use Kysely<any>, never the application's types.
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter
  const id = postgres ? 'bigint' : 'integer'
  const timestamp = postgres ? 'timestamptz' : 'text'
  await db.schema
    .createTable('stock_movements')
    .addColumn('id', id, (col) =>
      postgres ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
    )
    .addColumn('product_id', id, (col) => col.notNull().references('products.id'))
    .addColumn('delta', id, (col) => col.notNull())
    .addColumn('stock_after', id, (col) => col.notNull().check(sql`stock_after >= 0`))
    .addColumn('reason', 'text', (col) =>
      col
        .notNull()
        .check(
          sql`reason in ('initial', 'order_placed', 'order_canceled', 'order_expired', 'product_update', 'received', 'returned', 'correction', 'cycle_count', 'damaged', 'shrinkage', 'other')`,
        ),
    )
    // No foreign key: the movement keeps the order's id after a canceled order's record is deleted.
    .addColumn('order_id', id)
    .addColumn('reference', 'text', (col) => col.check(sql`length(reference) between 1 and 200`))
    .addColumn('actor', 'text')
    .addColumn('created_at', timestamp, (col) => col.notNull())
    .execute()
  // A product's movements in order, and the sum of its deltas read from the index alone.
  await db.schema
    .createIndex('stock_movements_product')
    .on('stock_movements')
    .columns(['product_id', 'id', 'delta'])
    .execute()
  const now = new Date().toISOString()
  await sql`insert into stock_movements (product_id, delta, stock_after, reason, created_at)
    select id, stock, stock, 'initial', ${now} from products order by id`.execute(db)

  await db.schema.alterTable('orders').addColumn('expires_at', timestamp).execute()
  await db.schema
    .alterTable('orders')
    .addColumn('cancel_reason', 'text', (col) => col.check(sql`cancel_reason in ('requested', 'expired')`))
    .execute()
  await sql`update orders set cancel_reason = 'requested' where status = 'CANCELED'`.execute(db)
  // The sweep's question: which PENDING orders are due?
  await sql`create index orders_pending_expiry on orders (expires_at) where status = 'PENDING'`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('orders_pending_expiry').execute()
  await db.schema.alterTable('orders').dropColumn('cancel_reason').execute()
  await db.schema.alterTable('orders').dropColumn('expires_at').execute()
  await db.schema.dropTable('stock_movements').execute()
}
