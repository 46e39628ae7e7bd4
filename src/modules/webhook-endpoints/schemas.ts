import { Type, type Static } from 'typebox'
import { DELIVERY_STATUSES, EVENT_TYPES } from '../../db/types.js'
import {
  bodyErrors,
  databaseErrors,
  described,
  errorResponse,
  Id,
  listHeaders,
  NO_NUL,
  Pagination,
  Timestamp,
  validationErrorResponse,
} from '../../shared/schemas.js'
import { EventId } from '../events/schemas.js'

export const MAX_URL_LENGTH = 2048
const MAX_DESCRIPTION_LENGTH = 500
/** Every event type. */
export const ALL_EVENTS = '*'

const nullable = <T>(type: 'integer' | 'string', options: object) =>
  Type.Unsafe<T | null>({ type: [type, 'null'], ...options })

const Url = Type.String({
  minLength: 1,
  maxLength: MAX_URL_LENGTH,
  pattern: NO_NUL,
  description:
    'Where events are POSTed: an http(s) URL. In production it must resolve to public addresses only (unless WEBHOOK_ALLOW_PRIVATE_URLS=true).',
  examples: ['https://hooks.example.com/orders-inventory'],
})

const eventsOptions = {
  minItems: 1,
  uniqueItems: true,
  description: 'The event types delivered to it, each once; or ["*"] for every type (alone)',
  examples: [['order.paid', 'order.canceled'], [ALL_EVENTS]],
}
const EventTypeOrAll = Type.Enum([...EVENT_TYPES, ALL_EVENTS])
const Events = Type.Array(EventTypeOrAll, eventsOptions)

const descriptionOptions = {
  maxLength: MAX_DESCRIPTION_LENGTH,
  pattern: NO_NUL,
  description: 'A note for people: who owns it, what it feeds',
  examples: ['Warehouse system: paid orders to pick'],
}
const Description = nullable<string>('string', descriptionOptions)

const Secret = Type.String({
  pattern: '^whsec_[A-Za-z0-9+/]{43}=$',
  description:
    'The signing secret (Standard Webhooks): `whsec_` + base64 of 32 random bytes; the HMAC key is the decoded bytes. Shown only when the endpoint is created and when its secret is rotated.',
  examples: ['whsec_QUcaiHMWnW5qR2SoYy9B61NHZx+IxeTF19wTTFnf+a0='],
})

export const WebhookEndpoint = Type.Object({
  id: Id,
  url: Url,
  events: Events,
  description: Description,
  enabled: Type.Boolean({
    description: 'Whether deliveries are made to it (a 410 from the receiver disables it)',
    examples: [true],
  }),
  disabled_reason: nullable<string>('string', {
    description: 'Why the service disabled it; null when enabled or disabled by hand',
    examples: ['The endpoint answered 410 Gone'],
  }),
  created_at: Timestamp,
  updated_at: Timestamp,
})
export type WebhookEndpoint = Static<typeof WebhookEndpoint>

export const WebhookEndpointWithSecret = Type.Object({ ...WebhookEndpoint.properties, secret: Secret })
export type WebhookEndpointWithSecret = WebhookEndpoint & { secret: string }

export const WebhookEndpointCreate = Type.Object(
  {
    url: Url,
    events: Type.Optional(Type.Array(EventTypeOrAll, { ...eventsOptions, default: [ALL_EVENTS] })),
    description: Type.Optional(Description),
  },
  {
    examples: [
      {
        url: 'https://hooks.example.com/orders-inventory',
        events: ['order.paid', 'order.canceled'],
        description: 'Warehouse system: paid orders to pick',
      },
      { url: 'https://hooks.example.com/everything' },
    ],
  },
)
export type WebhookEndpointCreate = Static<typeof WebhookEndpointCreate>

export const WebhookEndpointUpdate = Type.Object(
  {
    url: Type.Optional(Url),
    events: Type.Optional(Events),
    description: Type.Optional(
      nullable<string>('string', {
        ...descriptionOptions,
        description: `${descriptionOptions.description}; null removes it`,
      }),
    ),
    enabled: Type.Optional(
      Type.Boolean({
        description: 'false stops deliveries; true resumes them (and clears disabled_reason)',
        examples: [true],
      }),
    ),
  },
  {
    examples: [{ enabled: true }, { events: ['stock.low', 'stock.depleted'], description: null }],
    description: 'Only the fields sent change',
  },
)
export type WebhookEndpointUpdate = Static<typeof WebhookEndpointUpdate>

export const WebhookDelivery = Type.Object({
  id: Id,
  endpoint_id: Id,
  event_id: EventId,
  event_type: Type.Enum([...EVENT_TYPES], { description: 'The type of the event delivered' }),
  status: Type.Enum([...DELIVERY_STATUSES], {
    description: 'pending (to be attempted, or again), succeeded (a 2xx came), failed (every try was used)',
  }),
  attempts: Type.Integer({ minimum: 0, description: 'Attempts made so far', examples: [2] }),
  next_attempt_at: nullable<string>('string', {
    format: 'date-time',
    description: 'When it is next attempted (pending); null otherwise',
    examples: ['2026-11-30T09:15:30.000Z'],
  }),
  last_status_code: nullable<number>('integer', {
    description: "The receiver's HTTP status at the last attempt; null when none came (timeout, refused)",
    examples: [503],
  }),
  last_error: nullable<string>('string', {
    description: 'What went wrong at the last attempt; null after a success',
    examples: ['The endpoint answered 503'],
  }),
  created_at: Timestamp,
  updated_at: Timestamp,
})
export type WebhookDelivery = Static<typeof WebhookDelivery>

