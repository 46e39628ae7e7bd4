import type { Db, ProductRow } from '../../db/types.js'

/** SQL for products. Every function takes `db` or a transaction as its first argument. */

export interface NewProductRow {
  sku: string
  name: string
  price_cents: number
  stock: number
}

export type ProductChanges = Partial<NewProductRow>

export async function insertProduct(db: Db, product: NewProductRow, now: string): Promise<ProductRow> {
  return db
    .insertInto('products')
    .values({ ...product, created_at: now, updated_at: now, deleted_at: null })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function findLiveProduct(db: Db, id: number): Promise<ProductRow | undefined> {
  return db.selectFrom('products').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst()
}

export async function listLiveProducts(db: Db, limit: number, offset: number, afterId?: number): Promise<ProductRow[]> {
  return db
    .selectFrom('products')
    .selectAll()
    .where('deleted_at', 'is', null)
    .$if(afterId !== undefined, (query) => query.where('id', '>', afterId!))
    .orderBy('id')
    .limit(limit)
    .offset(offset)
    .execute()
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
  id: number,
  changes: ProductChanges,
  now: string,
): Promise<ProductRow | undefined> {
  return db
    .updateTable('products')
    .set({ ...changes, updated_at: now })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst()
}

/**
 * Reads a live product and locks it until the transaction ends (PostgreSQL's FOR UPDATE; SQLite's
 * transactions are serialized anyway). Placing an order takes the same lock (takeStock), so once
 * it is held, every order for this product has either committed or will find it deleted.
 */
export async function lockLiveProduct(db: Db, id: number): Promise<ProductRow | undefined> {
  return db
    .selectFrom('products')
    .selectAll()
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .forUpdate()
    .executeTakeFirst()
}

/** True while a PENDING or PAID order holds units of the product. */
export async function hasActiveOrders(db: Db, id: number): Promise<boolean> {
  const row = await db
    .selectFrom('orders')
    .select('id')
    .where('product_id', '=', id)
    .where('status', 'in', ['PENDING', 'PAID'])
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

export async function softDeleteProduct(db: Db, id: number, now: string): Promise<void> {
  await db.updateTable('products').set({ deleted_at: now, updated_at: now }).where('id', '=', id).execute()
}

/** Takes `quantity` units if (and only if) that many are available: the no-oversell guarantee. */
export async function takeStock(
  db: Db,
  id: number,
  quantity: number,
  now: string,
): Promise<Pick<ProductRow, 'price_cents' | 'stock'> | undefined> {
  return db
    .updateTable('products')
    .set((eb) => ({ stock: eb('stock', '-', quantity), updated_at: now }))
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .where('stock', '>=', quantity)
    .returning(['price_cents', 'stock'])
    .executeTakeFirst()
}

export async function returnStock(db: Db, id: number, quantity: number, now: string): Promise<void> {
  await db
    .updateTable('products')
    .set((eb) => ({ stock: eb('stock', '+', quantity), updated_at: now }))
    .where('id', '=', id)
    .execute()
}
