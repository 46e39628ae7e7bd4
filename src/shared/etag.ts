import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { RequestValidationError } from './errors.js'
import { errorResponse } from './schemas.js'

/*
 * Entity tags and conditional requests (RFC 9110 §8.8.3, §13), for any resource answered as JSON.
 *
 * Guarantees:
 * - A tag is strong and is computed from the JSON text the client receives: `"` + base64url of the
 *   first 16 bytes of SHA-256(text) + `"`. It changes exactly when that text changes (every write
 *   also moves `updated_at`), needs no version column or migration, and is the same on every
 *   instance and on both databases.
 * - The text is JSON.stringify(value); the body is the same value written by the route's response
 *   schema. Both are the same bytes when the value has exactly the schema's fields in the schema's
 *   order (toProduct and toOrder build it so; test/conditional.test.ts checks ETag = hash(body)).
 *   Even if a value had more, the tag would still change whenever the body does.
 * - Conditions are read by RFC 9110 §13.2.2: If-Match first (strong comparison: a W/ tag never
 *   matches; `*` matches any current representation), then If-None-Match (weak comparison): 304 for
 *   a read, 412 for a write. The date conditions are ignored (there is no Last-Modified).
 * - A header that is not `*` or a list of entity tags is a 422 naming it, on every route: never a
 *   5xx, and never a write done as if the condition were absent.
 * - A write checks its conditions inside its transaction, with the resource locked, against the
 *   representation built from the locked row (assertPreconditions): the check and the write are
 *   atomic, so of two writers holding one tag exactly one wins and the other gets 412.
 * - A request without If-Match and If-None-Match costs two header lookups (conditionsOf): the use
 *   case keeps its unconditional path.
 *
 * Absent resources are not this module's business: 404 comes first, as without conditions
 * (RFC 9110 §13.2.1: a request that would fail without them ignores them).
 */

/** A resource's state as sent (the value) and the strong tag of its JSON text. */
export interface Representation<T> {
  readonly value: Readonly<T>
  readonly etag: string
}

/** The strong entity tag of a JSON text, quoted as it goes in the ETag header. */
export function etagOf(json: string): string {
  return `"${createHash('sha256').update(json).digest().subarray(0, 16).toString('base64url')}"`
}

/** The value (shaped as its response schema: see above) with its tag. */
export function representationOf<T>(value: Readonly<T>): Representation<T> {
  return Object.freeze({ value, etag: etagOf(JSON.stringify(value)) })
}

interface EntityTag {
  weak: boolean
  /** The opaque tag with its quotes, as in the ETag header: `"abc"`. */
  opaque: string
}

/** An If-Match or If-None-Match value: `*`, or a list of tags (possibly empty). */
type TagList = '*' | EntityTag[]

/** The request's conditions, parsed. */
export interface Conditions {
  ifMatch?: TagList
  ifNoneMatch?: TagList
}

const isOws = (code: number) => code === 0x20 || code === 0x09
// etagc = %x21 / %x23-7E / obs-text (%x80-FF); Node gives header values as latin1 strings.
const isEtagc = (code: number) => code === 0x21 || (code >= 0x23 && code <= 0x7e) || (code >= 0x80 && code <= 0xff)

/**
 * `*` / #entity-tag (RFC 9110 §13.1.1), empty list elements allowed (§5.6.1); undefined when
 * malformed. One pass over the text, no regular expression to backtrack on a hostile value.
 */
export function parseTagList(value: string): TagList | undefined {
  let at = 0
  const end = value.length
  const skipOws = () => {
    while (at < end && isOws(value.charCodeAt(at))) at++
  }
  skipOws()
  if (value[at] === '*') {
    at++
    skipOws()
    return at === end ? '*' : undefined
  }
  const tags: EntityTag[] = []
  while (at < end) {
    if (value[at] === ',') {
      at++
      skipOws()
      continue
    }
    const weak = value.startsWith('W/', at)
    if (weak) at += 2
    if (value[at] !== '"') return undefined
    const start = at
    at++
    while (at < end && isEtagc(value.charCodeAt(at))) at++
    if (value[at] !== '"') return undefined
    at++
    tags.push({ weak, opaque: value.slice(start, at) })
    skipOws()
    if (at < end && value[at] !== ',') return undefined
  }
  return tags
}

function parsedHeader(request: FastifyRequest, name: 'if-match' | 'if-none-match'): TagList | undefined {
  const value = request.headers[name]
  if (value === undefined) return undefined
  const tags = typeof value === 'string' ? parseTagList(value) : undefined
  if (tags !== undefined) return tags
  throw new RequestValidationError([
    {
      loc: ['header', name],
      msg: 'Expected * or a comma-separated list of entity tags, such as "xyzzy" or W/"xyzzy"',
      type: 'value_error',
    },
  ])
}

/**
 * The request's If-Match and If-None-Match, or undefined when it has neither (then the use case
 * takes its unconditional path, unchanged). Throws a 422 naming a malformed header.
 */
export function conditionsOf(request: FastifyRequest): Conditions | undefined {
  const { headers } = request
  if (headers['if-match'] === undefined && headers['if-none-match'] === undefined) return undefined
  return { ifMatch: parsedHeader(request, 'if-match'), ifNoneMatch: parsedHeader(request, 'if-none-match') }
}

