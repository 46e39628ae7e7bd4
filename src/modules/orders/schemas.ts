import { Type, type Static } from 'typebox'
import { CANCEL_REASONS, ORDER_STATUSES, type CancelReason } from '../../db/types.js'
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
import { conditionalHeaders, etagHeader, notModifiedResponse, preconditionFailedResponse } from '../../shared/etag.js'

export const MAX_QUANTITY = 1_000_000

const Status = Type.Enum([...ORDER_STATUSES], {
  description: 'PENDING -> PAID -> SHIPPED; PENDING or PAID -> CANCELED',
})

/** A value or null, as one JSON Schema type list (the serializer then needs no anyOf branch). */
const orNull = <T extends number>(type: 'integer' | 'number', options: object) =>
  Type.Unsafe<T | null>({ type: [type, 'null'], ...options })

export const OrderLine = Type.Object({
  product_id: Id,
  quantity: Type.Integer({ examples: [2] }),
  unit_price: Type.Number({ description: 'The product price when the order was placed', examples: [12.5] }),
  total: Type.Number({ description: 'unit_price x quantity', examples: [25] }),
})
export type OrderLine = Static<typeof OrderLine>

export const Order = Type.Object({
  id: Id,
  product_id: orNull('integer', {
    description: "A one-line order's product; null when the order has several lines",
    examples: [1],
  }),
  quantity: Type.Integer({ description: 'All the units of the order', examples: [2] }),
  status: Status,
  unit_price: orNull('number', {
    description: "A one-line order's unit price when it was placed; null when the order has several lines",
    examples: [12.5],
  }),
  total: Type.Number({ description: 'The sum of the line totals', examples: [25] }),
  expires_at: Type.Unsafe<string | null>({
    type: ['string', 'null'],
    format: 'date-time',
    description:
      'When a PENDING order is canceled by the service and its stock returned (ISO 8601 UTC); null: it never expires. From then on it cannot be paid.',
    examples: ['2026-11-30T09:30:00.000Z'],
  }),
  cancel_reason: Type.Unsafe<CancelReason | null>({
    type: ['string', 'null'],
    enum: [...CANCEL_REASONS, null],
    description: 'Why a CANCELED order was canceled: `requested` (PUT or DELETE) or `expired`; null otherwise',
    examples: [null],
  }),
  items: Type.Array(OrderLine, { description: 'The lines, in the order they were given' }),
  created_at: Timestamp,
  updated_at: Timestamp,
})
export type Order = Static<typeof Order>

/** At most this many lines in one order. */
export const MAX_LINES = 100

const Quantity = Type.Integer({ minimum: 1, maximum: MAX_QUANTITY, examples: [2] })

export const OrderItem = Type.Object({ product_id: Id, quantity: Quantity })

/**
 * Either the original form `{product_id, quantity}` or `{items: [...]}`, not both: one schema with
 * every field optional (the form is checked by the service, which names what is missing), so that
 * unknown fields are dropped as everywhere else.
 */
export const OrderCreate = Type.Object(
  {
    product_id: Type.Optional(Id),
    quantity: Type.Optional(Quantity),
    expires_in_seconds: Type.Optional(
      Type.Integer({
        minimum: 60,
        maximum: 604_800,
        description:
          'Hold the stock this long at most (60 s to 7 days): unpaid by then, the order is canceled and its stock returned. Default: PENDING_ORDER_TTL_SECONDS (0: no expiry).',
        examples: [900],
      }),
    ),
    items: Type.Optional(
      Type.Array(OrderItem, {
        minItems: 1,
        maxItems: MAX_LINES,
        description: `1 to ${MAX_LINES} lines; a product may appear in several (its demand is summed)`,
      }),
    ),
  },
  {
    description: 'Either `product_id` and `quantity` (one line), or `items` (one or several lines), not both.',
    examples: [
      { product_id: 1, quantity: 2 },
      {
        items: [
          { product_id: 1, quantity: 2 },
          { product_id: 3, quantity: 1 },
        ],
      },
    ],
  },
)
export type OrderCreate = Static<typeof OrderCreate>

export const OrderStatusUpdate = Type.Object({ status: Status }, { examples: [{ status: 'PAID' }] })

