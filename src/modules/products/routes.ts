import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { answerRead, conditionsOf, representationOf, withETag } from '../../shared/etag.js'
import { sendJsonText } from '../../shared/json.js'
import { pageOf, setPageHeaders } from '../../shared/pagination.js'
import { schemas } from './schemas.js'
import * as service from './service.js'

export const productRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { catalogueCache } = app
  app.post('/products', { schema: schemas.create, config: { scope: 'admin' } }, async (request, reply) =>
    app.idempotent(request, reply, 201, (db) =>
      service.createProduct(db, request.body, catalogueCache, request.apiKeyName ?? null),
    ),
  )

  app.get('/products', { schema: schemas.list, config: { scope: 'read' } }, async (request, reply) => {
    const page = pageOf(request.query)
    const filter = { q: request.query.q, belowThreshold: request.query.below_threshold }
    const { json, total, ...contents } = await service.listProducts(app.db, page, catalogueCache, filter)
    setPageHeaders(request, reply, page, total, contents)
    return sendJsonText(reply, json)
  })

  app.get('/products/:product_id', { schema: schemas.get, config: { scope: 'read' } }, async (request, reply) => {
    const product = await service.getProductRepresentation(app.db, request.params.product_id, catalogueCache)
    return answerRead(request, reply, product)
  })

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/products/:product_id',
      config: { scope: 'admin' },
      schema: { ...schemas.update, summary: `${schemas.update.summary}${method === 'PATCH' ? ' (same as PUT)' : ''}` },
      handler: async (request, reply) => {
        const { product_id } = request.params
        const conditions = conditionsOf(request)
        const actor = request.apiKeyName ?? null
        const product = await service.updateProduct(app.db, product_id, request.body, catalogueCache, conditions, actor)
        return withETag(reply, representationOf(product))
      },
    })
  }

  app.delete(
    '/products/:product_id',
    { schema: schemas.remove, config: { scope: 'admin' } },
    async (request, reply) => {
      await service.deleteProduct(app.db, request.params.product_id, catalogueCache, conditionsOf(request))
      return reply.code(204).send(null)
    },
  )
}
