import { sql, type Transaction } from 'kysely'
import type { CancelReason, Database, Db, OrderLineRow, OrderRow, OrderStatus } from '../../db/types.js'
import type { Page } from '../../shared/pagination.js'

/** SQL for orders. Every function takes `db` or a transaction as its first argument. */

export interface OrderFilter {
  status?: OrderStatus | undefined
  productId?: number | undefined
  /** Placed at or after this instant (ISO 8601). */
  createdFrom?: string | undefined
  /** Placed before this instant (ISO 8601). */
  createdTo?: string | undefined
}

export interface NewOrderRow {
  /** Null when the order has several lines. */
  product_id: number | null
  quantity: number
  unit_price_cents: number | null
  total_cents: number
  /** Null: the order holds its stock until paid or canceled. */
  expires_at: string | null
}

export interface NewOrderLine {
  product_id: number
  quantity: number
  unit_price_cents: number
}

/*
 * Placing an order is the hottest write: its two inserts are written as SQL templates, which Kysely
 * compiles without building a query tree (the query builder cost a tenth of an order's CPU).
 */

export async function insertOrder(db: Db, order: NewOrderRow, now: string): Promise<OrderRow> {
  const { rows } = await sql<OrderRow>`insert into orders
      (product_id, quantity, status, unit_price_cents, total_cents, expires_at, created_at, updated_at)
    values (${order.product_id}, ${order.quantity}, 'PENDING', ${order.unit_price_cents}, ${order.total_cents},
      ${order.expires_at}, ${now}, ${now})
    returning *`.execute(db)
  return rows[0]!
}

/** The order's lines, numbered in the order given; returns them as stored. */
export async function insertLines(db: Db, orderId: number, lines: readonly NewOrderLine[]): Promise<OrderLineRow[]> {
  const rows = lines.map((line, i) => ({ order_id: orderId, line_no: i + 1, ...line }))
  const values = sql.join(
    rows.map(
      (row) => sql`(${row.order_id}, ${row.line_no}, ${row.product_id}, ${row.quantity}, ${row.unit_price_cents})`,
    ),
  )
  await sql`insert into order_lines (order_id, line_no, product_id, quantity, unit_price_cents)
    values ${values}`.execute(db)
  return rows
}

/** The lines of these orders, each order's in the order they were given. */
export async function findLines(db: Db, orderIds: readonly number[]): Promise<OrderLineRow[]> {
  if (orderIds.length === 0) return []
  const lines = db.selectFrom('order_lines').selectAll()
  return (orderIds.length === 1 ? lines.where('order_id', '=', orderIds[0]!) : lines.where('order_id', 'in', orderIds))
    .orderBy('order_id')
    .orderBy('line_no')
    .execute()
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
  if (filter.createdFrom) query = query.where('created_at', '>=', filter.createdFrom)
  if (filter.createdTo) query = query.where('created_at', '<', filter.createdTo)
  // Orders with any line of the product.
  if (filter.productId) {
    const productId = filter.productId
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('order_lines')
          .select('order_lines.line_no')
          .whereRef('order_lines.order_id', '=', 'orders.id')
          .where('order_lines.product_id', '=', productId),
      ),
    )
  }
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
  cancelReason: CancelReason | null = null,
): Promise<OrderRow | undefined> {
  return db
    .updateTable('orders')
    .set({ status: to, updated_at: now, cancel_reason: to === 'CANCELED' ? cancelReason : null })
    .where('id', '=', id)
    .where('status', '=', from)
    .returningAll()
    .executeTakeFirst()
}

/** Deletes a CANCELED order; its lines go with it (ON DELETE CASCADE). */
export async function deleteCanceledOrder(trx: Transaction<Database>, id: number): Promise<boolean> {
  const result = await trx.deleteFrom('orders').where('id', '=', id).where('status', '=', 'CANCELED').executeTakeFirst()
  return result.numDeletedRows > 0n
}

/**
 * PENDING orders whose hold has run out, oldest first: what the sweep cancels. Only their ids: each
 * is then locked and checked again in a transaction of its own.
 */
export async function findDueOrders(db: Db, now: string, limit: number): Promise<number[]> {
  const rows = await db
    .selectFrom('orders')
    .select('id')
    .where('status', '=', 'PENDING')
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(limit)
    .execute()
  return rows.map((row) => row.id)
}

/**
 * Locks an order for the sweep, or answers undefined when another transaction holds it (PostgreSQL's
 * SKIP LOCKED: another instance is expiring or paying it now; the next sweep looks again).
 */
export async function lockOrderSkippingLocked(trx: Transaction<Database>, id: number): Promise<OrderRow | undefined> {
  return trx.selectFrom('orders').selectAll().where('id', '=', id).forUpdate().skipLocked().executeTakeFirst()
}

/** How many orders of each status, and the totals of those paid (PAID or SHIPPED), in cents. */
export async function summarizeOrders(
  db: Db,
  filter: OrderFilter,
): Promise<{ status: OrderStatus; orders: number; total_cents: number }[]> {
  const rows = await filtered(db, filter)
    .select((eb) => [
      'status',
      eb.fn.countAll<number>().as('orders'),
      eb.fn.sum<number>('total_cents').as('total_cents'),
    ])
    .groupBy('status')
    .execute()
  return rows.map((row) => ({ status: row.status, orders: Number(row.orders), total_cents: Number(row.total_cents) }))
}
