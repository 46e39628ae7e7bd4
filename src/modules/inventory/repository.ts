import { sql } from 'kysely'
import type { Db, StockMovementRow } from '../../db/types.js'
import type { Page } from '../../shared/pagination.js'

/** SQL for the ledger's reads (its writes go with the stock they record: products/repository.ts). */

export async function listMovements(db: Db, productId: number, page: Page): Promise<StockMovementRow[]> {
  return db
    .selectFrom('stock_movements')
    .selectAll()
    .where('product_id', '=', productId)
    .$if(page.afterId !== undefined, (query) => query.where('id', '>', page.afterId!))
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)
    .execute()
}

export async function countMovements(db: Db, productId: number): Promise<number> {
  const row = await db
    .selectFrom('stock_movements')
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .where('product_id', '=', productId)
    .executeTakeFirstOrThrow()
  return Number(row.total)
}

/**
 * Every product whose stock is not the sum of its movements, in one pass: the movements summed per
 * product (read from the index on product_id, id, delta), joined to the products; and how many
 * products were checked (deleted ones too: their stock stays in the books).
 */
export async function reconcile(
  db: Db,
): Promise<{ checked: number; mismatches: { product_id: number; stock: number; ledger_sum: number }[] }> {
  const { rows } = await sql<{ product_id: number; stock: number; ledger_sum: number | string }>`
    select p.id as product_id, p.stock as stock, coalesce(m.ledger_sum, 0) as ledger_sum
    from products p
    left join (select product_id, sum(delta) as ledger_sum from stock_movements group by product_id) m
      on m.product_id = p.id
    where p.stock <> coalesce(m.ledger_sum, 0)
    order by p.id`.execute(db)
  const checked = await db
    .selectFrom('products')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return {
    checked: Number(checked.n),
    mismatches: rows.map((row) => ({
      product_id: row.product_id,
      stock: Number(row.stock),
      ledger_sum: Number(row.ledger_sum),
    })),
  }
}
