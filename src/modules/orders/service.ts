import { PostgresAdapter, type Transaction } from 'kysely'
import { ORDER_STATUSES } from '../../db/types.js'
import type { CancelReason, Database, Db, EventType, OrderLineRow, OrderRow, OrderStatus } from '../../db/types.js'
import { recordEvents } from '../events/repository.js'
import { eventOf } from '../events/service.js'
import { DomainError, notFound, RequestValidationError } from '../../shared/errors.js'
import { fromCents, MAX_TOTAL_CENTS } from '../../shared/money.js'
import { countWithCache } from '../../shared/counts.js'
import type { Page } from '../../shared/pagination.js'
import type { CatalogueCache } from '../products/catalogue-cache.js'
import * as inventory from '../products/repository.js'
import * as orders from './repository.js'
import type { Order, OrderCreate, OrderSummary } from './schemas.js'
import { inTransaction } from '../../db/transaction.js'
import { assertPreconditions, representationOf, type Conditions } from '../../shared/etag.js'

/** Which status may follow which. SHIPPED and CANCELED are final. */
const nextStatuses: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: ['PAID', 'CANCELED'],
  PAID: ['SHIPPED', 'CANCELED'],
  SHIPPED: [],
  CANCELED: [],
}

/** An order as the API shows it: its row and its lines. */
export function toOrder(row: OrderRow, lines: readonly OrderLineRow[]): Order {
  return {
    id: row.id,
    product_id: row.product_id,
    quantity: row.quantity,
    status: row.status,
    unit_price: row.unit_price_cents === null ? null : fromCents(row.unit_price_cents),
    total: fromCents(row.total_cents),
    expires_at: row.expires_at,
    cancel_reason: row.cancel_reason,
    items: lines.map((line) => ({
      product_id: line.product_id,
      quantity: line.quantity,
      unit_price: fromCents(line.unit_price_cents),
      total: fromCents(line.unit_price_cents * line.quantity),
    })),
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

/** Rows and their lines -> the API's orders. */
function toOrders(rows: readonly OrderRow[], lines: readonly OrderLineRow[]): Order[] {
  const byOrder = new Map<number, OrderLineRow[]>()
  for (const line of lines) {
    const list = byOrder.get(line.order_id)
    if (list) list.push(line)
    else byOrder.set(line.order_id, [line])
  }
  return rows.map((row) => toOrder(row, byOrder.get(row.id) ?? []))
}

/*
 * The use cases that take or return stock take the app's catalogue cache
 * and hand it to the products repository, which tells it before the stock changes.
 */

/** The request's lines, in its form `{product_id, quantity}` or `{items}`; 422 for neither or both. */
function linesOf(input: OrderCreate): { product_id: number; quantity: number }[] {
  const single = input.product_id !== undefined || input.quantity !== undefined
  if (input.items !== undefined) {
    if (single) {
      throw new RequestValidationError([
        {
          loc: ['body'],
          msg: 'Send either product_id and quantity, or items, not both',
          type: 'value_error',
        },
      ])
    }
    return input.items
  }
  const missing = (['product_id', 'quantity'] as const).filter((field) => input[field] === undefined)
  if (missing.length > 0) {
    throw new RequestValidationError(
      missing.map((field) => ({ loc: ['body', field], msg: 'Field required', type: 'missing' })),
    )
  }
  return [{ product_id: input.product_id!, quantity: input.quantity! }]
}

/** Units asked of each product, summed over the lines, by ascending product id (the lock order). */
function demandByProduct(lines: readonly { product_id: number; quantity: number }[]): [number, number][] {
  const demand = new Map<number, number>()
  for (const line of lines) demand.set(line.product_id, (demand.get(line.product_id) ?? 0) + line.quantity)
  return [...demand.entries()].sort(([a], [b]) => a - b)
}

/**
 * Placing an order: take every line's stock and record the order and its lines in one transaction,
 * or do none of it. Each product is taken once for the units of all its lines (two lines of one
 * product are one demand), in ascending product id order, so that concurrent orders lock products
 * in the same order and never deadlock; each take is one conditional UPDATE (stock >= demand).
 * On PostgreSQL a one-line order is first tried as a single statement (placeInOneStatement).
 */
export async function placeOrder(
  db: Db,
  input: OrderCreate,
  catalogueCache: CatalogueCache | undefined,
  { actor = null, holdSeconds = 0 }: { actor?: string | null; holdSeconds?: number } = {},
): Promise<Order> {
  const lines = linesOf(input)
  const expiresIn = input.expires_in_seconds ?? holdSeconds
  if (lines.length === 1 && db.getExecutor().adapter instanceof PostgresAdapter) {
    const order = await placeInOneStatement(db, lines[0]!, catalogueCache, actor, expiresIn)
    if (order) return order
  }
  return inTransaction(db, async (trx) => {
    const now = new Date().toISOString()
    const prices = new Map<number, number>()
    const stockAfter = new Map<number, number>()
    for (const [productId, demand] of demandByProduct(lines)) {
      const taken = await inventory.takeStock(trx, catalogueCache, productId, demand, now)
      if (!taken) throw await whyNotTaken(trx, productId, demand, lines.length)
      prices.set(productId, taken.price_cents)
      stockAfter.set(productId, taken.stock)
    }
    // Prices are known once taken (they may change until then); throwing here rolls the takes back.
    const priced = lines.map((line) => ({ ...line, unit_price_cents: prices.get(line.product_id)! }))
    const totalCents = priced.reduce((sum, line) => sum + line.unit_price_cents * line.quantity, 0)
    if (totalCents > MAX_TOTAL_CENTS) throw totalTooLarge(input.items === undefined ? 'quantity' : 'items')
    const one = priced.length === 1 ? priced[0]! : undefined
    const row = await orders.insertOrder(
      trx,
      {
        product_id: one?.product_id ?? null,
        quantity: priced.reduce((sum, line) => sum + line.quantity, 0),
        unit_price_cents: one?.unit_price_cents ?? null,
        total_cents: totalCents,
        expires_at: expiryOf(now, expiresIn),
      },
      now,
    )
    const stored = await orders.insertLines(trx, row.id, priced)
    await inventory.recordMovements(trx, lineMovements(stored, stockAfter, -1, 'order_placed', actor), now)
    const order = toOrder(row, stored)
    await recordEvents(trx, [eventOf('order.created', order, now)], now)
    return order
  })
}

/** When an order placed at `now` stops holding its stock: null when it holds it until paid or canceled. */
function expiryOf(now: string, expiresIn: number): string | null {
  return expiresIn > 0 ? new Date(Date.parse(now) + expiresIn * 1000).toISOString() : null
}

/**
 * PostgreSQL, one line: the whole of placeOrder in one statement (products repository,
 * placeOneLineOrder). The usual path costs 7 round trips and holds the product's row lock across 5
 * of them: for a popular product, lock hold time is what limits orders. Undefined when the
 * statement placed nothing (a refusal, a take that crosses a stock line, a total too large):
 * placeOrder then takes its usual path, which answers as it always did.
 */
async function placeInOneStatement(
  db: Db,
  { product_id, quantity }: { product_id: number; quantity: number },
  catalogueCache: CatalogueCache | undefined,
  actor: string | null,
  expiresIn: number,
): Promise<Order | undefined> {
  const line = { product_id, quantity }
  const now = new Date().toISOString()
  const expiresAt = expiryOf(now, expiresIn)
  // The event as placeOrder writes it (eventOf over toOrder), with marks where the order's id and
  // prices go: the statement puts them in.
  const draft = toOrder(
    {
      id: 0,
      ...line,
      status: 'PENDING',
      unit_price_cents: 0,
      total_cents: 0,
      expires_at: expiresAt,
      cancel_reason: null,
      created_at: now,
      updated_at: now,
    },
    [{ order_id: 0, line_no: 1, ...line, unit_price_cents: 0 }],
  )
  const { id, unitPrice, total } = inventory.ORDER_MARKS
  const marked = {
    ...draft,
    id,
    unit_price: unitPrice,
    total,
    items: draft.items.map((item) => ({ ...item, unit_price: unitPrice, total })),
  }
  const event = eventOf('order.created', marked, now)
  const { order: row, seen } = await inventory.placeOneLineOrder(
    db,
    catalogueCache,
    { ...line, expires_at: expiresAt, actor, event },
    now,
  )
  if (row) return toOrder(row, [{ order_id: row.id, line_no: 1, ...line, unit_price_cents: row.unit_price_cents! }])
  // Refused as of the statement's snapshot: the answer the usual way would give at that moment.
  if (!seen?.live) throw notFound.product()
  if (seen.stock < quantity) throw insufficientStock(product_id, seen.stock, quantity, 1)
  return undefined
}

/**
 * The ledger's movements of an order's lines (one each, `sign` -1 when taken, +1 when returned),
 * given each product's stock after all its lines: a product in several lines gets the stock after
 * each of them, in line order.
 */
function lineMovements(
  lines: readonly OrderLineRow[],
  stockAfterAll: ReadonlyMap<number, number>,
  sign: 1 | -1,
  reason: 'order_placed' | 'order_canceled' | 'order_expired',
  actor: string | null,
): inventory.NewMovement[] {
  // The units of each product's later lines: the stock after line i is the final stock minus what
  // they changed after it.
  const later = new Map<number, number>()
  const movements: inventory.NewMovement[] = []
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!
    const after = stockAfterAll.get(line.product_id)! - sign * (later.get(line.product_id) ?? 0)
    movements.push({
      product_id: line.product_id,
      delta: sign * line.quantity,
      stock_after: after,
      reason,
      order_id: line.order_id,
      actor,
    })
    later.set(line.product_id, (later.get(line.product_id) ?? 0) + line.quantity)
  }
  return movements.reverse()
}

/** 404 for a missing or deleted product, else 409 with what is available (a one-line order keeps the original wording). */
async function whyNotTaken(trx: Transaction<Database>, productId: number, demand: number, lineCount: number) {
  const product = await inventory.findLiveProduct(trx, productId)
  if (!product) return notFound.product()
  return insufficientStock(productId, product.stock, demand, lineCount)
}

function insufficientStock(productId: number, available: number, demand: number, lineCount: number) {
  const counts = `Available: ${available}, Requested: ${demand}`
  return new DomainError(
    'INSUFFICIENT_STOCK',
    lineCount === 1 ? `Insufficient stock. ${counts}` : `Insufficient stock for product ${productId}. ${counts}`,
  )
}

const totalTooLarge = (field: 'quantity' | 'items') =>
  new RequestValidationError([
    {
      loc: ['body', field],
      msg: `The order total would exceed ${fromCents(MAX_TOTAL_CENTS)}`,
      type: 'value_error',
    },
  ])

export async function getOrder(db: Db, id: number): Promise<Order> {
  // On one connection: the order and its lines as of the same moment.
  return db.connection().execute(async (conn) => {
    const row = await orders.findOrder(conn, id)
    if (!row) throw notFound.order()
    return toOrder(row, await orders.findLines(conn, [id]))
  })
}

export async function listOrders(
  db: Db,
  filter: orders.OrderFilter,
  page: Page,
): Promise<{ items: Order[]; total: number }> {
  // The queries on one connection, back to back: once the first has run (on SQLite, after any
  // pending write has committed), no write from this process lands before the others.
  return db.connection().execute(async (conn) => {
    const rows = await orders.listOrders(conn, filter, page)
    const lines = await orders.findLines(
      conn,
      rows.map((row) => row.id),
    )
    const key = `orders:${filter.status ?? ''}:${filter.productId ?? ''}:${filter.createdFrom ?? ''}:${filter.createdTo ?? ''}`
    const total = await countWithCache(db, key, () => orders.countOrders(conn, filter))
    return { items: toOrders(rows, lines), total }
  })
}

/** Orders by status, and the revenue of the paid ones (PAID or SHIPPED), over the filter's orders. */
export async function summarizeOrders(db: Db, filter: orders.OrderFilter): Promise<OrderSummary> {
  const rows = await orders.summarizeOrders(db, filter)
  const byStatus = Object.fromEntries(ORDER_STATUSES.map((status) => [status, 0])) as Record<OrderStatus, number>
  let paidCents = 0
  for (const row of rows) {
    byStatus[row.status] = row.orders
    if (row.status === 'PAID' || row.status === 'SHIPPED') paidCents += row.total_cents
  }
  return {
    orders: rows.reduce((sum, row) => sum + row.orders, 0),
    by_status: byStatus,
    paid_revenue: fromCents(paidCents),
  }
}

/*
 * Lock order, the same in every transaction, so that none can deadlock: a webhook event record,
 * then the order, then its products in ascending id order. Placing an order locks only its products
 * (the order is new), in the same ascending order.
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
  conditions?: Conditions,
  actor: string | null = null,
): Promise<{ order: Order; changed: boolean }> {
  return inTransaction(db, async (trx) => {
    const order = await orders.lockOrder(trx, id)
    if (!order) throw notFound.order()
    const lines = await orders.findLines(trx, [id])
    // If-Match / If-None-Match, checked against the order as locked: atomic with the change.
    if (conditions) assertPreconditions(conditions, representationOf(toOrder(order, lines)).etag)
    if (order.status === to) return { order: toOrder(order, lines), changed: false }
    if (!nextStatuses[order.status].includes(to)) {
      throw new DomainError('INVALID_STATUS_TRANSITION', `Invalid status transition from ${order.status} to ${to}`)
    }
    // Past its hold a PENDING order is as good as expired, swept or not: the payment webhook's rule.
    if (to === 'PAID' && isPastHold(order)) {
      throw new DomainError('ORDER_CANCELED', 'Order expired: it can no longer be paid')
    }
    const moved = await moveOrder(trx, order, to, catalogueCache, { actor, reason: 'requested', lines })
    return { order: toOrder(moved, lines), changed: true }
  })
}

/** DELETE /orders/{id}: cancels a PENDING or PAID order; deletes a CANCELED one. */
export async function cancelOrDeleteOrder(
  db: Db,
  id: number,
  catalogueCache: CatalogueCache | undefined,
  conditions?: Conditions,
  actor: string | null = null,
): Promise<'canceled' | 'deleted'> {
  return inTransaction(db, async (trx) => {
    const order = await orders.lockOrder(trx, id)
    if (!order) throw notFound.order()
    if (conditions) {
      const current = toOrder(order, await orders.findLines(trx, [id]))
      assertPreconditions(conditions, representationOf(current).etag)
    }
    if (order.status === 'CANCELED') {
      await orders.deleteCanceledOrder(trx, id)
      return 'deleted'
    }
    if (!nextStatuses[order.status].includes('CANCELED')) {
      throw new DomainError('ORDER_NOT_CANCELABLE', `Cannot cancel order with status ${order.status}`)
    }
    await moveOrder(trx, order, 'CANCELED', catalogueCache, { actor, reason: 'requested' })
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
  cancel: CancelDetails,
): Promise<OrderRow>
export async function moveOrder(
  trx: Transaction<Database>,
  order: OrderRow,
  to: OrderStatus,
  catalogueCache?: CatalogueCache,
  cancel?: CancelDetails,
): Promise<OrderRow> {
  const now = new Date().toISOString()
  const reason = to === 'CANCELED' ? (cancel?.reason ?? 'requested') : null
  const moved = await orders.transitionOrder(trx, order.id, order.status, to, now, reason)
  if (!moved) throw new DomainError('CONCURRENT_UPDATE', 'The order was changed concurrently, please retry')
  const lines = cancel?.lines ?? (await orders.findLines(trx, [order.id]))
  if (to === 'CANCELED') {
    // Every line's units go back, once per product, in the lock order; each line is a movement.
    const stockAfter = new Map<number, number>()
    for (const [productId, units] of demandByProduct(lines)) {
      stockAfter.set(productId, await inventory.returnStock(trx, catalogueCache, productId, units, now))
    }
    const movement = reason === 'expired' ? 'order_expired' : 'order_canceled'
    await inventory.recordMovements(trx, lineMovements(lines, stockAfter, 1, movement, cancel?.actor ?? null), now)
  }
  const type = statusEvents[to]
  if (type) {
    await recordEvents(trx, [eventOf(type, toOrder(moved, lines), now)], now)
  }
  return moved
}

/** The event each status change is (an order becomes PENDING only when placed: order.created). */
const statusEvents: Record<OrderStatus, EventType | undefined> = {
  PENDING: undefined,
  PAID: 'order.paid',
  SHIPPED: 'order.shipped',
  CANCELED: 'order.canceled',
}

/** Who canceled an order and why; its lines when the caller has them already. */
export interface CancelDetails {
  actor: string | null
  reason: CancelReason
  lines?: readonly OrderLineRow[]
}

/**
 * The sweep: cancels the PENDING orders whose hold has run out, each in a transaction of its own,
 * locked first and checked again (a payment may have come first: then it is left alone), so that
 * every order expires once whatever the number of instances sweeping. Returns the ids expired.
 */
export async function expireDueOrders(
  db: Db,
  catalogueCache: CatalogueCache | undefined,
  limit = 100,
): Promise<number[]> {
  const expired: number[] = []
  for (const id of await orders.findDueOrders(db, new Date().toISOString(), limit)) {
    const done = await inTransaction(db, async (trx) => {
      const order = await orders.lockOrderSkippingLocked(trx, id)
      if (!order || order.status !== 'PENDING' || !isPastHold(order)) return false
      await moveOrder(trx, order, 'CANCELED', catalogueCache, { actor: null, reason: 'expired' })
      return true
    })
    if (done) expired.push(id)
  }
  return expired
}

/** True once a PENDING order's hold has run out: it can no longer be paid. */
export function isPastHold(order: Pick<OrderRow, 'expires_at'>, now = Date.now()): boolean {
  return order.expires_at !== null && Date.parse(order.expires_at) <= now
}
