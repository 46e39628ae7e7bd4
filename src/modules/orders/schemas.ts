import { Type, type Static } from 'typebox'
import { ORDER_STATUSES } from '../../db/types.js'
import {
  bodyErrors,
  databaseErrors,
  described,
  errorResponse,
  Id,
  listHeaders,
  Pagination,
  Timestamp,
  validationErrorResponse,
} from '../../shared/schemas.js'

export const MAX_QUANTITY = 1_000_000

const Status = Type.Enum([...ORDER_STATUSES], {
  description: 'PENDING -> PAID -> SHIPPED; PENDING or PAID -> CANCELED',
})

export const Order = Type.Object({
  id: Id,
  product_id: Id,
  quantity: Type.Integer({ examples: [2] }),
  status: Status,
  unit_price: Type.Number({ description: 'Product price when the order was placed', examples: [12.5] }),
  total: Type.Number({ description: 'unit_price x quantity', examples: [25] }),
  created_at: Timestamp,
  updated_at: Timestamp,
})
export type Order = Static<typeof Order>

export const OrderCreate = Type.Object(
  {
    product_id: Id,
    quantity: Type.Integer({ minimum: 1, maximum: MAX_QUANTITY, examples: [2] }),
  },
  { examples: [{ product_id: 1, quantity: 2 }] },
)
export type OrderCreate = Static<typeof OrderCreate>

export const OrderStatusUpdate = Type.Object({ status: Status }, { examples: [{ status: 'PAID' }] })

export const OrderParams = Type.Object({ order_id: Id })

export const OrderListQuery = Type.Object({
  ...Pagination.properties,
  status: Type.Optional(Status),
  product_id: Type.Optional(Id),
})
export type OrderListQuery = Static<typeof OrderListQuery>

export const schemas = {
  create: {
    tags: ['Orders'],
    summary: 'Place an order: reserves stock atomically',
    body: OrderCreate,
    response: {
      201: described(Order, 'The order, PENDING; stock was reduced by its quantity'),
      404: errorResponse('Product not found'),
      409: errorResponse('Insufficient stock. Available: 50, Requested: 100'),
      422: validationErrorResponse,
      ...bodyErrors,
      ...databaseErrors,
    },
  },
  list: {
    tags: ['Orders'],
    summary: 'List orders by id, optionally filtered by status and product',
    querystring: OrderListQuery,
    response: {
      200: described(Type.Array(Order), 'A page of orders (bare array)', { headers: listHeaders }),
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
  get: {
    tags: ['Orders'],
    summary: 'Get an order',
    params: OrderParams,
    response: {
      200: described(Order, 'The order'),
      404: errorResponse('Order not found'),
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
  update: {
    tags: ['Orders'],
    summary: 'Change an order status (idempotent; canceling returns the stock)',
    params: OrderParams,
    body: OrderStatusUpdate,
    response: {
      200: described(Order, 'The order with its new status'),
      400: errorResponse('Invalid status transition from PAID to PENDING'),
      409: errorResponse('The order was changed concurrently, please retry'),
      404: errorResponse('Order not found'),
      422: validationErrorResponse,
      ...bodyErrors,
      ...databaseErrors,
    },
  },
  remove: {
    tags: ['Orders'],
    summary: 'Cancel a PENDING or PAID order; delete a CANCELED one',
    params: OrderParams,
    response: {
      204: Type.Null({ description: 'Canceled (stock returned) or, if already canceled, deleted' }),
      400: errorResponse('Cannot cancel order with status SHIPPED'),
      409: errorResponse('The order was changed concurrently, please retry'),
      404: errorResponse('Order not found'),
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
}
