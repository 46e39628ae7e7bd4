import { sqliteHandleOf } from '../../db/connect.js'
import { isUniqueViolation } from '../../db/errors.js'
import type { Transaction } from 'kysely'
import type { Database, Db } from '../../db/types.js'
import { DomainError, notFound } from '../../shared/errors.js'
import { assertPreconditions, representationOf, type Conditions, type Representation } from '../../shared/etag.js'
import { toCents } from '../../shared/money.js'
import { countWithCache, freshCount, LARGE_COUNT } from '../../shared/counts.js'
import { contentsOf, type Page, type PageContents } from '../../shared/pagination.js'
import type { CachedPage, CatalogueCache } from './catalogue-cache.js'
import * as products from './repository.js'
import { toProduct, type Product, type ProductCreate, type ProductUpdate } from './schemas.js'
import { inTransaction } from '../../db/transaction.js'

/*
 * Each use case takes the app's catalogue cache last (app.catalogueCache). Reads look it up first
 * and keep what they read; writes hand it to the repository, which tells it before writing. A
 * script in another process passes none: the servers' caches see its writes through SQLite's
 * data_version, or on PostgreSQL through the notifications of the products trigger
 * (catalogue-cache.ts).
 */

const skuTaken = () => new DomainError('SKU_TAKEN', 'Product with this SKU already exists')

export { toProduct }

export async function createProduct(
  db: Db,
  input: ProductCreate,
  catalogueCache?: CatalogueCache,
  actor: string | null = null,
): Promise<Product> {
  try {
    const row = await products.insertProduct(
      db,
      catalogueCache,
      {
        sku: input.sku,
        name: input.name,
        price_cents: toCents(input.price),
        stock: input.stock ?? 0,
        low_stock_threshold: input.low_stock_threshold ?? null,
      },
      new Date().toISOString(),
      actor,
    )
    return toProduct(row)
  } catch (error) {
    if (isUniqueViolation(error)) throw skuTaken()
    throw error
  }
}

export async function getProduct(db: Db, id: number, catalogueCache?: CatalogueCache): Promise<Readonly<Product>> {
  return (await getProductRepresentation(db, id, catalogueCache)).value
}

/** The product with its ETag: kept together in the cache, so a hit hashes nothing. */
export async function getProductRepresentation(
  db: Db,
  id: number,
  catalogueCache?: CatalogueCache,
): Promise<Representation<Product>> {
  return catalogueCache?.representation(id) ?? readAndKeepProduct(db, id, catalogueCache)
}

/** On one connection, so that the product is kept before any write can change it (catalogue-cache.ts). */
async function readAndKeepProduct(
  db: Db,
  id: number,
  catalogueCache: CatalogueCache | undefined,
): Promise<Representation<Product>> {
  return db.connection().execute(async (conn) => {
    const mark = catalogueCache?.beginRead()
    const row = await products.findLiveProduct(conn, id)
    if (!row) throw notFound.product()
    const product = representationOf(toProduct(row))
    catalogueCache?.keepProduct(product, mark!)
    return product
  })
}

type ProductsPage = { json: string | Buffer; total: number } & PageContents

/** A page of products as the response body's JSON text, what the headers need, and the total. */
export async function listProducts(
  db: Db,
  page: Page,
  catalogueCache?: CatalogueCache,
  filter?: products.ProductFilter,
): Promise<ProductsPage> {
  // A search is read as asked: the cache keeps the plain pages, which most reads are.
  if (filter && (filter.q !== undefined || filter.belowThreshold)) return readProductsPage(db, page, filter)
  if (!catalogueCache) return readProductsPage(db, page)
  const key = `${page.limit}:${page.offset}:${page.afterId ?? ''}`
  // Over LARGE_COUNT products the total is not kept with the pages but counted at most once a
  // second (counts.ts): a kept page is answered with that count while it is fresh.
  const cached = catalogueCache.pageAndTotal(key, () => freshCount(db, 'products'))
  if (cached) return answer(cached.page, cached.total)
  // A page that a write dropped is wanted by many clients at once: they share one read.
  return catalogueCache.shared(key, () => readAndKeepPage(db, page, key, catalogueCache))
}

const answer = (items: CachedPage, total: number): ProductsPage => ({
  json: items.json,
  size: items.size,
  lastId: items.lastId,
  total,
})

/*
 * Both queries on one connection, back to back: once the first has run (on SQLite, after any
 * pending write has committed), no write from this process lands before the second, nor before
 * the page is kept. On PostgreSQL writes do land meanwhile: the cache keeps nothing a notice since
 * beginRead concerns (catalogue-cache.ts).
 */

