/**
 * A typed client for the Orders & Inventory API: openapi-fetch over the types generated from the
 * service's OpenAPI document (schema.d.ts). Paths, parameters, required body fields and responses
 * are checked by the compiler. A misspelt optional field (a PATCH body) is not caught by
 * inference: declare such a body with its type from `paths` (the operation's requestBody) to have
 * it checked.
 */
import createClient, { type ClientOptions } from 'openapi-fetch'
import type { components, paths } from './schema.js'

export type { components, paths }
export type OrdersInventoryClient = ReturnType<typeof createClient<paths>>

export function createOrdersInventoryClient(baseUrl: string, options: Omit<ClientOptions, 'baseUrl'> = {}) {
  return createClient<paths>({ ...options, baseUrl: baseUrl.replace(/\/+$/, '') })
}
