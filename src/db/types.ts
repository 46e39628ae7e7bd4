import type { Generated, Kysely, Selectable } from 'kysely'

import type { EventType, OrderStatus } from '../shared/vocabulary.js'

export { EVENT_TYPES, ORDER_STATUSES, type EventType, type OrderStatus } from '../shared/vocabulary.js'

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
  /** Below it, a change of stock emits `stock.low`; null: never. */
  low_stock_threshold: number | null
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

/** The outbox: every state change's event, written in the change's transaction. */
export interface EventsTable {
  /** Commit-independent order of insertion; internal (lists and paging use it). */
  seq: Generated<number>
  /** `evt_...`: the public id, `webhook-id` of every delivery and `Nats-Msg-Id` on the bus. */
  id: string
  type: EventType
  /** The event as delivered, byte for byte: `{"id","type","timestamp","data"}`. */
  payload: string
  created_at: string
  /** When the dispatcher made its deliveries (and bus entry); null until then. */
  fanned_out_at: string | null
}

export interface WebhookEndpointsTable {
  id: Generated<number>
  url: string
  /** JSON array of event types, or ["*"]. */
  events: string
  description: string | null
  /** 1 or 0. */
  enabled: number
  /** Why the service disabled it (a 410), or null. */
  disabled_reason: string | null
  /** `whsec_...`, or sealed (`enc:v1:...`) under SECRETS_ENCRYPTION_KEY: src/shared/secrets.ts. */
  secret: string
  /** The secret before the last rotation; it signs too until previous_secret_expires_at. */
  previous_secret: string | null
  previous_secret_expires_at: string | null
  created_at: string
  updated_at: string
}

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

/** One event to one endpoint, attempted until it succeeds or the retry schedule is exhausted. */
export interface WebhookDeliveriesTable {
  id: Generated<number>
  endpoint_id: number
  event_seq: number
  event_id: string
  event_type: EventType
  status: DeliveryStatus
  attempts: number
  /** When it is due (pending), else null. */
  next_attempt_at: string | null
  /** Claimed by an instance attempting it until then; null when not claimed. */
  lease_until: string | null
  last_status_code: number | null
  last_error: string | null
  created_at: string
  updated_at: string
}

export interface WebhookAttemptsTable {
  id: Generated<number>
  delivery_id: number
  /** 1, 2, ... */
  attempt: number
  started_at: string
  duration_ms: number
  /** The receiver's HTTP status; null when none came (timeout, refused, blocked). */
  status_code: number | null
  error: string | null
  /** The start of the response body (at most 1,024 characters). */
  response_excerpt: string | null
}

/** Events still to publish to the event bus (rows exist only when EVENT_BUS_URL is set). */
export interface BusOutboxTable {
  event_seq: number
  attempts: number
  next_attempt_at: string
  lease_until: string | null
  last_error: string | null
}

export interface Database {
  products: ProductsTable
  orders: OrdersTable
  order_lines: OrderLinesTable
  stock_movements: StockMovementsTable
  webhook_events: WebhookEventsTable
  idempotency_keys: IdempotencyKeysTable
  events: EventsTable
  webhook_endpoints: WebhookEndpointsTable
  webhook_deliveries: WebhookDeliveriesTable
  webhook_attempts: WebhookAttemptsTable
  bus_outbox: BusOutboxTable
}

export type Db = Kysely<Database>
export type ProductRow = Selectable<ProductsTable>
export type OrderRow = Selectable<OrdersTable>
export type OrderLineRow = Selectable<OrderLinesTable>
export type StockMovementRow = Selectable<StockMovementsTable>
export type EventRow = Selectable<EventsTable>
export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>
export type WebhookAttemptRow = Selectable<WebhookAttemptsTable>
