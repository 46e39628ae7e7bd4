import { sql, type RawBuilder, type Transaction } from 'kysely'
import type { Database, Db, ProductRow } from '../../db/types.js'
import type { Page, PageContents } from '../../shared/pagination.js'
import type { CatalogueCache } from './catalogue-cache.js'
import { Product } from './schemas.js'
import { inTransaction } from '../../db/transaction.js'

/**
 * SQL for products. Every function takes `db` or a transaction as its first argument; those that
 * write take the catalogue cache next (undefined on PostgreSQL), and they are the only code that
 * writes the products table (test/sqlite/catalogue-cache.test.ts checks it).
 */

/**
 * A write to products, with the catalogue cache told first. On SQLite both run in one transaction
 * (a savepoint of the open batch, see group-commit.ts), so no reader can keep what it read between
 * the notice and the write.
 */
async function writeProducts<T>(
  db: Db,
  catalogueCache: CatalogueCache | undefined,
  notice: (catalogueCache: CatalogueCache) => void,
  write: (db: Db) => Promise<T>,
): Promise<T> {
  if (!catalogueCache) return write(db)
  if (db.isTransaction) {
    notice(catalogueCache)
    return write(db)
  }
  return inTransaction(db, async (trx) => {
    notice(catalogueCache)
    return write(trx)
  })
}

export interface NewProductRow {
  sku: string
  name: string
  price_cents: number
  stock: number
}

export type ProductChanges = Partial<NewProductRow>

export async function insertProduct(
  db: Db,
  catalogueCache: CatalogueCache | undefined,
  product: NewProductRow,
  now: string,
): Promise<ProductRow> {
  return writeProducts(
    db,
    catalogueCache,
    (catalogueCache) => catalogueCache.added(),
    (db) =>
      db
        .insertInto('products')
        .values({ ...product, created_at: now, updated_at: now, deleted_at: null })
        .returningAll()
        .executeTakeFirstOrThrow(),
  )
}

export async function findLiveProduct(db: Db, id: number): Promise<ProductRow | undefined> {
  return db.selectFrom('products').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst()
}

const liveProductsPage = (db: Db, page: Page) =>
  db
    .selectFrom('products')
    .selectAll()
    .where('deleted_at', 'is', null)
    .$if(page.afterId !== undefined, (query) => query.where('id', '>', page.afterId!))
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)

export async function listLiveProducts(db: Db, page: Page): Promise<ProductRow[]> {
  return liveProductsPage(db, page).execute()
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

export async function countLiveProducts(db: Db): Promise<number> {
  const row = await db
    .selectFrom('products')
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.total)
}

export async function updateLiveProduct(
  db: Db,
  catalogueCache: CatalogueCache | undefined,
  id: number,
  changes: ProductChanges,
  now: string,
): Promise<ProductRow | undefined> {
  return writeProducts(
    db,
    catalogueCache,
    (catalogueCache) => catalogueCache.changed(id),
    (db) =>
      db
        .updateTable('products')
        .set({ ...changes, updated_at: now })
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .returningAll()
        .executeTakeFirst(),
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
    (db) => db.updateTable('products').set({ deleted_at: now, updated_at: now }).where('id', '=', id).execute(),
  )
}

/** Takes `quantity` units if (and only if) that many are available: the no-oversell guarantee. */
export async function takeStock(
  db: Db,
  catalogueCache: CatalogueCache | undefined,
  id: number,
  quantity: number,
  now: string,
): Promise<Pick<ProductRow, 'price_cents' | 'stock'> | undefined> {
  return writeProducts(
    db,
    catalogueCache,
    (catalogueCache) => catalogueCache.changed(id),
    (db) =>
      db
        .updateTable('products')
        .set((eb) => ({ stock: eb('stock', '-', quantity), updated_at: now }))
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .where('stock', '>=', quantity)
        .returning(['price_cents', 'stock'])
        .executeTakeFirst(),
  )
}

export async function returnStock(
  db: Db,
  catalogueCache: CatalogueCache | undefined,
  id: number,
  quantity: number,
  now: string,
): Promise<void> {
  await writeProducts(
    db,
    catalogueCache,
    (catalogueCache) => catalogueCache.changed(id),
    (db) =>
      db
        .updateTable('products')
        .set((eb) => ({ stock: eb('stock', '+', quantity), updated_at: now }))
        .where('id', '=', id)
        .execute(),
  )
}
