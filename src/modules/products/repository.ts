import { sql, type RawBuilder, type Transaction } from 'kysely'
import type { Database, Db, MovementReason, OrderRow, ProductRow, StockMovementRow } from '../../db/types.js'
import type { Page, PageContents } from '../../shared/pagination.js'
import type { CatalogueCache } from './catalogue-cache.js'
import { recordEvents, type NewEvent } from '../events/repository.js'
import { eventOf, stockCrossings } from '../events/service.js'
import { MAX_STOCK, Product, toProduct } from './schemas.js'
import { MAX_TOTAL_CENTS } from '../../shared/money.js'
import { afterTransactionEnds, inTransaction } from '../../db/transaction.js'

/**
 * SQL for products. Every function takes `db` or a transaction as its first argument; those that
 * write take the catalogue cache next, and they are the only code that
 * writes the products table (test/sqlite/catalogue-cache.test.ts checks it). Each records, in its
 * transaction, what the change means: ledger movements for stock, and events (product.created,
 * product.updated, product.deleted, and stock.low / stock.depleted / stock.replenished when the
 * stock crosses those lines).
 */

/**
 * A write to products, with the catalogue cache told first. On SQLite both run in one transaction
 * (a savepoint of the open batch, see group-commit.ts), so no reader can keep what it read between
 * the notice and the write. On PostgreSQL readers run beside the write: one may read the rows
 * before the commit and keep them after the notice, so the cache is told again once the outermost
 * transaction has ended, before the use case answers (catalogue-cache.ts).
 */
async function writeProducts<T>(
  db: Db,
  catalogueCache: CatalogueCache | undefined,
  notice: (catalogueCache: CatalogueCache) => void,
  write: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  // Always in a transaction: a change of stock and its movement in the ledger commit together.
  return inTransaction(db, async (trx) => {
    if (catalogueCache) {
      notice(catalogueCache)
      if (catalogueCache.noticesAfterWrites) afterTransactionEnds(trx, () => notice(catalogueCache))
    }
    return write(trx)
  })
}

/** A change of a product's stock, for the ledger. */
export interface NewMovement {
  product_id: number
  delta: number
  stock_after: number
  reason: MovementReason
  order_id?: number | null
  reference?: string | null
  actor: string | null
}

/**
 * Writes movements to the ledger, in the transaction that changed the stock (the functions below
 * that change stock take the movement's details, or return the stock after the change so that the
 * use case records it with its order: see orders/service.ts). A SQL template: placing an order is
 * the hottest write.
 */
export async function recordMovements(trx: Transaction<Database>, movements: readonly NewMovement[], now: string) {
  if (movements.length === 0) return
  const rows = sql.join(
    movements.map(
      (m) =>
        sql`(${m.product_id}, ${m.delta}, ${m.stock_after}, ${m.reason}, ${m.order_id ?? null}, ${m.reference ?? null}, ${m.actor}, ${now})`,
    ),
  )
  await sql`insert into stock_movements (product_id, delta, stock_after, reason, order_id, reference, actor, created_at)
    values ${rows}`.execute(trx)
}

/**
 * The stock events a change of a product's stock from `before` crosses (stock.low, stock.depleted,
 * stock.replenished), recorded in the change's transaction with the product as it is now. Most
 * changes cross nothing and cost nothing here.
 */
async function recordStockEvents(trx: Transaction<Database>, row: ProductRow, before: number, now: string) {
  const threshold = row.low_stock_threshold === null ? null : Number(row.low_stock_threshold)
  const crossed = stockCrossings(before, row.stock, threshold)
  if (crossed.length === 0) return
  const data = toProduct(row)
  await recordEvents(
    trx,
    crossed.map((type) => eventOf(type, data, now)),
    now,
  )
}

export interface NewProductRow {
  sku: string
  name: string
  price_cents: number
  stock: number
  low_stock_threshold?: number | null
}

export type ProductChanges = Partial<NewProductRow>