export const OrderParams = Type.Object({ order_id: Id })

const DateRange = Type.Object({
  created_from: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'Only orders placed at or after this instant (ISO 8601 with a time zone)',
      examples: ['2026-11-30T00:00:00Z'],
    }),
  ),
  created_to: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'Only orders placed before this instant (ISO 8601 with a time zone)',
      examples: ['2026-12-01T00:00:00Z'],
    }),
  ),
})

export const OrderListQuery = Type.Object({
  ...Pagination.properties,
  status: Type.Optional(Status),
  status_filter: Type.Optional(Type.Enum([...ORDER_STATUSES], { description: 'Alias of status' })),
  product_id: Type.Optional(Type.Integer({ ...Id, description: 'Orders with any line of this product' })),
  ...DateRange.properties,
})
export type OrderListQuery = Static<typeof OrderListQuery>

export const OrderSummaryQuery = DateRange
export type OrderSummaryQuery = Static<typeof OrderSummaryQuery>

export const OrderSummary = Type.Object(
  {
    orders: Type.Integer({ description: 'Orders placed in the range', examples: [42] }),
    by_status: Type.Object(
      Object.fromEntries(ORDER_STATUSES.map((status) => [status, Type.Integer({ examples: [10] })])) as Record<
        (typeof ORDER_STATUSES)[number],
        ReturnType<typeof Type.Integer>
      >,
      { description: 'How many of them are in each status now' },
    ),
    paid_revenue: Type.Number({
      description: 'The sum of the totals of those PAID or SHIPPED',
      examples: [1234.5],
    }),
  },
  {
    examples: [{ orders: 42, by_status: { PENDING: 5, PAID: 10, SHIPPED: 25, CANCELED: 2 }, paid_revenue: 1234.5 }],
  },
)
export type OrderSummary = Static<typeof OrderSummary>

export const schemas = {
  create: {
    tags: ['Orders'],
    summary: "Place an order of one or several lines: takes every line's stock atomically, or none",
    body: OrderCreate,
    response: {
      201: described(Order, 'The order, PENDING; the stock of every line was taken'),
      404: errorResponse('Product not found'),
      409: errorResponse(
        'Insufficient stock. Available: 50, Requested: 100 (several lines: Insufficient stock for product 7. Available: 2, Requested: 5)',
        'Insufficient stock. Available: 50, Requested: 100',
      ),
      422: validationErrorResponse,
      ...bodyErrors,
      ...databaseErrors,
    },
  },
  list: {
    tags: ['Orders'],
    summary: 'List orders by id, optionally filtered by status, product and date',
    querystring: OrderListQuery,
    response: {
      200: described(Type.Array(Order), 'A page of orders (bare array)', { headers: listHeaders }),
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
  summary: {
    tags: ['Orders'],
    summary: 'Count orders by status and add up the revenue of the paid ones, over a range of dates',
    querystring: OrderSummaryQuery,
    response: {
      200: described(OrderSummary, 'The counts and the revenue'),
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
  get: {
    tags: ['Orders'],
    summary: 'Get an order',
    params: OrderParams,
    headers: conditionalHeaders('read', 'order'),
    response: {
      200: described(Order, 'The order, with its ETag', { headers: etagHeader }),
      304: notModifiedResponse,
      404: errorResponse('Order not found'),
      412: preconditionFailedResponse,
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
  update: {
    tags: ['Orders'],
    summary: 'Change an order status (idempotent; canceling returns the stock)',
    params: OrderParams,
    headers: conditionalHeaders('write', 'order'),
    body: OrderStatusUpdate,
    response: {
      200: described(Order, 'The order with its new status, and its new ETag', { headers: etagHeader }),
      412: preconditionFailedResponse,
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
    headers: conditionalHeaders('write', 'order'),
    response: {
      412: preconditionFailedResponse,
      204: Type.Null({ description: 'Canceled (stock returned) or, if already canceled, deleted' }),
      400: errorResponse('Cannot cancel order with status SHIPPED'),
      409: errorResponse('The order was changed concurrently, please retry'),
      404: errorResponse('Order not found'),
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
}
