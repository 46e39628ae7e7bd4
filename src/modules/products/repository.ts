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

export async function listLiveProducts(db: Db, limit: number, offset: number): Promise<ProductRow[]> {
  return db
    .selectFrom('products')
    .selectAll()
    .where('deleted_at', 'is', null)
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
 * Soft-deletes a live product unless a PENDING or PAID order still holds its stock,
 * in one statement so that no order can slip in between the check and the delete.
 */
export async function softDeleteProductWithoutActiveOrders(db: Db, id: number, now: string): Promise<boolean> {
  const result = await db
    .updateTable('products')
    .set({ deleted_at: now, updated_at: now })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('orders')
            .select('orders.id')
            .whereRef('orders.product_id', '=', 'products.id')
            .where('orders.status', 'in', ['PENDING', 'PAID']),
        ),
      ),
    )
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
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