async function readProductsPage(db: Db, page: Page, filter?: products.ProductFilter): Promise<ProductsPage> {
  return db.connection().execute(async (conn) => {
    const items = jsonOf((await products.listLiveProducts(conn, page, filter)).map(toProduct))
    const key = filter ? `products:${filter.q ?? ''}:${filter.belowThreshold ? 'below' : ''}` : 'products'
    return { ...items, total: await countWithCache(db, key, () => products.countLiveProducts(conn, filter)) }
  })
}

async function readAndKeepPage(db: Db, page: Page, key: string, catalogueCache: CatalogueCache): Promise<ProductsPage> {
  return db.connection().execute(async (conn) => {
    const mark = catalogueCache.beginRead()
    let items = catalogueCache.page(key)
    if (!items) {
      const built = sqliteHandleOf(db)
        ? await products.listLiveProductsJson(conn, page)
        : pageJsonOf((await products.listLiveProducts(conn, page)).map(toProduct))
      catalogueCache.keepPage(key, (items = { ...built, limit: page.limit }), mark)
    }
    let total = catalogueCache.total()
    if (total === undefined) {
      total = await countWithCache(db, 'products', () => products.countLiveProducts(conn))
      // A large count may come from countWithCache's memory, up to a second old: it is not kept
      // here, where nothing would age it.
      if (total <= LARGE_COUNT) catalogueCache.keepTotal(total, mark)
    }
    return answer(items, total)
  })
}

const jsonOf = (items: Product[]) => ({ json: JSON.stringify(items), ...contentsOf(items) })

/** A page as the cache keeps it, built in JavaScript (listLiveProductsJson is SQLite's). */
const pageJsonOf = (items: Product[]) => ({
  json: Buffer.from(JSON.stringify(items)),
  firstId: items[0]?.id,
  ...contentsOf(items),
})

/**
 * PUT/PATCH. With conditions (If-Match, If-None-Match), the product is locked and its current
 * representation checked in the write's transaction (lockAndCheck): 412 and nothing changes, or
 * the write. Without them, one conditional UPDATE as always.
 */
export async function updateProduct(
  db: Db,
  id: number,
  input: ProductUpdate,
  catalogueCache?: CatalogueCache,
  conditions?: Conditions,
  actor: string | null = null,
): Promise<Product> {
  const changes: products.ProductChanges = {}
  if (input.sku !== undefined) changes.sku = input.sku
  if (input.name !== undefined) changes.name = input.name
  if (input.price !== undefined) changes.price_cents = toCents(input.price)
  if (input.stock !== undefined) changes.stock = input.stock
  if (input.low_stock_threshold !== undefined) changes.low_stock_threshold = input.low_stock_threshold
  if (Object.keys(changes).length === 0) {
    // Nothing to write, so nothing to keep atomic: the conditions are checked against the product as read.
    const current = await getProductRepresentation(db, id, catalogueCache)
    if (conditions) assertPreconditions(conditions, current.etag)
    return current.value
  }

  const update = (db: Db) =>
    products.updateLiveProduct(db, catalogueCache, id, changes, new Date().toISOString(), actor)
  try {
    const row = conditions
      ? await inTransaction(db, async (trx) => {
          await lockAndCheck(trx, id, conditions)
          return update(trx)
        })
      : await update(db)
    if (!row) throw notFound.product()
    return toProduct(row)
  } catch (error) {
    if (isUniqueViolation(error)) throw skuTaken()
    throw error
  }
}

/**
 * Locks the live product (404 if there is none) and throws 412 unless the conditions hold for its
 * representation now (what a GET would answer, so its ETag). Held until the transaction ends, the
 * lock keeps any other write from coming between this check and the caller's write.
 */
async function lockAndCheck(trx: Transaction<Database>, id: number, conditions: Conditions): Promise<void> {
  const row = await products.lockLiveProduct(trx, id)
  if (!row) throw notFound.product()
  assertPreconditions(conditions, representationOf(toProduct(row)).etag)
}

/**
 * Soft delete, refused while an order holds stock. The product is locked before the orders are
 * checked, so an order cannot slip in between the check and the delete (see lockLiveProduct);
 * with conditions, they are checked under that lock first.
 */
export async function deleteProduct(
  db: Db,
  id: number,
  catalogueCache?: CatalogueCache,
  conditions?: Conditions,
): Promise<void> {
  await inTransaction(db, async (trx) => {
    const product = await products.lockLiveProduct(trx, id)
    if (!product) throw notFound.product()
    if (conditions) assertPreconditions(conditions, representationOf(toProduct(product)).etag)
    if (await products.hasActiveOrders(trx, id)) {
      throw new DomainError('PRODUCT_HAS_ACTIVE_ORDERS', 'Cannot delete product with pending or paid orders')
    }
    await products.softDeleteProduct(trx, catalogueCache, id, new Date().toISOString())
  })
}
