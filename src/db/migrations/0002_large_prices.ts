import { PostgresAdapter, sql, type Kysely } from 'kysely'

/**
 * Prices up to 10,000,000,000.00: 10^12 cents no longer fit PostgreSQL's 32-bit `integer`, so the
 * two cent columns become `bigint` (existing values are kept as they are; the CHECKs stay).
 * SQLite's integer is already 64-bit: nothing to do there.
 */
// Frozen: migrations use Kysely<any>, never the application's types.
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return
  await sql`alter table products alter column price_cents type bigint`.execute(db)
  await sql`alter table orders alter column unit_price_cents type bigint`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return
  await sql`alter table orders alter column unit_price_cents type integer`.execute(db)
  await sql`alter table products alter column price_cents type integer`.execute(db)
}
