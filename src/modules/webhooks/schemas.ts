import { Type, type Static } from 'typebox'
import { databaseErrors, described, errorResponse, Id, NO_NUL, ValidationErrorResponse } from '../../shared/schemas.js'

export const PaymentEvent = Type.Object(
  {
    event: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: NO_NUL, description: 'Event type' })),
    event_type: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, pattern: NO_NUL, description: 'Accepted in place of event' }),
    ),
    order_id: Id,
    amount: Type.Optional(Type.Number({ description: "Must equal the order's total when given" })),
    currency: Type.Optional(Type.String({ maxLength: 10 })),
    payment_id: Type.Optional(Type.String({ maxLength: 200 })),
    event_id: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 200, pattern: NO_NUL }), Type.Integer()]),
    ),
    id: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200, pattern: NO_NUL }), Type.Integer()])),
  },
  {
    examples: [{ event: 'payment.succeeded', order_id: 1, amount: 59.98, currency: 'USD', payment_id: 'pay_1' }],
  },
)
export type PaymentEvent = Static<typeof PaymentEvent>

export const WebhookResult = Type.Object({
  status: Type.Enum(['processed', 'duplicate', 'ignored']),
  event_id: Type.String(),
  order_id: Type.Optional(Type.Integer()),
  new_status: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
})
export type WebhookResult = Static<typeof WebhookResult>

export const WebhookHeaders = Type.Object({
  'x-webhook-signature': Type.Optional(
    Type.String({ description: '`sha256=<hex>` (or bare `<hex>`): HMAC-SHA256 of the raw body' }),
  ),
  'x-event-id': Type.Optional(Type.String({ description: 'Delivery identity used to drop duplicates' })),
})

export const schemas = {
  payment: {
    tags: ['Webhooks'],
    summary: 'Payment provider notification (HMAC-signed)',
    description:
      'The signature is checked over the raw body before anything in it is read. ' +
      'Event identity: X-Event-Id, else the body `event_id` or `id`, else a hash of the body; ' +
      'a delivery already processed answers `duplicate` and changes nothing.',
    headers: WebhookHeaders,
    body: PaymentEvent,
    security: [{ webhookSignature: [] }],
    response: {
      200: described(WebhookResult, 'processed, duplicate or ignored'),
      400: errorResponse('Invalid JSON payload'),
      401: errorResponse('Missing webhook signature'),
      403: errorResponse('Invalid webhook signature'),
      404: errorResponse('Order not found'),
      409: errorResponse('The order is canceled (or was changed concurrently: retry)'),
      413: errorResponse('Request body is too large'),
      422: Type.Object(
        { detail: Type.Union([Type.String(), ValidationErrorResponse.properties.detail]) },
        { description: 'Invalid payload (FastAPI-style list) or amount different from the order total (string)' },
      ),
      ...databaseErrors,
    },
  },
}
