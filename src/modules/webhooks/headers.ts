import { RequestValidationError } from '../../shared/errors.js'

const MAX_EVENT_ID_LENGTH = 200
// fatal: invalid UTF-8 is refused rather than turned into U+FFFD (two ids would collide);
// ignoreBOM: a leading U+FEFF is kept, so `\ufeffevt` and `evt` stay two ids.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * The first occurrence of header `name` (lower case) exactly as Node received it: `rawHeaders`
 * keeps repeated headers apart (request.headers joins them with ", ") and holds the bytes as
 * latin1, one character per byte.
 */
export function firstRawHeader(rawHeaders: readonly string[], name: string): string | undefined {
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (rawHeaders[index]!.toLowerCase() === name) return rawHeaders[index + 1]
  }
  return undefined
}

/**
 * An event identity from a header's bytes, taken whole (commas included, nothing trimmed): strict
 * UTF-8, at most 200 characters (code points, as pydantic counts them), else 422 naming the header.
 * Undefined when the value is empty or whitespace only: the caller falls back to the body.
 */
export function identityFromHeader(raw: string, header: string): string | undefined {
  const invalid = (msg: string, type: string) => new RequestValidationError([{ loc: ['header', header], msg, type }])
  const notUtf8 = () =>
    invalid('Input should be a valid string, unable to parse raw data as a unicode string', 'string_unicode')
  // Characters above U+00FF cannot come from the wire (only from an in-process inject): not bytes.
  if (/[\u0100-\uffff]/.test(raw)) throw notUtf8()
  let decoded: string
  try {
    decoded = strictUtf8.decode(Buffer.from(raw, 'latin1'))
  } catch {
    throw notUtf8()
  }
  if (decoded.trim() === '') return undefined
  if ([...decoded].length > MAX_EVENT_ID_LENGTH) {
    throw invalid(`String should have at most ${MAX_EVENT_ID_LENGTH} characters`, 'string_too_long')
  }
  return decoded
}
