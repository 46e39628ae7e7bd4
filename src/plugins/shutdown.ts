import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** True from the moment the server starts closing (SIGTERM): /ready answers 503. */
    shuttingDown: boolean
  }
}

/**
 * Draining on close. The server stops accepting connections and closes idle ones; a keep-alive
 * connection whose request was still running would otherwise stay open after its response (until
 * the keep-alive timeout) and hold the shutdown up. So from the first moment of closing, every
 * response, including those of requests already in flight, says `Connection: close`.
 */
async function shutdownPlugin(app: FastifyInstance) {
  app.decorate('shuttingDown', false)
  app.addHook('preClose', async () => {
    app.shuttingDown = true
  })
  app.addHook('onSend', async (_request, reply) => {
    if (app.shuttingDown) reply.header('Connection', 'close')
  })
}

export default fp(shutdownPlugin, { name: 'shutdown' })