/** Whether the list names the current (strong) tag; `weak`: by weak comparison (W/ ignored). */
function listMatches(list: TagList, current: string, weak: boolean): boolean {
  if (list === '*') return true
  return list.some((tag) => tag.opaque === current && (weak || !tag.weak))
}

type Outcome = 'proceed' | 'not-modified' | 'precondition-failed'

/** RFC 9110 §13.2.2 for a resource that exists, whose current tag is `current`. */
export function evaluate(conditions: Conditions, current: string, method: 'read' | 'write'): Outcome {
  if (conditions.ifMatch !== undefined && !listMatches(conditions.ifMatch, current, false)) {
    return 'precondition-failed'
  }
  if (conditions.ifNoneMatch !== undefined && listMatches(conditions.ifNoneMatch, current, true)) {
    return method === 'read' ? 'not-modified' : 'precondition-failed'
  }
  return 'proceed'
}

export const PRECONDITION_FAILED = 'Precondition Failed: the resource has changed'

/** 412, through the one error handler (a 4xx with a statusCode answers {"detail": message}). */
export class PreconditionFailedError extends Error {
  override name = 'PreconditionFailedError'
  readonly code = 'PRECONDITION_FAILED'
  readonly statusCode = 412
  constructor() {
    super(PRECONDITION_FAILED)
  }
}

/**
 * For a write, inside its transaction, with the resource locked: throws 412 (rolling the
 * transaction back) unless the conditions hold for its current representation. `current` is the
 * tag of the representation built from the locked row.
 */
export function assertPreconditions(conditions: Conditions, current: string): void {
  if (evaluate(conditions, current, 'write') !== 'proceed') throw new PreconditionFailedError()
}

/**
 * Sets the representation's ETag and returns its value, for the async handler to return: Fastify
 * serializes it with the route's response schema, into the text the tag was computed from. (Not
 * `return reply.send(json)`: an async handler that returns `reply` while async onSend hooks still
 * run makes Fastify wait for the response stream to finish, a listener and a promise per request
 * that cost GET /products/{id} about 15% of its CPU time.)
 */
export function withETag<T>(reply: FastifyReply, representation: Representation<T>): Readonly<T> {
  reply.header('ETag', representation.etag)
  return representation.value
}

/**
 * Answers a GET (or HEAD) with a representation: 304 without a body (the ETag kept) when
 * If-None-Match names it, 412 when If-Match does not, else the value with its ETag (withETag).
 * Return the result from the async handler.
 */
export function answerRead<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  representation: Representation<T>,
): Readonly<T> | FastifyReply {
  const conditions = conditionsOf(request)
  if (conditions !== undefined) {
    const outcome = evaluate(conditions, representation.etag, 'read')
    if (outcome === 'precondition-failed') throw new PreconditionFailedError()
    if (outcome === 'not-modified') return reply.code(304).header('ETag', representation.etag).send()
  }
  return withETag(reply, representation)
}

// The OpenAPI side: request headers, the ETag response header, 304 and 412.

const TAG_EXAMPLE = '"kTq3rNwY0hG6JpXw2c8HvA"'

/** The `ETag` response header, for the `headers` of a 200 that carries one. */
export const etagHeader = {
  ETag: {
    type: 'string',
    description:
      'Strong entity tag of this representation: changes whenever the body does. Send it back in If-None-Match (GET: 304 when unchanged) or If-Match (writes: 412 when changed).',
    examples: [TAG_EXAMPLE],
  },
} as const

/** The request headers of a conditional GET (`read`) or write (`write`), for a route's `headers`. */
export function conditionalHeaders(method: 'read' | 'write', resource: string) {
  const syntax = 'One or more entity tags, comma-separated (`"a", W/"b"`), or `*`; anything else is a 422.'
  return Type.Object({
    'If-None-Match': Type.Optional(
      Type.String({
        description:
          method === 'read'
            ? `ETags of copies the client holds: if one is current (weak comparison, W/ allowed; \`*\`: any), the answer is 304 Not Modified with no body and the ETag. ${syntax}`
            : `Refuse the write (412, nothing changes) if the ${resource}'s current ETag is listed (weak comparison; \`*\`: it exists). ${syntax}`,
        examples: [TAG_EXAMPLE],
      }),
    ),
    'If-Match': Type.Optional(
      Type.String({
        description:
          method === 'read'
            ? `Answer only if the ${resource}'s current ETag is listed (strong comparison), else 412. ${syntax}`
            : `Write only if the ${resource} is still as the client saw it: its current ETag must be listed (strong comparison: a W/ tag never matches; \`*\`: any existing ${resource}). Otherwise 412 and nothing changes. Checked atomically with the write. ${syntax}`,
        examples: [TAG_EXAMPLE],
      }),
    ),
  })
}

export const notModifiedResponse = Type.Null({
  description: 'Not Modified: the If-None-Match tag is current; no body, the ETag header is sent',
  headers: etagHeader,
})

export const preconditionFailedResponse = errorResponse(PRECONDITION_FAILED)
