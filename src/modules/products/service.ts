import { isUniqueViolation } from '../../db/errors.js'
import type { Db, ProductRow } from '../../db/types.js'
import { DomainError, notFound } from '../../shared/errors.js'
import { fromCents, toCents } from '../../shared/money.js'
import { countWithCache, LARGE_COUNT } from '../../shared/counts.js'
import { contentsOf, type Page, type PageContents } from '../../shared/pagination.js'
import { cataloguePagesOf, type CachedPage } from './page-cache.js'
import * as products from './repository.js'
import type { Product, ProductCreate, ProductUpdate } from './schemas.js'

const skuTaken = () => new DomainError('SKU_TAKEN', 'Product with this SKU already exists')

export function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    price: fromCents(row.price_cents),
    stock: row.stock,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

export async function createProduct(db: Db, input: ProductCreate): Promise<Product> {
  try {
    const row = await products.insertProduct(
      db,
      { sku: input.sku, name: input.name, price_cents: toCents(input.price), stock: input.stock ?? 0 },
      new Date().toISOString(),
    )
    return toProduct(row)
  } catch (error) {
    if (isUniqueViolation(error)) throw skuTaken()
    throw error
  }
}

export async function getProduct(db: Db, id: number): Promise<Readonly<Product>> {
  const cache = cataloguePagesOf(db)
  cache?.version()
  const kept = cache?.product(id)
  if (kept) return kept
  // On one connection, so that the product is kept before any write can change it (page-cache.ts).
  return db.connection().execute(async (conn) => {
    const version = cache?.version()
    const row = await products.findLiveProduct(conn, id)
    if (!row) throw notFound.product()
    const product = toProduct(row)
    if (cache) cache.keepProduct(product, version!)
    return product
  })
}

/** A page of products as the response body's JSON text, what the headers need, and the total. */
export async function listProducts(
  db: Db,
  page: Page,
): Promise<{ json: string | Buffer; total: number } & PageContents> {
  const cache = cataloguePagesOf(db)
  // Both queries on one connection, back to back: once the first has run (on SQLite, after any
  // pending write has committed), no write from this process lands before the second, nor before
  // the page is kept.
  if (!cache) {
    return db.connection().execute(async (conn) => {
      const items = jsonOf((await products.listLiveProducts(conn, page)).map(toProduct))
      return { ...items, total: await countWithCache(db, 'products', () => products.countLiveProducts(conn)) }
    })
  }
  const answer = (items: CachedPage, total: number) => ({
    json: items.json,
    size: items.size,
    lastId: items.lastId,
    total,
  })
  const key = `${page.limit}:${page.offset}:${page.afterId ?? ''}`
  cache.version()
  const kept = cache.page(key)
  const keptTotal = cache.total()
  if (kept && keptTotal !== undefined) return answer(kept, keptTotal)
  // A page that a write dropped is wanted by many clients at once: they share one read.
  return cache.shared(key, () =>
    db.connection().execute(async (conn) => {
      const version = cache.version()
      let items = cache.page(key)
      if (!items) {
        const built = await products.listLiveProductsJson(conn, page)
        cache.keepPage(key, (items = { ...built, limit: page.limit }), version)
      }
      let total = cache.total()
      if (total === undefined) {
        total = await countWithCache(db, 'products', () => products.countLiveProducts(conn))
        // A large count may come from countWithCache's memory, up to a second old: it is not kept
        // here, where nothing would age it.
        if (total <= LARGE_COUNT) cache.keepTotal(total, version)
      }
      return answer(items, total)
    }),
  )
}

const jsonOf = (items: Product[]) => ({ json: JSON.stringify(items), ...contentsOf(items) })

export async function updateProduct(db: Db, id: number, input: ProductUpdate): Promise<Product> {
  const changes: products.ProductChanges = {}
  if (input.sku !== undefined) changes.sku = input.sku
  if (input.name !== undefined) changes.name = input.name
  if (input.price !== undefined) changes.price_cents = toCents(input.price)
  if (input.stock !== undefined) changes.stock = input.stock
  if (Object.keys(changes).length === 0) return getProduct(db, id)

  try {
    const row = await products.updateLiveProduct(db, id, changes, new Date().toISOString())
    if (!row) throw notFound.product()
    return toProduct(row)
  } catch (error) {
    if (isUniqueViolation(error)) throw skuTaken()
    throw error
  }
}

/**
 * Soft delete, refused while an order holds stock. The product is locked before the orders are
 * checked, so an order cannot slip in between the check and the delete (see lockLiveProduct).
 */
export async function deleteProduct(db: Db, id: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (!(await products.lockLiveProduct(trx, id))) throw notFound.product()
    if (await products.hasActiveOrders(trx, id)) {
      throw new DomainError('PRODUCT_HAS_ACTIVE_ORDERS', 'Cannot delete product with pending or paid orders')
    }
    await products.softDeleteProduct(trx, id, new Date().toISOString())
  })
}
