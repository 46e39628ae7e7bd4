import { inTransaction } from '../../db/transaction.js'
import type { Db, StockMovementRow } from '../../db/types.js'
import { countWithCache } from '../../shared/counts.js'
import { DomainError, notFound, RequestValidationError } from '../../shared/errors.js'
import type { Page } from '../../shared/pagination.js'
import type { CatalogueCache } from '../products/catalogue-cache.js'
import * as products from '../products/repository.js'
import { MAX_STOCK } from '../products/schemas.js'
import * as ledger from './repository.js'
import type { Reconciliation, StockAdjustment, StockMovement } from './schemas.js'

export function toMovement(row: StockMovementRow): StockMovement {
  return {
    id: row.id,
    product_id: row.product_id,
    delta: Number(row.delta),
    stock_after: Number(row.stock_after),
    reason: row.reason,
    order_id: row.order_id,
    reference: row.reference,
    actor: row.actor,
    created_at: row.created_at,
  }
}

/**
 * A stock adjustment: one conditional UPDATE (never below zero; with expected_stock, only if the
 * stock is still that) and its movement, in one transaction. When nothing matched, the product is
 * read to say why; nothing was changed.
 */
export async function adjustStock(
  db: Db,
  productId: number,
  input: StockAdjustment,
  catalogueCache: CatalogueCache | undefined,
  actor: string | null,
): Promise<StockMovement> {
  if (input.delta === 0) {
    throw new RequestValidationError([{ loc: ['body', 'delta'], msg: 'Input should not be 0', type: 'value_error' }])
  }
  return inTransaction(db, async (trx) => {
    const adjustment = {
      delta: input.delta,
      expectedStock: input.expected_stock,
      reason: input.reason,
      reference: input.reference ?? null,
    }
    const row = await products.adjustStock(trx, catalogueCache, productId, adjustment, new Date().toISOString(), actor)
    if (row) return toMovement(row)
    const product = await products.findLiveProduct(trx, productId)
    if (!product) throw notFound.product()
    if (input.expected_stock !== undefined && product.stock !== input.expected_stock) {
      throw new DomainError('STOCK_CHANGED', `Stock changed: expected ${input.expected_stock}, found ${product.stock}`)
    }
    if (product.stock + input.delta < 0) {
      throw new DomainError(
        'INSUFFICIENT_STOCK',
        `Insufficient stock. Available: ${product.stock}, Requested: ${-input.delta}`,
      )
    }
    throw new RequestValidationError([
      { loc: ['body', 'delta'], msg: `The stock would exceed ${MAX_STOCK}`, type: 'less_than_equal' },
    ])
  })
}

export async function listMovements(
  db: Db,
  productId: number,
  page: Page,
): Promise<{ items: StockMovement[]; total: number }> {
  // On one connection, back to back, as the other lists.
  return db.connection().execute(async (conn) => {
    if (!(await products.findLiveProduct(conn, productId))) throw notFound.product()
    const rows = await ledger.listMovements(conn, productId, page)
    const total = await countWithCache(db, `movements:${productId}`, () => ledger.countMovements(conn, productId))
    return { items: rows.map(toMovement), total }
  })
}

/** Every product's stock against the sum of its movements: the mismatches are always empty. */
export async function reconcile(db: Db): Promise<Reconciliation> {
  const checkedAt = new Date().toISOString()
  // One connection: the two reads see the same committed state on SQLite; on PostgreSQL, a
  // REPEATABLE READ snapshot would be stricter, but a change between them can only show as a
  // product counted, never as a false mismatch (each row is compared within one statement).
  const result = await db.connection().execute((conn) => ledger.reconcile(conn))
  return { ...result, checked_at: checkedAt }
}
