import { Type, type Static } from 'typebox'
import { databaseErrors, described, errorResponse, Id, NO_NUL, ValidationErrorResponse } from '../../shared/schemas.js'

export const PaymentEvent = Type.Object(
  {
    event: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        pattern: NO_NUL,
        description: 'Event type',
        examples: ['payment.succeeded'],
      }),
    ),
    event_type: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        pattern: NO_NUL,
        description: 'Accepted in place of event',
        examples: ['payment.succeeded'],
      }),
    ),
    order_id: Id,
    amount: Type.Optional(Type.Number({ description: "Must equal the order's total when given", examples: [59.98] })),
    currency: Type.Optional(
      Type.String({ maxLength: 10, description: 'Must be CURRENCY when given', examples: ['USD'] }),
    ),
    payment_id: Type.Optional(Type.String({ maxLength: 200, examples: ['pay_1'] })),
    event_id: Type.Optional(
      Type.Union([
        Type.String({ minLength: 1, maxLength: 200, pattern: NO_NUL, examples: ['evt_1'] }),
        Type.Integer({ examples: [1001] }),
      ]),
    ),
    id: Type.Optional(
      Type.Union([
        Type.String({ minLength: 1, maxLength: 200, pattern: NO_NUL, examples: ['evt_1'] }),
        Type.Integer({ examples: [1001] }),
      ]),
    ),
  },
  {
    examples: [{ event: 'payment.succeeded', order_id: 1, amount: 59.98, currency: 'USD', payment_id: 'pay_1' }],
  },
)
export type PaymentEvent = Static<typeof PaymentEvent>

export const WebhookResult = Type.Object({
  status: Type.Enum(['processed', 'duplicate', 'ignored']),
  event_id: Type.String({ examples: ['evt_1'] }),
  order_id: Type.Optional(Type.Integer({ examples: [1] })),
  new_status: Type.Optional(Type.String({ examples: ['PAID'] })),
  reason: Type.Optional(Type.String({ examples: ['Order already PAID'] })),
})
export type WebhookResult = Static<typeof WebhookResult>

export const WebhookHeaders = Type.Object({
  'x-webhook-signature': Type.Optional(
    Type.String({
      description:
        '`sha256=<hex>` (or bare `<hex>`): HMAC-SHA256 of the raw body under a secret of WEBHOOK_SECRET. ' +
        'Ignored when `webhook-signature` is present.',
      examples: ['sha256=3f1c0f9d2b5e4a7c8d6e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c'],
    }),
  ),
  'x-event-id': Type.Optional(
    Type.String({
      description:
        'Delivery identity used to drop duplicates, taken whole (commas included), UTF-8, at most 200 characters. ' +
        'Ignored with Standard Webhooks headers (`webhook-id` is the identity then).',
      examples: ['evt_1'],
    }),
  ),
  'webhook-id': Type.Optional(
    Type.String({
      description:
        'Standard Webhooks: the event identity (the same on every retry), covered by the signature; ' +
        'UTF-8, at most 200 characters. Required with `webhook-signature`.',
      examples: ['msg_2KWPBgLlAfxdpx2AI54pPJ85f4W'],
    }),
  ),
  'webhook-timestamp': Type.Optional(
    Type.String({
      description:
        'Standard Webhooks: Unix seconds of this attempt, covered by the signature; more than ' +
        'WEBHOOK_TOLERANCE_SECONDS (default 300) from now, past or future: 403. Required with `webhook-signature`.',
      examples: ['1796000000'],
    }),
  ),
  'webhook-signature': Type.Optional(
    Type.String({
      description:
        'Standard Webhooks: space-separated `v1,<base64>` signatures, any one of which must be the base64 ' +
        'HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{raw body}` under a secret of WEBHOOK_SECRET ' +
        '(a `whsec_<base64>` secret is used decoded). When present, it decides instead of X-Webhook-Signature; ' +
        'without a valid `webhook-id` and `webhook-timestamp` it cannot be verified (403).',
      examples: ['v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4='],
    }),
  ),
})

export const schemas = {
  payment: {
    tags: ['Webhooks'],
    summary: 'Payment provider notification (HMAC-signed, or Standard Webhooks)',
    description:
      'Signed either with `X-Webhook-Signature` (HMAC of the body) or with Standard Webhooks headers ' +
      '(`webhook-id`, `webhook-timestamp`, `webhook-signature`: HMAC of id, timestamp and body); ' +
      'the signature is checked over the raw body before anything in it is read. ' +
      'Event identity: `webhook-id` (Standard Webhooks), else X-Event-Id, else the body `event_id` or `id`, ' +
      'else a hash of the body; a delivery already processed answers `duplicate` and changes nothing, and an ' +
      'identity already used for another order or event type answers 409. A `currency` other than the ' +
      "service's CURRENCY: 422.",
    headers: WebhookHeaders,
    body: PaymentEvent,
    security: [{ webhookSignature: [] }],
    response: {
      200: described(WebhookResult, 'processed, duplicate or ignored'),
      400: errorResponse('Invalid JSON payload'),
      401: errorResponse('Missing webhook signature'),
      403: errorResponse('Invalid webhook signature, or (Standard Webhooks) webhook timestamp outside the tolerance'),
      404: errorResponse('Order not found'),
      409: errorResponse(
        'The order is canceled, the event id was already used for a different event (another order_id or ' +
          'event type), or the order was changed concurrently (retry)',
      ),
      413: errorResponse('Request body is too large'),
      422: Type.Object(
        {
          detail: Type.Union([
            Type.String({ examples: ['Payment amount 10 does not match order total 59.98'] }),
            ValidationErrorResponse.properties.detail,
          ]),
        },
        {
          description:
            'Invalid payload or event id header (FastAPI-style list), or amount different from the order total ' +
            'or currency different from CURRENCY (string)',
        },
      ),
      ...databaseErrors,
    },
  },
}
