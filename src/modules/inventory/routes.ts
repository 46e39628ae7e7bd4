import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { contentsOf, pageOf, setPageHeaders } from '../../shared/pagination.js'
import { schemas } from './schemas.js'
import * as service from './service.js'

export const inventoryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { catalogueCache } = app

  app.post(
    '/products/:product_id/stock-adjustments',
    { schema: schemas.adjust, config: { scope: 'admin' } },
    async (request, reply) =>
      app.idempotent(request, reply, 201, (db) =>
        service.adjustStock(db, request.params.product_id, request.body, catalogueCache, request.apiKeyName ?? null),
      ),
  )

  app.get(
    '/products/:product_id/stock-movements',
    { schema: schemas.movements, config: { scope: 'read' } },
    async (request, reply) => {
      const page = pageOf(request.query)
      const { items, total } = await service.listMovements(app.db, request.params.product_id, page)
      setPageHeaders(request, reply, page, total, contentsOf(items))
      return items
    },
  )

  app.get('/inventory/reconciliation', { schema: schemas.reconciliation, config: { scope: 'read' } }, async () => {
    const result = await service.reconcile(app.db)
    app.metrics.ledgerMismatches(result.mismatches.length)
    return result
  })
}