/** A new product, and its `initial` movement: the stock it starts with. */
export async function insertProduct(
  db: Db,
  catalogueCache: CatalogueCache | undefined,
  product: NewProductRow,
  now: string,
  actor: string | null = null,
): Promise<ProductRow> {
  return writeProducts(
    db,
    catalogueCache,
    (catalogueCache) => catalogueCache.added(),
    async (trx) => {
      const row = await trx
        .insertInto('products')
        .values({ ...product, created_at: now, updated_at: now, deleted_at: null })
        .returningAll()
        .executeTakeFirstOrThrow()
      await recordMovements(
        trx,
        [{ product_id: row.id, delta: row.stock, stock_after: row.stock, reason: 'initial', actor }],
        now,
      )
      await recordEvents(trx, [eventOf('product.created', toProduct(row), now)], now)
      return row
    },
  )
}

export async function findLiveProduct(db: Db, id: number): Promise<ProductRow | undefined> {
  return db.selectFrom('products').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst()
}

/** A search of the catalogue: `q` in the SKU or the name (any case), and/or the stock below its threshold. */
export interface ProductFilter {
  q?: string | undefined
  belowThreshold?: boolean | undefined
}

/** `%`, `_` and the escape character itself, taken literally by LIKE … ESCAPE '\'. */
const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`

function liveProducts(db: Db, filter: ProductFilter = {}) {
  let query = db.selectFrom('products').where('deleted_at', 'is', null)
  if (filter.q !== undefined) {
    const pattern = likePattern(filter.q)
    query = query.where((eb) =>
      eb.or([
        eb(sql`lower(sku)`, 'like', sql`${pattern} escape '\\'`),
        eb(sql`lower(name)`, 'like', sql`${pattern} escape '\\'`),
      ]),
    )
  }
  if (filter.belowThreshold) {
    query = query.where('low_stock_threshold', 'is not', null).whereRef('stock', '<', 'low_stock_threshold')
  }
  return query
}

const liveProductsPage = (db: Db, page: Page, filter?: ProductFilter) =>
  liveProducts(db, filter)
    .selectAll()
    .$if(page.afterId !== undefined, (query) => query.where('id', '>', page.afterId!))
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)

export async function listLiveProducts(db: Db, page: Page, filter?: ProductFilter): Promise<ProductRow[]> {
  return liveProductsPage(db, page, filter).execute()
}

/**
 * How toProduct (service.ts) converts a row's columns, written in SQL for the JSON pages below.
 * Every other field of Product is the column of the same name, unchanged.
 */
const sqlConversions: { [K in keyof Product]?: RawBuilder<unknown> } = {
  // fromCents: cents / 100, an integer when whole, else SQLite prints the same shortest decimal as
  // JavaScript for every price up to the maximum.
  price: sql`iif(price_cents % 100 = 0, price_cents / 100, price_cents / 100.0)`,
}

/**
 * One product as JSON text, what toProduct + the response schema write: the Product schema's fields
 * in its order (the order its serializer writes them in), each converted as toProduct does. Built
 * once from the schema: a field added to Product (and to toProduct) appears here by itself.
 */
const productJsonObject = sql`json_object(${sql.join(
  (Object.keys(Product.properties) as (keyof Product)[]).flatMap((field) => [
    sql.lit(field),
    sqlConversions[field] ?? sql.ref(field),
  ]),
)})`

/**
 * SQLite only: a page of live products as the response body itself, a JSON array written by
 * SQLite (in C) instead of 100 row objects materialised, mapped and serialised in JavaScript,
 * which cost three times as much. Each item is productJsonObject above.
 * Items come in the page's id order: SQLite keeps the ORDER BY of a FROM subquery that has a
 * LIMIT and aggregates its rows in that order (an ORDER BY inside json_group_array would sort
 * them again, 40% slower).
 */
export async function listLiveProductsJson(
  db: Db,
  page: Page,
): Promise<{ json: Buffer; firstId: number | undefined } & PageContents> {
  const row = await db
    .selectFrom(liveProductsPage(db, page).as('page'))
    .select((eb) => [
      sql<Buffer>`cast(json_group_array(${productJsonObject}) as blob)`.as('json'),
      eb.fn.countAll<number>().as('size'),
      eb.fn.min('id').as('first_id'),
      eb.fn.max('id').as('last_id'),
    ])
    .executeTakeFirstOrThrow()
  return {
    json: row.json,
    size: Number(row.size),
    firstId: row.first_id ?? undefined,
    lastId: row.last_id ?? undefined,
  }
}

export async function countLiveProducts(db: Db, filter?: ProductFilter): Promise<number> {
  const row = await liveProducts(db, filter)
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow()
  return Number(row.total)
}

/**
 * Changes a live product's fields. A new absolute `stock` is a movement of the difference
 * (`product_update`), read from the product locked in the same transaction.
 */
export async function updateLiveProduct(
  db: Db,
  catalogueCache: CatalogueCache | undefined,
  id: number,
  changes: ProductChanges,
  now: string,
  actor: string | null = null,
): Promise<ProductRow | undefined> {
  return writeProducts(
    db,
    catalogueCache,
    (catalogueCache) => catalogueCache.changed(id),
    async (trx) => {
      const before = changes.stock === undefined ? undefined : await lockLiveProduct(trx, id)
      const row = await trx
        .updateTable('products')
        .set({ ...changes, updated_at: now })
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .returningAll()
        .executeTakeFirst()
      if (!row) return undefined
      await recordEvents(trx, [eventOf('product.updated', toProduct(row), now)], now)
      if (before && row.stock !== before.stock) {
        const delta = row.stock - before.stock
        await recordMovements(
          trx,
          [{ product_id: id, delta, stock_after: row.stock, reason: 'product_update', actor }],
          now,
        )
        await recordStockEvents(trx, row, before.stock, now)
      }
      return row
    },
  )
}

/**
 * A relative change of stock with its reason: one conditional UPDATE (never below zero, and, with
 * `expectedStock`, only if the stock is still that: compare-and-set), then its movement. Undefined
 * when the UPDATE matched nothing: the caller reads why.
 */
export async function adjustStock(
  db: Db,
  catalogueCache: CatalogueCache | undefined,
  id: number,
  adjustment: { delta: number; expectedStock?: number | undefined; reason: MovementReason; reference: string | null },
  now: string,
  actor: string | null,
): Promise<StockMovementRow | undefined> {
  return writeProducts(
    db,
    catalogueCache,
    (catalogueCache) => catalogueCache.changed(id),
    async (trx) => {
      const { delta, expectedStock } = adjustment
      const row = await trx
        .updateTable('products')
        .set((eb) => ({ stock: eb('stock', '+', delta), updated_at: now }))
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .where((eb) => eb(eb('stock', '+', delta), '>=', 0))
        .where((eb) => eb(eb('stock', '+', delta), '<=', MAX_STOCK))
        .$if(expectedStock !== undefined, (query) => query.where('stock', '=', expectedStock!))
        .returningAll()
        .executeTakeFirst()
      if (!row) return undefined
      await recordStockEvents(trx, row, row.stock - delta, now)
      return trx
        .insertInto('stock_movements')
        .values({
          product_id: id,
          delta,
          stock_after: row.stock,
          reason: adjustment.reason,
          order_id: null,
          reference: adjustment.reference,
          actor,
          created_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow()
    },
  )
}

/**
 * Reads a live product and locks it until the transaction ends (PostgreSQL's FOR UPDATE; SQLite's
 * transactions are serialized anyway). Placing an order takes the same lock (takeStock), so once
 * it is held, every order for this product has either committed or will find it deleted.
 */
export async function lockLiveProduct(trx: Transaction<Database>, id: number): Promise<ProductRow | undefined> {
  return trx
    .selectFrom('products')
    .selectAll()
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .forUpdate()
    .executeTakeFirst()
}

/** True while a PENDING or PAID order holds units of the product, in any of its lines. */
export async function hasActiveOrders(db: Db, id: number): Promise<boolean> {
  const row = await db
    .selectFrom('order_lines')
    .innerJoin('orders', 'orders.id', 'order_lines.order_id')
    .select('order_lines.order_id')
    .where('order_lines.product_id', '=', id)
    .where('orders.status', 'in', ['PENDING', 'PAID'])
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

export async function softDeleteProduct(
  db: Db,
  catalogueCache: CatalogueCache | undefined,
  id: number,
  now: string,
): Promise<void> {
  await writeProducts(
    db,
    catalogueCache,
    (catalogueCache) => catalogueCache.removed(id),
    async (trx) => {
      const row = await trx
        .updateTable('products')
        .set({ deleted_at: now, updated_at: now })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst()
      if (row) await recordEvents(trx, [eventOf('product.deleted', toProduct(row), now)], now)
    },
  )
}

/** Takes `quantity` units if (and only if) that many are available: the no-oversell guarantee. */
export async function takeStock(
  db: Db,
  catalogueCache: CatalogueCache | undefined,
  id: number,
  quantity: number,
  now: string,
): Promise<ProductRow | undefined> {
  return writeProducts(
    db,
    catalogueCache,
    (catalogueCache) => catalogueCache.changed(id),
    async (trx) => {
      // A SQL template: this is the hottest write (see recordMovements).
      const { rows } = await sql<ProductRow>`update products set stock = stock - ${quantity}, updated_at = ${now}
        where id = ${id} and deleted_at is null and stock >= ${quantity} returning *`.execute(trx)
      const row = rows[0]
      if (row) await recordStockEvents(trx, row, row.stock + quantity, now)
      return row
    },
  )
}

/**
 * A write to products that is one statement, atomic by itself, so it opens no transaction: outside
 * one it runs in autocommit (one round trip, its row locks held only for its own commit), inside
 * one it is a statement of it. The catalogue cache is told as writeProducts tells it: before the
 * write, and on PostgreSQL again once the outermost transaction has ended, which, outside one, is
 * once the statement has returned (or failed).
 */
async function writeProductsInOneStatement<T>(
  db: Db,
  catalogueCache: CatalogueCache | undefined,
  notice: (catalogueCache: CatalogueCache) => void,
  write: (db: Db) => Promise<T>,
): Promise<T> {
  if (!catalogueCache) return write(db)
  notice(catalogueCache)
  if (!catalogueCache.noticesAfterWrites) return write(db)
  if (db.isTransaction) {
    afterTransactionEnds(db as Transaction<Database>, () => notice(catalogueCache))
    return write(db)
  }
  try {
    return await write(db)
  } finally {
    notice(catalogueCache)
  }
}

/** Where the order's id and prices go in the payload of its order.created event (see placeOneLineOrder). */
export const ORDER_MARKS = { id: '$order_id', unitPrice: '$unit_price', total: '$total' } as const

/**
 * What placeOneLineOrder did: the order it placed; or, when it placed none, the product as the
 * statement saw it (its snapshot, from before any concurrent change it may have waited for), or
 * undefined when there is no such product.
 */
export type OneLineOrderResult =
  { order: OrderRow; seen?: never } | { order?: never; seen?: { stock: number; live: boolean } }

type Nullable<T> = { [K in keyof T]: T[K] | null }

/** A one-line order to place in one statement. */
export interface OneLineOrder {
  product_id: number
  quantity: number
  expires_at: string | null
  actor: string | null
  /** Its order.created event; in the payload, ORDER_MARKS (JSON strings) stand for what only the statement knows. */
  event: NewEvent
}

/**
 * PostgreSQL: places a one-line order in one statement: takes the stock (the conditional UPDATE of
 * takeStock), inserts the order, its line, its ledger movement and its order.created event, and
 * returns the order's row. Changes nothing when the take would be refused (missing or deleted
 * product, too little stock), would cross a stock line (its stock.low or stock.depleted event is
 * written by takeStock), or the total would exceed MAX_TOTAL_CENTS; it then returns the product as
 * the statement's snapshot saw it, so that the caller can refuse at once what the snapshot already
 * refuses (a refusal costs one round trip, like an order) and places anything else the usual
 * way, which says why or writes those events.
 *
 * The event's marks become the order's id and the prices as fromCents gives them, and as
 * JSON.stringify prints them: every price and total has at most 15 significant digits (below
 * MAX_TOTAL_CENTS), so JavaScript prints the shortest decimal of cents / 100, which is the exact
 * numeric value with its trailing zeros trimmed (10, 0.5, 9.99).
 */
export async function placeOneLineOrder(
  db: Db,
  catalogueCache: CatalogueCache | undefined,
  order: OneLineOrder,
  now: string,
): Promise<OneLineOrderResult> {
  const { product_id: id, quantity: q } = order
  const mark = (name: keyof typeof ORDER_MARKS) => JSON.stringify(ORDER_MARKS[name])
  return writeProductsInOneStatement(
    db,
    catalogueCache,
    (catalogueCache) => catalogueCache.changed(id),
    async (db) => {
      // The take matches only if it crosses no stock line (events/service.ts, stockCrossings): it
      // leaves some stock, and stays on the side of the threshold it was on. The total is checked
      // in numeric, which cannot overflow whatever the price. Parameters are cast: in INSERT ...
      // SELECT nothing else tells PostgreSQL their types.
      const { rows } = await sql<
        Nullable<OrderRow> & { seen_stock: number | null; seen_live: boolean | null }
      >`with taken as (
          update products set stock = stock - ${q}::bigint, updated_at = ${now}::timestamptz
          where id = ${id}::bigint and deleted_at is null and stock > ${q}::bigint
            and (low_stock_threshold is null or stock < low_stock_threshold
              or stock - ${q}::bigint >= low_stock_threshold)
            and price_cents::numeric * ${q} <= ${MAX_TOTAL_CENTS}
          returning id, price_cents, stock
        ), placed as (
          insert into orders (product_id, quantity, status, unit_price_cents, total_cents, expires_at, created_at, updated_at)
          select id, ${q}::integer, 'PENDING', price_cents, price_cents * ${q}::bigint, ${order.expires_at}::timestamptz,
            ${now}::timestamptz, ${now}::timestamptz
          from taken
          returning *
        ), line as (
          insert into order_lines (order_id, line_no, product_id, quantity, unit_price_cents)
          select id, 1, product_id, quantity, unit_price_cents from placed
        ), movement as (
          insert into stock_movements (product_id, delta, stock_after, reason, order_id, actor, created_at)
          select taken.id, -${q}::bigint, taken.stock, 'order_placed', placed.id, ${order.actor}::text, ${now}::timestamptz
          from taken cross join placed
        ), event as (
          insert into events (id, type, payload, created_at)
          select ${order.event.id}::text, ${order.event.type}::text,
            replace(replace(replace(${order.event.payload}::text,
              ${mark('id')}::text, placed.id::text),
              ${mark('unitPrice')}::text, trim_scale(placed.unit_price_cents * 0.01)::text),
              ${mark('total')}::text, trim_scale(placed.total_cents * 0.01)::text),
            ${now}::timestamptz
          from placed
        ), seen as (
          select stock, deleted_at is null as live from products where id = ${id}::bigint
        )
        select placed.*, seen.stock as seen_stock, seen.live as seen_live
        from (select) as one left join placed on true left join seen on true`.execute(db)
      const { seen_stock, seen_live, ...placed } = rows[0]!
      if (placed.id !== null) return { order: placed as OrderRow }
      return { seen: seen_stock === null ? undefined : { stock: Number(seen_stock), live: seen_live! } }
    },
  )
}

/** Puts `quantity` units back (a canceled or expired order); returns the stock after it, for the ledger. */
export async function returnStock(
  db: Db,
  catalogueCache: CatalogueCache | undefined,
  id: number,
  quantity: number,
  now: string,
): Promise<number> {
  return writeProducts(
    db,
    catalogueCache,
    (catalogueCache) => catalogueCache.changed(id),
    async (trx) => {
      const row = await trx
        .updateTable('products')
        .set((eb) => ({ stock: eb('stock', '+', quantity), updated_at: now }))
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow()
      await recordStockEvents(trx, row, row.stock - quantity, now)
      return row.stock
    },
  )
}
