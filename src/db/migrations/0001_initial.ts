import { sql, type Kysely } from 'kysely'

// Frozen: migrations use Kysely<any>, never the application's types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('products')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('sku', 'text', (col) => col.notNull().check(sql`length(sku) between 1 and 64`))
    .addColumn('name', 'text', (col) => col.notNull().check(sql`length(name) between 1 and 200`))
    .addColumn('price_cents', 'integer', (col) => col.notNull().check(sql`price_cents > 0`))
    .addColumn('stock', 'integer', (col) =>
      col
        .notNull()
        .defaultTo(0)
        .check(sql`stock >= 0`),
    )
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addColumn('deleted_at', 'text')
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
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('product_id', 'integer', (col) => col.notNull().references('products.id'))
    .addColumn('quantity', 'integer', (col) => col.notNull().check(sql`quantity > 0`))
    .addColumn('status', 'text', (col) =>
      col.notNull().check(sql`status in ('PENDING', 'PAID', 'SHIPPED', 'CANCELED')`),
    )
    .addColumn('unit_price_cents', 'integer', (col) => col.notNull().check(sql`unit_price_cents > 0`))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute()

  await db.schema.createIndex('orders_product_status').on('orders').columns(['product_id', 'status']).execute()
  await db.schema.createIndex('orders_status_id').on('orders').columns(['status', 'id']).execute()

  await db.schema
    .createTable('webhook_events')
    .addColumn('event_id', 'text', (col) => col.primaryKey())
    .addColumn('event_type', 'text', (col) => col.notNull())
    .addColumn('order_id', 'integer')
    .addColumn('received_at', 'text', (col) => col.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_events').execute()
  await db.schema.dropTable('orders').execute()
  await db.schema.dropTable('products').execute()
}
