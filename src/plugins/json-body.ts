import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { parseJson } from '../shared/json.js'

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The body's text as received (the parser's own string, not a copy): an Idempotency-Key's
     * fingerprint covers these exact characters. Undefined when the request had no body.
     */
    rawBody: string | undefined
  }
}

// Fastify matches the whole header, parameters included: `application/json; charset=utf-8`.
const JSON_MEDIA_TYPES = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i

type Done = (error: Error | null, body?: unknown) => void

function parseJsonBody(text: string, done: Done): void {
  if (text.trim() === '') return done(null, undefined)
  try {
    done(null, parseJson(text))
  } catch {
    done(Object.assign(new Error('JSON decode error'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }))
  }
}

const unsupportedMediaType = () =>
  Object.assign(new Error('Unsupported media type'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 })

/**
 * JSON bodies, parsed safely (see parseJson). An empty body parses to "no body", so a DELETE sent
 * with `Content-Type: application/json` and nothing else works, and a POST without its body gets
 * the usual 422 "Field required". `application/*+json` counts as JSON. A body sent without any
 * Content-Type is read as JSON, as FastAPI does (Python's `requests.post(url, data=json.dumps(...))`
 * sends none). Any other type is refused with 415 (text/plain is not parsed into a string).
 */
async function jsonBodyPlugin(app: FastifyInstance) {
  app.decorateRequest('rawBody', undefined)
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(JSON_MEDIA_TYPES, { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string
    parseJsonBody(body as string, done)
  })
  // Fastify hands bodies without a Content-Type, and of unknown types, to the catch-all parser.
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    if (request.headers['content-type'] !== undefined) return done(unsupportedMediaType(), undefined)
    request.rawBody = body as string
    parseJsonBody(body as string, done)
  })
}

export default fp(jsonBodyPlugin, { name: 'json-body' })
