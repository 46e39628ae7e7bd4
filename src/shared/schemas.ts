import { Type, type Static } from 'typebox'

/** Ids are positive integers that JSON numbers carry exactly. */
const MAX_ID = Number.MAX_SAFE_INTEGER
export const Id = Type.Integer({ minimum: 1, maximum: MAX_ID, examples: [1] })
const MAX_OFFSET = 2_147_483_647

/**
 * For strings that are stored: NUL is refused, as neither database keeps it (PostgreSQL rejects
 * it, SQLite's length() stops at it).
 */
export const NO_NUL = '^[^\\u0000]*$'

export const Timestamp = Type.String({
  format: 'date-time',
  description: 'ISO 8601, UTC',
  examples: ['2026-11-30T09:15:00.000Z'],
})

export const ErrorResponse = Type.Object({ detail: Type.String({ examples: ['Product not found'] }) })

export const ValidationErrorResponse = Type.Object({
  detail: Type.Array(
    Type.Object({
      loc: Type.Array(Type.Union([Type.String({ examples: ['body'] }), Type.Integer({ examples: [0] })]), {
        examples: [['body', 'price']],
      }),
      msg: Type.String({ examples: ['Input should be greater than 0'] }),
      type: Type.String({ examples: ['greater_than'] }),
    }),
  ),
})

export const Pagination = Type.Object({
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 100,
      examples: [100],
      description: 'Page size (1..1000, default 100).',
    }),
  ),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_OFFSET, examples: [0], description: 'Rows to skip.' })),
  skip: Type.Optional(
    Type.Integer({ minimum: 0, maximum: MAX_OFFSET, examples: [0], description: 'Alias of offset.' }),
  ),
  after_id: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: MAX_ID,
      examples: [0],
      description:
        'Keyset paging: only rows with a larger id (the last id of the previous page). Unlike a large offset, it costs the same on any page; the Link header then continues with after_id. Not combined with a non-zero offset/skip (422).',
    }),
  ),
})
export type PaginationQuery = Static<typeof Pagination>

/** A response entry for an error status, documented with its meaning. */
export function errorResponse(description: string, example = description) {
  return Type.Object({ detail: Type.String({ examples: [example] }) }, { description })
}

/** Statuses any route with a JSON body may answer before its handler runs. */
export const bodyErrors = {
  413: errorResponse('Request body is too large'),
  415: errorResponse('Unsupported media type: the body must be JSON'),
}

/** Statuses any route that touches the database may answer. */
export const databaseErrors = {
  503: errorResponse('The database is busy or unavailable: retry'),
}

export const validationErrorResponse = Type.Object(ValidationErrorResponse.properties, {
  description: 'Validation error: a FastAPI-style list of {loc, msg, type}',
})

export const listHeaders = {
  'X-Total-Count': { type: 'integer', description: 'Rows matching the query, all pages together' },
  Link: { type: 'string', description: 'RFC 8288 links to the next and previous pages' },
} as const

/** The same schema with a description (used as the response's description in OpenAPI). */
export function described<T extends object>(schema: T, description: string, extra: object = {}): T {
  return { ...schema, description, ...extra }
}
