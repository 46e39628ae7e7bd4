/**
 * A typed client for the Orders & Inventory API: openapi-fetch over the types generated from the
 * service's OpenAPI document (schema.d.ts). Paths, parameters, bodies and responses are checked
 * by the compiler.
 */
import createClient, { type ClientOptions } from 'openapi-fetch'
import type { components, paths } from './schema.js'

export type { components, paths }
export type OrdersInventoryClient = ReturnType<typeof createClient<paths>>

export function createOrdersInventoryClient(baseUrl: string, options: Omit<ClientOptions, 'baseUrl'> = {}) {
  return createClient<paths>({ ...options, baseUrl: baseUrl.replace(/\/+$/, '') })
}
