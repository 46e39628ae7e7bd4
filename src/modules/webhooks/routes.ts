import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { schemas } from './schemas.js'
import * as service from './service.js'

export interface WebhookOptions {
  secrets: readonly string[]
  /** ISO 4217 code a payment must be in (CURRENCY). */
  currency: string
  /** Standard Webhooks: how far `webhook-timestamp` may be from now (WEBHOOK_TOLERANCE_SECONDS). */
  toleranceSeconds: number
}

/**
 * Encapsulated (no fastify-plugin): its raw-body parser applies to these routes only. The body
 * stays a Buffer until the signature over its exact bytes has been verified.
 */
export const webhookRoutes: FastifyPluginAsyncTypebox<WebhookOptions> = async (
  app,
  { secrets, currency, toleranceSeconds },
) => {
  const settings: service.WebhookSettings = { secrets, currency, toleranceSeconds }
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

  app.post(
    '/webhooks/payment',
    {
      schema: schemas.payment,
      // Authenticated by its HMAC signature, not by an API key.
      config: { scope: 'public' },
      // The body schema documents the payload; it is validated by the handler, after the signature.
      validatorCompiler: () => (value: unknown) => ({ value }),
    },
    async (request) => {
      const body: unknown = request.body
      const result = await service.receivePaymentWebhook(app.db, settings, {
        body: Buffer.isBuffer(body) ? body : Buffer.alloc(0),
        // Raw: repeated headers kept apart and the exact bytes, for signatures and identities.
        rawHeaders: request.raw.rawHeaders,
      })
      app.metrics.webhook(result.status)
      if (result.status === 'processed') app.metrics.orderMovedTo('PAID')
      return result
    },
  )
}
