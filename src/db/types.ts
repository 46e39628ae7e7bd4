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
  product_id: number
  quantity: number
  status: OrderStatus
  /** The product's price when the order was placed, in cents. */
  unit_price_cents: number
  created_at: string
  updated_at: string
}

export interface WebhookEventsTable {
  event_id: string
  event_type: string
  order_id: number | null
  received_at: string
}

export interface Database {
  products: ProductsTable
  orders: OrdersTable
  webhook_events: WebhookEventsTable
}

export type Db = Kysely<Database>
export type ProductRow = Selectable<ProductsTable>
export type OrderRow = Selectable<OrdersTable>