export const WebhookAttempt = Type.Object({
  attempt: Type.Integer({ minimum: 1, description: '1 for the first attempt, then 2, 3...', examples: [1] }),
  started_at: Timestamp,
  duration_ms: Type.Integer({
    minimum: 0,
    description: 'Until the answer came, or the attempt failed',
    examples: [84],
  }),
  status_code: nullable<number>('integer', {
    description: "The receiver's HTTP status; null when none came",
    examples: [503],
  }),
  error: nullable<string>('string', {
    description: 'Why the attempt failed; null when it succeeded',
    examples: ['The endpoint answered 503'],
  }),
  response_excerpt: nullable<string>('string', {
    description: 'The start of the response body (at most 1,024 characters)',
    examples: ['{"ok":false,"reason":"maintenance"}'],
  }),
})
export type WebhookAttempt = Static<typeof WebhookAttempt>

export const WebhookDeliveryDetail = Type.Object({
  ...WebhookDelivery.properties,
  attempt_log: Type.Array(WebhookAttempt, { description: 'Every attempt, first to last' }),
})
export type WebhookDeliveryDetail = WebhookDelivery & { attempt_log: WebhookAttempt[] }

export const EndpointParams = Type.Object({ endpoint_id: Id })
export const DeliveryParams = Type.Object({ delivery_id: Id })

export const DeliveryListQuery = Type.Object({
  ...Pagination.properties,
  status: Type.Optional(Type.Enum([...DELIVERY_STATUSES], { description: 'Only the deliveries in this status' })),
})
export type DeliveryListQuery = Static<typeof DeliveryListQuery>

const tags = ['Webhook endpoints']
const endpointNotFound = errorResponse('Webhook endpoint not found')
const urlRefused = described(
  validationErrorResponse,
  'Validation error: a FastAPI-style list of {loc, msg, type} (also a URL that is not http(s), or in production one that resolves to a loopback, private or link-local address)',
)

export const schemas = {
  create: {
    tags,
    summary: 'Register a webhook endpoint: events are POSTed to it, signed with its secret',
    body: WebhookEndpointCreate,
    response: {
      201: described(WebhookEndpointWithSecret, 'The endpoint, with its secret (shown only here and on rotation)'),
      422: urlRefused,
      ...bodyErrors,
      ...databaseErrors,
    },
  },
  list: {
    tags,
    summary: 'List webhook endpoints by id (without their secrets)',
    querystring: Pagination,
    response: {
      200: described(Type.Array(WebhookEndpoint), 'A page of endpoints (bare array)', { headers: listHeaders }),
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
  get: {
    tags,
    summary: 'Get a webhook endpoint (without its secret)',
    params: EndpointParams,
    response: {
      200: described(WebhookEndpoint, 'The endpoint'),
      404: endpointNotFound,
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
  update: {
    tags,
    summary: 'Change a webhook endpoint (partial: only the fields sent change)',
    params: EndpointParams,
    body: WebhookEndpointUpdate,
    response: {
      200: described(WebhookEndpoint, 'The endpoint as changed'),
      404: endpointNotFound,
      422: urlRefused,
      ...bodyErrors,
      ...databaseErrors,
    },
  },
  remove: {
    tags,
    summary: 'Delete a webhook endpoint, with its deliveries and their attempts',
    params: EndpointParams,
    response: {
      204: Type.Null({ description: 'Deleted' }),
      404: endpointNotFound,
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
  rotateSecret: {
    tags,
    summary: "Rotate a webhook endpoint's secret: the previous one also signs for 24 hours",
    params: EndpointParams,
    response: {
      200: described(WebhookEndpointWithSecret, 'The endpoint, with its new secret (shown only here)'),
      404: endpointNotFound,
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
  deliveries: {
    tags,
    summary: "A webhook endpoint's deliveries, oldest first, optionally by status",
    params: EndpointParams,
    querystring: DeliveryListQuery,
    response: {
      200: described(Type.Array(WebhookDelivery), 'A page of deliveries (bare array)', { headers: listHeaders }),
      404: endpointNotFound,
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
  allDeliveries: {
    tags,
    summary: "Every endpoint's deliveries, oldest first, optionally by status (failed ones to replay, say)",
    querystring: DeliveryListQuery,
    response: {
      200: described(Type.Array(WebhookDelivery), 'A page of deliveries (bare array)', { headers: listHeaders }),
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
  delivery: {
    tags,
    summary: 'Get a webhook delivery with every attempt made',
    params: DeliveryParams,
    response: {
      200: described(WebhookDeliveryDetail, 'The delivery and its attempts'),
      404: errorResponse('Webhook delivery not found'),
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
  retry: {
    tags,
    summary: 'Send a webhook delivery again now (pending, due at once), whatever its status',
    params: DeliveryParams,
    response: {
      202: described(WebhookDelivery, 'The delivery, pending and due now; it is sent in the background'),
      404: errorResponse('Webhook delivery not found'),
      409: errorResponse('Webhook endpoint is disabled (enable it first)', 'Webhook endpoint is disabled'),
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
}
