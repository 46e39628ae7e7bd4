import { Type, type Static } from 'typebox'
import { ADJUSTMENT_REASONS, SERVICE_MOVEMENT_REASONS } from '../../db/types.js'
import {
  bodyErrors,
  databaseErrors,
  described,
  errorResponse,
  Id,
  listHeaders,
  NO_NUL,
  Pagination,
  Timestamp,
  validationErrorResponse,
} from '../../shared/schemas.js'
import { MAX_STOCK } from '../products/schemas.js'

const nullable = <T>(type: 'integer' | 'string', options: object) =>
  Type.Unsafe<T | null>({ type: [type, 'null'], ...options })

export const StockMovement = Type.Object({
  id: Id,
  product_id: Id,
  delta: Type.Integer({ description: 'The change of stock: negative when units left', examples: [-2] }),
  stock_after: Type.Integer({ description: 'The stock right after this movement', examples: [98] }),
  reason: Type.Enum([...SERVICE_MOVEMENT_REASONS, ...ADJUSTMENT_REASONS], {
    description:
      'Made by the service: initial, order_placed, order_canceled, order_expired, product_update (a PUT/PATCH of stock). Given with an adjustment: received, returned, correction, cycle_count, damaged, shrinkage, other.',
  }),
  order_id: nullable<number>('integer', { description: 'The order behind it, if any', examples: [12] }),
  reference: nullable<string>('string', {
    description: 'What the adjustment refers to: a purchase order, a count sheet',
    examples: ['PO-2026-0042'],
  }),
  actor: nullable<string>('string', {
    description: 'The name of the API key that made the change; null without API keys',
    examples: ['backoffice'],
  }),
  created_at: Timestamp,
})
export type StockMovement = Static<typeof StockMovement>

export const StockAdjustment = Type.Object(
  {
    delta: Type.Integer({
      minimum: -MAX_STOCK,
      maximum: MAX_STOCK,
      description: 'Units to add (received, returned) or remove (damaged, shrinkage), never 0',
      examples: [24],
    }),
    reason: Type.Enum([...ADJUSTMENT_REASONS], { description: 'Why the stock changes' }),
    reference: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: NO_NUL,
        description: 'A purchase order, a count sheet, a return number',
        examples: ['PO-2026-0042'],
      }),
    ),
    expected_stock: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_STOCK,
        description:
          'Compare-and-set: apply only if the stock is still this (else 409 and nothing changes), e.g. after a count',
        examples: [76],
      }),
    ),
  },
  {
    examples: [
      { delta: 24, reason: 'received', reference: 'PO-2026-0042' },
      { delta: -3, reason: 'damaged', expected_stock: 100 },
    ],
  },
)
export type StockAdjustment = Static<typeof StockAdjustment>

export const ProductParams = Type.Object({ product_id: Id })

export const Reconciliation = Type.Object({
  checked: Type.Integer({ description: 'Products checked, deleted ones included', examples: [1000] }),
  mismatches: Type.Array(
    Type.Object({
      product_id: Id,
      stock: Type.Integer({ examples: [7] }),
      ledger_sum: Type.Integer({ description: 'The sum of its movements', examples: [8] }),
    }),
    { description: 'Products whose stock is not the sum of their movements: empty, always' },
  ),
  checked_at: Timestamp,
})
export type Reconciliation = Static<typeof Reconciliation>

export const schemas = {
  adjust: {
    tags: ['Inventory'],
    summary: "Adjust a product's stock by a relative amount, with a reason (one movement in the ledger)",
    params: ProductParams,
    body: StockAdjustment,
    response: {
      201: described(StockMovement, 'The movement recorded'),
      404: errorResponse('Product not found'),
      409: errorResponse(
        'Insufficient stock. Available: 3, Requested: 5 (below zero), or Stock changed: expected 5, found 4 (expected_stock)',
        'Stock changed: expected 5, found 4',
      ),
      422: validationErrorResponse,
      ...bodyErrors,
      ...databaseErrors,
    },
  },
  movements: {
    tags: ['Inventory'],
    summary: "A product's stock movements, oldest first",
    params: ProductParams,
    querystring: Pagination,
    response: {
      200: described(Type.Array(StockMovement), 'A page of movements (bare array)', { headers: listHeaders }),
      404: errorResponse('Product not found'),
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
  reconciliation: {
    tags: ['Inventory'],
    summary: "Check that every product's stock is the sum of its movements",
    response: {
      200: described(Reconciliation, 'What was checked, and any product whose books do not balance'),
      ...databaseErrors,
    },
  },
}
