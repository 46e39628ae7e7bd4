import type { Generated, Kysely, Selectable } from 'kysely'

export const ORDER_STATUSES = ['PENDING', 'PAID', 'SHIPPED', 'CANCELED'] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

export interface ProductsTable {
  id: Generated<number>
  sku: string
  name: string
  /** Price in integer cents: money is never a binary float in storage or sums. */
  price_cents: number
  stock: number
  created_at: string
  updated_at: string
  /** Soft delete: a deleted product leaves the API but its orders keep their reference. */
  deleted_at: string | null
}

export interface OrdersTable {
  id: Generated<number>
  /** The product of a one-line order; null when the order has several lines. */
  product_id: number | null
  /** All the order's units. */
  quantity: number
  status: OrderStatus
  /** A one-line order's unit price when it was placed, in cents; null with several lines. */
  unit_price_cents: number | null
  /** The sum of the line totals, in cents. */
  total_cents: number
  /** When a PENDING order is canceled by the service (its stock hold released); null: never. */
  expires_at: string | null
  /** Why a CANCELED order was canceled; null unless CANCELED. */
  cancel_reason: CancelReason | null
  created_at: string
  updated_at: string
}

export const CANCEL_REASONS = ['requested', 'expired'] as const
export type CancelReason = (typeof CANCEL_REASONS)[number]

/** Reasons the service records by itself. */
export const SERVICE_MOVEMENT_REASONS = [
  'initial',
  'order_placed',
  'order_canceled',
  'order_expired',
  'product_update',
] as const
/** Reasons a stock adjustment may give. */
export const ADJUSTMENT_REASONS = [
  'received',
  'returned',
  'correction',
  'cycle_count',
  'damaged',
  'shrinkage',
  'other',
] as const
export type MovementReason = (typeof SERVICE_MOVEMENT_REASONS)[number] | (typeof ADJUSTMENT_REASONS)[number]

/** One change of a product's stock: the ledger is the sum of them. */
export interface StockMovementsTable {
  id: Generated<number>
  product_id: number
  delta: number
  stock_after: number
  reason: MovementReason
  order_id: number | null
  reference: string | null
  /** The API key's name that made the change; null without keys (or for the service itself). */
  actor: string | null
  created_at: string
}

/** One product of an order, its quantity and its unit price frozen when the order was placed. */
export interface OrderLinesTable {
  order_id: number
  /** 1, 2, ... in the order the lines were given. */
  line_no: number
  product_id: number
  quantity: number
  unit_price_cents: number
}

export interface WebhookEventsTable {
  event_id: string
  event_type: string
  order_id: number | null
  received_at: string
}

/** An Idempotency-Key record (src/plugins/idempotency.ts): who sent the key, for which request, and its outcome. */
export interface IdempotencyKeysTable {
  /** The API key's name; '' without one (API_KEYS off). */
  caller: string
  key: string
  method: string
  path: string
  /** SHA-256 (hex) of the method, the path with its query and the raw body. */
  fingerprint: string
  state: 'running' | 'done'
  /** The attempt that runs the request now; only it may complete or release the record. */
  lease_token: string
  /** A running record whose lease has run out (its instance crashed) may be taken over. */
  locked_until: string
  /** The answer sent, once done: replayed byte for byte. */
  response_status: number | null
  response_body: string | null
  created_at: string
  expires_at: string
}

export interface Database {
  products: ProductsTable
  orders: OrdersTable
  order_lines: OrderLinesTable
  stock_movements: StockMovementsTable
  webhook_events: WebhookEventsTable
  idempotency_keys: IdempotencyKeysTable
}

export type Db = Kysely<Database>
export type ProductRow = Selectable<ProductsTable>
export type OrderRow = Selectable<OrdersTable>
export type OrderLineRow = Selectable<OrderLinesTable>
export type StockMovementRow = Selectable<StockMovementsTable>
