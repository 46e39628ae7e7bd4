import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { schemas } from './schemas.js'
import * as service from './service.js'

export interface WebhookOptions {
  secrets: readonly string[]
}

/**
 * Encapsulated (no fastify-plugin): its raw-body parser applies to these routes only. The body
 * stays a Buffer until the signature over its exact bytes has been verified.
 */
export const webhookRoutes: FastifyPluginAsyncTypebox<WebhookOptions> = async (app, { secrets }) => {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

  app.post(
    '/webhooks/payment',
    {
      schema: schemas.payment,
      // The body schema documents the payload; it is validated by the handler, after the signature.
      validatorCompiler: () => (value: unknown) => ({ value }),
    },
    async (request) => {
      const body: unknown = request.body
      const result = await service.receivePaymentWebhook(app.db, secrets, {
        body: Buffer.isBuffer(body) ? body : Buffer.alloc(0),
        signature: request.headers['x-webhook-signature'],
        eventIdHeader: request.headers['x-event-id'],
      })
      app.metrics.webhook(result.status)
      if (result.status === 'processed') app.metrics.orderMovedTo('PAID')
      return result
    },
  )
}
