import { PostgresAdapter, sql, type Kysely } from 'kysely'

/**
 * Orders with several lines. Every order gets its lines in `order_lines` (line number, product,
 * quantity, the unit price frozen at order time); every existing order becomes line 1, nothing lost. The order
 * keeps `product_id` and `unit_price_cents` for a one-line order (null when it has several lines),
 * `quantity` becomes all its units, and `total_cents` the sum of its line totals.
 *
 * SQLite cannot drop a NOT NULL constraint: its orders table is rebuilt (same ids, same rows, the
 * AUTOINCREMENT counter kept, so ids of deleted orders are still never reused).
 */
// Frozen: migrations use Kysely<any>, never the application's types.
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter
  if (postgres) {
    await sql`alter table orders alter column product_id drop not null`.execute(db)
    await sql`alter table orders alter column unit_price_cents drop not null`.execute(db)
    await sql`alter table orders add column total_cents bigint`.execute(db)
    await sql`update orders set total_cents = unit_price_cents * quantity`.execute(db)
    await sql`alter table orders alter column total_cents set not null`.execute(db)
    await sql`alter table orders add constraint orders_total_cents_check check (total_cents > 0)`.execute(db)
  } else {
    await rebuildSqliteOrders(db)
  }

  // Keyed by (order, line number): an order's lines are stored together and read by that key, with
  // no second index to maintain on every order placed (SQLite: a WITHOUT ROWID table).
  const id = postgres ? 'bigint' : 'integer'
  await sql`create table order_lines (
    order_id ${sql.raw(id)} not null references orders (id) on delete cascade,
    line_no integer not null check (line_no >= 1),
    product_id ${sql.raw(id)} not null references products (id),
    quantity integer not null check (quantity > 0),
    unit_price_cents ${sql.raw(postgres ? 'bigint' : 'integer')} not null check (unit_price_cents > 0),
    primary key (order_id, line_no)
  )${sql.raw(postgres ? '' : ' without rowid')}`.execute(db)
  await sql`insert into order_lines (order_id, line_no, product_id, quantity, unit_price_cents)
    select id, 1, product_id, quantity, unit_price_cents from orders order by id`.execute(db)
  // "Orders with any line of product 7", and "does a live order hold this product".
  await db.schema
    .createIndex('order_lines_product_order')
    .on('order_lines')
    .columns(['product_id', 'order_id'])
    .execute()
}

async function rebuildSqliteOrders(db: Kysely<any>): Promise<void> {
  const sequence = await sql<{ seq: number }>`select seq from sqlite_sequence where name = 'orders'`.execute(db)
  await sql`create table orders_rebuilt (
    id integer primary key autoincrement,
    product_id integer references products (id),
    quantity integer not null check (quantity > 0),
    status text not null check (status in ('PENDING', 'PAID', 'SHIPPED', 'CANCELED')),
    unit_price_cents integer check (unit_price_cents > 0),
    total_cents integer not null check (total_cents > 0),
    created_at text not null,
    updated_at text not null
  )`.execute(db)
  await sql`insert into orders_rebuilt (id, product_id, quantity, status, unit_price_cents, total_cents, created_at, updated_at)
    select id, product_id, quantity, status, unit_price_cents, unit_price_cents * quantity, created_at, updated_at
    from orders order by id`.execute(db)
  await sql`drop table orders`.execute(db)
  await sql`alter table orders_rebuilt rename to orders`.execute(db)
  const seq = sequence.rows[0]?.seq
  if (seq !== undefined) {
    await sql`update sqlite_sequence set seq = max(seq, ${seq}) where name = 'orders'`.execute(db)
  }
  await db.schema.createIndex('orders_product_status').on('orders').columns(['product_id', 'status']).execute()
  await db.schema.createIndex('orders_status_id').on('orders').columns(['status', 'id']).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  // Orders with several lines cannot go back to one product per order: refuse rather than lose them.
  const several = await sql<{ n: number }>`select count(*) as n from orders where product_id is null`.execute(db)
  if (Number(several.rows[0]?.n ?? 0) > 0) throw new Error('orders with several lines cannot be migrated down')
  await db.schema.dropTable('order_lines').execute()
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table orders drop column total_cents`.execute(db)
    await sql`alter table orders alter column unit_price_cents set not null`.execute(db)
    await sql`alter table orders alter column product_id set not null`.execute(db)
  }
}
