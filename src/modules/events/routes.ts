import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sendJsonText } from '../../shared/json.js'
import { schemas } from './schemas.js'
import * as service from './service.js'

export const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/events', { schema: schemas.list, config: { scope: 'read' } }, async (request, reply) => {
    const page = await service.listEvents(app.db, request.query)
    reply.header('X-Total-Count', String(page.total))
    if (page.lastId !== undefined && page.size === page.limit) {
      // Keyset paging: the next page starts after this page's last event.
      const next = new URLSearchParams()
      if (request.query.type) next.set('type', request.query.type)
      next.set('after_id', page.lastId)
      next.set('limit', String(page.limit))
      reply.header('Link', `</events?${next.toString()}>; rel="next"`)
    }
    // The stored payloads are the events' JSON already: sent as they are, not parsed and serialised again.
    return sendJsonText(reply, page.json)
  })
}
