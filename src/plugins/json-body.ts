import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { parseJson } from '../shared/json.js'

// Fastify matches the whole header, parameters included: `application/json; charset=utf-8`.
const JSON_MEDIA_TYPES = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i

/**
 * JSON bodies, parsed safely (see parseJson). An empty body parses to
 * "no body", so a DELETE sent with `Content-Type: application/json` and nothing else works, and
 * a POST without its body gets the usual 422 "Field required". `application/*+json` counts as JSON.
 * Anything else that is not JSON is refused with 415 (text/plain is not parsed into a string).
 */
async function jsonBodyPlugin(app: FastifyInstance) {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(JSON_MEDIA_TYPES, { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string
    if (text.trim() === '') return done(null, undefined)
    try {
      done(null, parseJson(text))
    } catch {
      done(
        Object.assign(new Error('JSON decode error'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }),
        undefined,
      )
    }
  })
}

export default fp(jsonBodyPlugin, { name: 'json-body' })
