import type { Transaction } from 'kysely'
import type { Database, Db, OrderRow, OrderStatus } from '../../db/types.js'
import type { Page } from '../../shared/pagination.js'

/** SQL for orders. Every function takes `db` or a transaction as its first argument. */

export interface OrderFilter {
  status?: OrderStatus | undefined
  productId?: number | undefined
}

export async function insertOrder(
  db: Db,
  order: { product_id: number; quantity: number; unit_price_cents: number },
  now: string,
): Promise<OrderRow> {
  return db
    .insertInto('orders')
    .values({ ...order, status: 'PENDING', created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function findOrder(db: Db, id: number): Promise<OrderRow | undefined> {
  return db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst()
}

/**
 * Reads an order and locks it until the transaction ends (PostgreSQL's FOR UPDATE; SQLite's
 * transactions are serialized anyway). Every status change goes through this, so changes to one
 * order run one after the other, each seeing the status the previous one left.
 */
export async function lockOrder(trx: Transaction<Database>, id: number): Promise<OrderRow | undefined> {
  return trx.selectFrom('orders').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
}

function filtered(db: Db, filter: OrderFilter) {
  let query = db.selectFrom('orders')
  if (filter.status) query = query.where('status', '=', filter.status)
  if (filter.productId) query = query.where('product_id', '=', filter.productId)
  return query
}

export async function listOrders(db: Db, filter: OrderFilter, page: Page): Promise<OrderRow[]> {
  return filtered(db, filter)
    .selectAll()
    .$if(page.afterId !== undefined, (query) => query.where('id', '>', page.afterId!))
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)
    .execute()
}

export async function countOrders(db: Db, filter: OrderFilter): Promise<number> {
  const row = await filtered(db, filter)
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow()
  return Number(row.total)
}

/**
 * Moves an order from `from` to `to` only if it is still in `from`. Two racing requests cannot
 * both succeed, which is what makes "cancel returns stock exactly once" hold.
 */
export async function transitionOrder(
  db: Db,
  id: number,
  from: OrderStatus,
  to: OrderStatus,
  now: string,
): Promise<OrderRow | undefined> {
  return db
    .updateTable('orders')
    .set({ status: to, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', from)
    .returningAll()
    .executeTakeFirst()
}

export async function deleteCanceledOrder(db: Db, id: number): Promise<boolean> {
  const result = await db.deleteFrom('orders').where('id', '=', id).where('status', '=', 'CANCELED').executeTakeFirst()
  return result.numDeletedRows > 0n
}
