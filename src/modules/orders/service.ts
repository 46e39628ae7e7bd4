import type { Transaction } from 'kysely'
import type { Database, Db, OrderRow, OrderStatus } from '../../db/types.js'
import { DomainError, notFound, RequestValidationError } from '../../shared/errors.js'
import { fromCents, MAX_TOTAL_CENTS } from '../../shared/money.js'
import { countWithCache } from '../../shared/counts.js'
import type { Page } from '../../shared/pagination.js'
import type { CatalogueCache } from '../products/catalogue-cache.js'
import * as inventory from '../products/repository.js'
import * as orders from './repository.js'
import type { Order, OrderCreate } from './schemas.js'
import { inTransaction } from '../../db/transaction.js'

/** Which status may follow which. SHIPPED and CANCELED are final. */
const nextStatuses: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: ['PAID', 'CANCELED'],
  PAID: ['SHIPPED', 'CANCELED'],
  SHIPPED: [],
  CANCELED: [],
}

export function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    product_id: row.product_id,
    quantity: row.quantity,
    status: row.status,
    unit_price: fromCents(row.unit_price_cents),
    total: fromCents(row.unit_price_cents * row.quantity),
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

/*
 * The use cases that take or return stock take the app's catalogue cache (undefined on PostgreSQL)
 * and hand it to the products repository, which tells it before the stock changes.
 */

/** Placing an order: take the stock and record the order in one transaction, or do neither. */
export async function placeOrder(
  db: Db,
  input: OrderCreate,
  catalogueCache: CatalogueCache | undefined,
): Promise<Order> {
  return inTransaction(db, async (trx) => {
    const now = new Date().toISOString()
    const taken = await inventory.takeStock(trx, catalogueCache, input.product_id, input.quantity, now)
    if (!taken) {
      const product = await inventory.findLiveProduct(trx, input.product_id)
      if (!product) throw notFound.product()
      throw new DomainError(
        'INSUFFICIENT_STOCK',
        `Insufficient stock. Available: ${product.stock}, Requested: ${input.quantity}`,
      )
    }
    // A product's price is known only once it is taken (it may change until then); throwing here
    // rolls the take back.
    if (taken.price_cents * input.quantity > MAX_TOTAL_CENTS) throw totalTooLarge()
    const row = await orders.insertOrder(
      trx,
      { product_id: input.product_id, quantity: input.quantity, unit_price_cents: taken.price_cents },
      now,
    )
    return toOrder(row)
  })
}

const totalTooLarge = () =>
  new RequestValidationError([
    {
      loc: ['body', 'quantity'],
      msg: `The order total would exceed ${fromCents(MAX_TOTAL_CENTS)}`,
      type: 'value_error',
    },
  ])

export async function getOrder(db: Db, id: number): Promise<Order> {
  const row = await orders.findOrder(db, id)
  if (!row) throw notFound.order()
  return toOrder(row)
}

export async function listOrders(
  db: Db,
  filter: orders.OrderFilter,
  page: Page,
): Promise<{ items: Order[]; total: number }> {
  // Both queries on one connection, back to back: once the first has run (on SQLite, after any
  // pending write has committed), no write from this process lands before the second.
  return db.connection().execute(async (conn) => {
    const rows = await orders.listOrders(conn, filter, page)
    const total = await countWithCache(db, `orders:${filter.status ?? ''}:${filter.productId ?? ''}`, () =>
      orders.countOrders(conn, filter),
    )
    return { items: rows.map(toOrder), total }
  })
}

/*
 * Lock order, the same in every transaction, so that none can deadlock: a webhook event record,
 * then the order, then its product. Placing an order locks only the product (the order is new).
 */

/**
 * PUT /orders/{id}: idempotent (setting the current status again changes nothing: `changed` is
 * false); a cancel returns the stock exactly once.
 */
export async function changeOrderStatus(
  db: Db,
  id: number,
  to: OrderStatus,
  catalogueCache: CatalogueCache | undefined,
): Promise<{ order: Order; changed: boolean }> {
  return inTransaction(db, async (trx) => {
    const order = await orders.lockOrder(trx, id)
    if (!order) throw notFound.order()
    if (order.status === to) return { order: toOrder(order), changed: false }
    if (!nextStatuses[order.status].includes(to)) {
      throw new DomainError('INVALID_STATUS_TRANSITION', `Invalid status transition from ${order.status} to ${to}`)
    }
    return { order: toOrder(await moveOrder(trx, order, to, catalogueCache)), changed: true }
  })
}

/** DELETE /orders/{id}: cancels a PENDING or PAID order; deletes a CANCELED one. */
export async function cancelOrDeleteOrder(
  db: Db,
  id: number,
  catalogueCache: CatalogueCache | undefined,
): Promise<'canceled' | 'deleted'> {
  return inTransaction(db, async (trx) => {
    const order = await orders.lockOrder(trx, id)
    if (!order) throw notFound.order()
    if (order.status === 'CANCELED') {
      await orders.deleteCanceledOrder(trx, id)
      return 'deleted'
    }
    if (!nextStatuses[order.status].includes('CANCELED')) {
      throw new DomainError('ORDER_NOT_CANCELABLE', `Cannot cancel order with status ${order.status}`)
    }
    await moveOrder(trx, order, 'CANCELED', catalogueCache)
    return 'canceled'
  })
}

/**
 * Moves a locked order on from the status it was read in, within the caller's transaction (the one
 * that locked it: lockOrder); a cancel puts the units back in the same transaction, hence exactly
 * once, and so needs the catalogue cache (a move to PAID or SHIPPED touches no product). The update
 * is also conditional on that status: should a caller ever skip the lock, a lost race fails loudly
 * instead of returning the stock twice.
 */
export async function moveOrder(trx: Transaction<Database>, order: OrderRow, to: 'PAID' | 'SHIPPED'): Promise<OrderRow>
export async function moveOrder(
  trx: Transaction<Database>,
  order: OrderRow,
  to: OrderStatus,
  catalogueCache: CatalogueCache | undefined,
): Promise<OrderRow>
export async function moveOrder(
  trx: Transaction<Database>,
  order: OrderRow,
  to: OrderStatus,
  catalogueCache?: CatalogueCache,
): Promise<OrderRow> {
  const now = new Date().toISOString()
  const moved = await orders.transitionOrder(trx, order.id, order.status, to, now)
  if (!moved) throw new DomainError('CONCURRENT_UPDATE', 'The order was changed concurrently, please retry')
  if (to === 'CANCELED') await inventory.returnStock(trx, catalogueCache, order.product_id, order.quantity, now)
  return moved
}
