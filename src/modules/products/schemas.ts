import { Type, type Static } from 'typebox'
import type { ProductRow } from '../../db/types.js'
import { fromCents } from '../../shared/money.js'
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
import { conditionalHeaders, etagHeader, notModifiedResponse, preconditionFailedResponse } from '../../shared/etag.js'

/** An ordinary price in many currencies passes a million; cents stay exact integers far beyond this. */
export const MAX_PRICE = 10_000_000_000
export const MAX_STOCK = 1_000_000_000

const Sku = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: NO_NUL,
  description: 'Stock keeping unit, unique among live products',
  examples: ['MUG-001'],
})
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: NO_NUL, examples: ['Coffee mug'] })
const Price = Type.Number({
  exclusiveMinimum: 0,
  maximum: MAX_PRICE,
  multipleOf: 0.01,
  description: 'Unit price with at most 2 decimals, stored exactly (integer cents)',
  examples: [12.5],
})
const stockOptions = { minimum: 0, maximum: MAX_STOCK, description: 'Units available to order', examples: [100] }
const Stock = Type.Integer(stockOptions)
const LowStockThreshold = Type.Unsafe<number | null>({
  type: ['integer', 'null'],
  minimum: 0,
  maximum: MAX_STOCK,
  description: 'When a change takes the stock below this, a stock.low event is sent; null (the default): never',
  examples: [10],
})

export const Product = Type.Object({
  id: Id,
  sku: Sku,
  name: Name,
  price: Type.Number({ examples: [12.5] }),
  stock: Type.Integer({ examples: [100] }),
  low_stock_threshold: Type.Unsafe<number | null>({ type: ['integer', 'null'], examples: [10] }),
  created_at: Timestamp,
  updated_at: Timestamp,
})
export type Product = Static<typeof Product>

/**
 * A row as the API's Product (responses and events); the field order is the JSON's. A field converted
 * here is converted in SQL too (the repository's sqlConversions).
 */
export function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    price: fromCents(row.price_cents),
    stock: row.stock,
    low_stock_threshold: row.low_stock_threshold === null ? null : Number(row.low_stock_threshold),
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

export const ProductCreate = Type.Object(
  {
    sku: Sku,
    name: Name,
    price: Price,
    stock: Type.Optional(Type.Integer({ ...stockOptions, default: 0 })),
    low_stock_threshold: Type.Optional(LowStockThreshold),
  },
  { examples: [{ sku: 'MUG-001', name: 'Coffee mug', price: 12.5, stock: 100 }] },
)
export type ProductCreate = Static<typeof ProductCreate>

export const ProductUpdate = Type.Object(
  {
    sku: Type.Optional(Sku),
    name: Type.Optional(Name),
    price: Type.Optional(Price),
    stock: Type.Optional(Stock),
    low_stock_threshold: Type.Optional(LowStockThreshold),
  },
  { examples: [{ price: 14.99, stock: 80 }], description: 'Only the fields sent change' },
)
export type ProductUpdate = Static<typeof ProductUpdate>

export const ProductParams = Type.Object({ product_id: Id })

export const ProductListQuery = Type.Object({
  ...Pagination.properties,
  q: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: NO_NUL,
      description: 'Only products whose SKU or name contains this text (any case)',
      examples: ['mug'],
    }),
  ),
  below_threshold: Type.Optional(
    Type.Boolean({
      description: 'true: only products whose stock is below their low_stock_threshold',
      examples: [true],
    }),
  ),
})
export type ProductListQuery = Static<typeof ProductListQuery>

export const schemas = {
  create: {
    tags: ['Products'],
    summary: 'Create a product',
    body: ProductCreate,
    response: {
      201: described(Product, 'The created product'),
      409: errorResponse('Product with this SKU already exists'),
      422: validationErrorResponse,
      ...bodyErrors,
      ...databaseErrors,
    },
  },
  list: {
    tags: ['Products'],
    summary: 'List products by id, optionally searched by SKU or name, or those running low',
    querystring: ProductListQuery,
    response: {
      200: described(Type.Array(Product), 'A page of products (bare array)', { headers: listHeaders }),
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
  get: {
    tags: ['Products'],
    summary: 'Get a product',
    params: ProductParams,
    headers: conditionalHeaders('read', 'product'),
    response: {
      200: described(Product, 'The product, with its ETag', { headers: etagHeader }),
      304: notModifiedResponse,
      404: errorResponse('Product not found'),
      412: preconditionFailedResponse,
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
  update: {
    tags: ['Products'],
    summary: 'Update a product (partial: only the fields sent change)',
    params: ProductParams,
    headers: conditionalHeaders('write', 'product'),
    body: ProductUpdate,
    response: {
      200: described(Product, 'The updated product, with its new ETag', { headers: etagHeader }),
      404: errorResponse('Product not found'),
      409: errorResponse('Product with this SKU already exists'),
      412: preconditionFailedResponse,
      422: validationErrorResponse,
      ...bodyErrors,
      ...databaseErrors,
    },
  },
  remove: {
    tags: ['Products'],
    summary: 'Delete a product (its orders stay readable)',
    params: ProductParams,
    headers: conditionalHeaders('write', 'product'),
    response: {
      204: Type.Null({ description: 'Deleted' }),
      400: errorResponse('Cannot delete product with pending or paid orders'),
      404: errorResponse('Product not found'),
      412: preconditionFailedResponse,
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
}
