/*
 * The service's fixed vocabularies, without imports: the database types (src/db/types.ts) and the
 * admin console (admin/src/api.ts, bundled by Vite) both use this one list.
 */

export const ORDER_STATUSES = ['PENDING', 'PAID', 'SHIPPED', 'CANCELED'] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

export const EVENT_TYPES = [
  'order.created',
  'order.paid',
  'order.shipped',
  'order.canceled',
  'product.created',
  'product.updated',
  'product.deleted',
  'stock.low',
  'stock.depleted',
  'stock.replenished',
] as const
export type EventType = (typeof EVENT_TYPES)[number]
