import type { FastifyReply } from 'fastify'
import sjson from 'secure-json-parse'

// A \uD800-\uDFFF escape: the only way JSON text can carry a lone surrogate.
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/
// In a /u regex a proper pair is one code point, so this matches unpaired surrogates only.
const LONE_SURROGATE = /\p{Cs}/u
const isWellFormed = (text: string) => !LONE_SURROGATE.test(text)

function wellFormed(value: unknown): boolean {
  if (typeof value === 'string') return isWellFormed(value)
  if (Array.isArray(value)) return value.every(wellFormed)
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).every(([key, item]) => isWellFormed(key) && wellFormed(item))
  }
  return true
}

/**
 * JSON.parse, minus what no database can keep: keys that poison prototypes, and strings holding
 * an unpaired UTF-16 surrogate (`"\ud800"`). Such a string cannot be encoded as UTF-8, so it would
 * be stored altered and two different values could collide under a unique key; like Python's
 * JSON decoder in strict clients, it is refused as invalid JSON. Throws SyntaxError.
 */
export function parseJson(text: string): unknown {
  const value: unknown = sjson.parse(text, { protoAction: 'error', constructorAction: 'error' })
  if (SURROGATE_ESCAPE.test(text) && !wellFormed(value)) {
    throw new SyntaxError('JSON text holds an unpaired surrogate')
  }
  return value
}

/**
 * Sends JSON text that already is the response body, in its schema's shape, as it is (Fastify
 * sends a string with a JSON content type unchanged).
 */
export function sendJsonText(reply: FastifyReply, json: string | Buffer): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(json)
}
