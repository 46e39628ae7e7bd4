import type { FastifyInstance } from 'fastify'
import type { Config } from './config.js'
import { eventRoutes } from './modules/events/routes.js'
import { generalRoutes } from './modules/general/routes.js'
import { inventoryRoutes } from './modules/inventory/routes.js'
import { orderRoutes } from './modules/orders/routes.js'
import { productRoutes } from './modules/products/routes.js'
import { webhookEndpointRoutes } from './modules/webhook-endpoints/routes.js'
import { webhookRoutes } from './modules/webhooks/routes.js'

/** Every feature module of the service, in one visible list. */
export async function registerModules(app: FastifyInstance, config: Config, version: string): Promise<void> {
  await app.register(generalRoutes, { version })
  await app.register(productRoutes)
  await app.register(orderRoutes, { holdSeconds: config.pendingOrderTtlSeconds })
  await app.register(inventoryRoutes)
  await app.register(eventRoutes)
  await app.register(webhookEndpointRoutes, { events: config.events })
  await app.register(webhookRoutes, {
    secrets: config.webhookSecrets,
    currency: config.currency,
    toleranceSeconds: config.webhookToleranceSeconds,
  })
}
