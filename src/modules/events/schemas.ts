import { Type, type Static } from 'typebox'
import { EVENT_TYPES } from '../../db/types.js'
import { databaseErrors, described, listHeaders, Timestamp, validationErrorResponse } from '../../shared/schemas.js'

export const EventId = Type.String({
  pattern: '^evt_[A-Za-z0-9_-]{1,64}$',
  description: 'An event id (`evt_...`): the `webhook-id` of its deliveries and the `Nats-Msg-Id` on the event bus',
  examples: ['evt_mh3k2x1a9Qm2v7LbT0cW4e'],
})

export const EventType = Type.Enum([...EVENT_TYPES], { description: 'What happened' })

export const Event = Type.Object({
  id: EventId,
  type: EventType,
  timestamp: Timestamp,
  data: Type.Object(
    {},
    {
      additionalProperties: true,
      description: 'The order or product as the API shows it (GET /orders/{id}, GET /products/{id}) after the change',
    },
  ),
})
export type Event = Static<typeof Event>

export const EventsQuery = Type.Object({
  type: Type.Optional(EventType),
  after_id: Type.Optional(
    Type.String({
      ...EventId,
      description:
        'Only the events after this one (the last id of the previous page); the Link header continues with it',
    }),
  ),
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 100,
      examples: [100],
      description: 'Page size (1..1000, default 100).',
    }),
  ),
})
export type EventsQuery = Static<typeof EventsQuery>

export const schemas = {
  list: {
    tags: ['Events'],
    summary: 'The events, oldest first (every state change of orders, products and stock)',
    description:
      'Each event was written in the same transaction as its change: it exists exactly when the change committed. Kept for EVENT_RETENTION_DAYS (default 30), longer while a delivery of it is pending.',
    querystring: EventsQuery,
    response: {
      200: described(Type.Array(Event), 'A page of events (bare array)', { headers: listHeaders }),
      422: validationErrorResponse,
      ...databaseErrors,
    },
  },
}
