import { RequestValidationError } from '../../shared/errors.js'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { answerRead, conditionsOf, representationOf, withETag } from '../../shared/etag.js'
import { contentsOf, pageOf, setPageHeaders } from '../../shared/pagination.js'
import { schemas } from './schemas.js'
import * as service from './service.js'

export interface OrderOptions {
  /** PENDING_ORDER_TTL_SECONDS: how long a new order holds its stock unpaid (0: until canceled). */
  holdSeconds: number
}

export const orderRoutes: FastifyPluginAsyncTypebox<OrderOptions> = async (app, { holdSeconds }) => {
  // Orders take and return stock: the catalogue cache goes with them to the products repository.
  const { catalogueCache } = app
  app.post('/orders', { schema: schemas.create, config: { scope: 'orders' } }, async (request, reply) =>
    app.idempotent(
      request,
      reply,
      201,
      (db) => service.placeOrder(db, request.body, catalogueCache, { actor: request.apiKeyName ?? null, holdSeconds }),
      () => app.metrics.orderPlaced(),
    ),
  )

  app.get('/orders', { schema: schemas.list, config: { scope: 'read' } }, async (request, reply) => {
    const page = pageOf(request.query)
    const { query } = request
    const filter = {
      status: query.status ?? query.status_filter,
      productId: query.product_id,
      ...dateRangeOf(query),
    }
    const { items, total } = await service.listOrders(app.db, filter, page)
    setPageHeaders(request, reply, page, total, contentsOf(items))
    return items
  })

  // Before /orders/:order_id in intent; the router prefers the static path anyway.
  app.get('/orders/summary', { schema: schemas.summary, config: { scope: 'read' } }, async (request) =>
    service.summarizeOrders(app.db, dateRangeOf(request.query)),
  )

  app.get('/orders/:order_id', { schema: schemas.get, config: { scope: 'read' } }, async (request, reply) =>
    answerRead(request, reply, representationOf(await service.getOrder(app.db, request.params.order_id))),
  )

  app.put('/orders/:order_id', { schema: schemas.update, config: { scope: 'orders' } }, async (request, reply) => {
    const { order, changed } = await service.changeOrderStatus(
      app.db,
      request.params.order_id,
      request.body.status,
      catalogueCache,
      conditionsOf(request),
      request.apiKeyName ?? null,
    )
    if (changed) app.metrics.orderMovedTo(order.status)
    return withETag(reply, representationOf(order))
  })

  app.delete('/orders/:order_id', { schema: schemas.remove, config: { scope: 'orders' } }, async (request, reply) => {
    const outcome = await service.cancelOrDeleteOrder(
      app.db,
      request.params.order_id,
      catalogueCache,
      conditionsOf(request),
      request.apiKeyName ?? null,
    )
    if (outcome === 'canceled') app.metrics.orderMovedTo('CANCELED')
    return reply.code(204).send(null)
  })
}

/** created_from / created_to as instants in the stored form (UTC ISO 8601), checked to be in order. */
function dateRangeOf(query: { created_from?: string; created_to?: string }) {
  const createdFrom = query.created_from === undefined ? undefined : new Date(query.created_from).toISOString()
  const createdTo = query.created_to === undefined ? undefined : new Date(query.created_to).toISOString()
  if (createdFrom !== undefined && createdTo !== undefined && createdFrom > createdTo) {
    throw new RequestValidationError([
      { loc: ['query', 'created_to'], msg: 'created_to must not be before created_from', type: 'value_error' },
    ])
  }
  return { createdFrom, createdTo }
}
