import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { EventsConfig } from '../../config.js'
import { contentsOf, pageOf, setPageHeaders } from '../../shared/pagination.js'
import { encryptionKey } from '../../shared/secrets.js'
import { schemas } from './schemas.js'
import * as service from './service.js'

/** The /webhook-endpoints and /webhook-deliveries routes: where events go, and how their deliveries went. */
export const webhookEndpointRoutes: FastifyPluginAsyncTypebox<{ events: EventsConfig }> = async (app, { events }) => {
  const key = encryptionKey(events.secretsEncryptionKey)

  app.post(
    '/webhook-endpoints',
    { schema: schemas.create, config: { scope: 'admin', secretInResponse: true } },
    async (request, reply) => {
      await service.checkEndpointInput(request.body, events)
      return app.idempotent(request, reply, 201, (db) => service.createEndpoint(db, request.body, key))
    },
  )

  app.get('/webhook-endpoints', { schema: schemas.list, config: { scope: 'read' } }, async (request, reply) => {
    const page = pageOf(request.query)
    const { items, total } = await service.listEndpoints(app.db, page)
    setPageHeaders(request, reply, page, total, contentsOf(items))
    return items
  })

  app.get('/webhook-endpoints/:endpoint_id', { schema: schemas.get, config: { scope: 'read' } }, async (request) =>
    service.getEndpoint(app.db, request.params.endpoint_id),
  )

  app.patch(
    '/webhook-endpoints/:endpoint_id',
    { schema: schemas.update, config: { scope: 'admin' } },
    async (request) => {
      await service.checkEndpointInput(request.body, events)
      return service.updateEndpoint(app.db, request.params.endpoint_id, request.body)
    },
  )

  app.delete(
    '/webhook-endpoints/:endpoint_id',
    { schema: schemas.remove, config: { scope: 'admin' } },
    async (request, reply) => {
      await service.deleteEndpoint(app.db, request.params.endpoint_id)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/webhook-endpoints/:endpoint_id/rotate-secret',
    { schema: schemas.rotateSecret, config: { scope: 'admin', secretInResponse: true } },
    async (request, reply) =>
      app.idempotent(request, reply, 200, (db) => service.rotateSecret(db, request.params.endpoint_id, key)),
  )

  app.get(
    '/webhook-endpoints/:endpoint_id/deliveries',
    { schema: schemas.deliveries, config: { scope: 'read' } },
    async (request, reply) => {
      const page = pageOf(request.query)
      const filter = { endpointId: request.params.endpoint_id, status: request.query.status }
      const { items, total } = await service.listDeliveries(app.db, filter, page)
      setPageHeaders(request, reply, page, total, contentsOf(items))
      return items
    },
  )

  app.get(
    '/webhook-deliveries',
    { schema: schemas.allDeliveries, config: { scope: 'read' } },
    async (request, reply) => {
      const page = pageOf(request.query)
      const { items, total } = await service.listDeliveries(app.db, { status: request.query.status }, page)
      setPageHeaders(request, reply, page, total, contentsOf(items))
      return items
    },
  )

  app.get(
    '/webhook-deliveries/:delivery_id',
    { schema: schemas.delivery, config: { scope: 'read' } },
    async (request) => service.getDelivery(app.db, request.params.delivery_id),
  )

  app.post(
    '/webhook-deliveries/:delivery_id/retry',
    { schema: schemas.retry, config: { scope: 'admin' } },
    async (request, reply) =>
      app.idempotent(
        request,
        reply,
        202,
        (db) => service.retryDelivery(db, request.params.delivery_id),
        // Committed: the dispatcher (in this instance) sends it now rather than at its next poll.
        () => app.outbox.notify(),
      ),
  )
}
