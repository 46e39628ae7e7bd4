import { createHmac, timingSafeEqual } from 'node:crypto'
import { DomainError } from '../../shared/errors.js'

const SIGNATURE_FORMAT = /^(?:sha256=)?([0-9a-f]{64})$/i

/**
 * One Standard Webhooks signature: `v1,` then the canonical base64 of a 32-byte HMAC-SHA256 (43
 * characters and one `=`; the last character before it carries 4 bits and 2 zero bits, hence its
 * class). Other versions (`v1a,...`, ed25519) are skipped, as the reference libraries do.
 */
const STANDARD_SIGNATURE_FORMAT = /^v1,([A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=)$/
/** Unix seconds. Up to 15 digits so that milliseconds sent by mistake read as "outside the tolerance". */
const TIMESTAMP_FORMAT = /^[0-9]{1,15}$/
/** `whsec_` and padded standard base64: such a secret is used decoded, as the Standard Webhooks libraries do. */
const WHSEC_FORMAT = /^whsec_((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$/

/** The `X-Webhook-Signature` value a payment provider sends for `body`: `sha256=<hex HMAC>`. */
export function signBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

/**
 * The HMAC key of a secret for Standard Webhooks: a `whsec_<base64>` secret is used base64-decoded,
 * any other secret (including a `whsec_` one that is not valid base64) as its UTF-8 bytes.
 */
export function standardSecretKey(secret: string): Buffer {
  const encoded = WHSEC_FORMAT.exec(secret)?.[1]
  return encoded ? Buffer.from(encoded, 'base64') : Buffer.from(secret, 'utf8')
}

/** The bytes a Standard Webhooks signature covers: `${id}.${timestamp}.${body}`. */
function standardContent(id: Buffer, timestamp: string, body: Buffer): Buffer {
  return Buffer.concat([id, Buffer.from(`.${timestamp}.`, 'latin1'), body])
}

/** The `webhook-signature` value (`v1,<base64>`) for a delivery, as a Standard Webhooks sender computes it. */
export function signStandard(id: string, timestamp: number | string, body: string | Buffer, secret: string): string {
  const content = standardContent(Buffer.from(id, 'utf8'), String(timestamp), Buffer.from(body))
  return `v1,${createHmac('sha256', standardSecretKey(secret)).update(content).digest('base64')}`
}

/**
 * Checks `X-Webhook-Signature` (`sha256=<hex>` or bare `<hex>`) against the raw body under each
 * configured secret (several during a rotation). The format is checked before decoding because
 * Buffer.from(hex) silently drops invalid characters; digests are compared in constant time.
 */
export function verifySignature(header: string | string[] | undefined, body: Buffer, secrets: readonly string[]): void {
  if (header === undefined || header === '') {
    throw new DomainError('MISSING_SIGNATURE', 'Missing webhook signature')
  }
  // A repeated header reaches us joined with ", ": the first value is the one that counts.
  const first = typeof header === 'string' ? header.split(',')[0]?.trim() : undefined
  const hex = first ? SIGNATURE_FORMAT.exec(first)?.[1] : undefined
  if (!hex) throw invalidSignature()
  const given = Buffer.from(hex, 'hex')
  let valid = false
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(body).digest()
    // Every secret is tried (no early exit) so timing does not reveal which one matched.
    valid = timingSafeEqual(given, expected) || valid
  }
  if (!valid) throw invalidSignature()
}

/**
 * The Standard Webhooks headers of a delivery, each the first occurrence's value as Node received
 * it (latin1: one character per byte), so the signature is checked over the exact bytes sent.
 */
export interface StandardHeaders {
  id: string | undefined
  timestamp: string | undefined
  signature: string
}

/**
 * Standard Webhooks 1.0: `webhook-signature` holds space-separated `v1,<base64>` signatures, any
 * one of which must be the HMAC-SHA256 of `${webhook-id}.${webhook-timestamp}.${raw body}` under a
 * configured secret; then `webhook-timestamp` must be within `toleranceSeconds` of now, past or
 * future. The id and timestamp are covered by the signature, so a captured delivery can neither be
 * re-sent under another id nor, after the tolerance, at all.
 *
 * A `webhook-signature` without a usable `webhook-id` or `webhook-timestamp` (missing, empty, not
 * digits) cannot be verified: 403 `Invalid webhook signature`. The signature is checked before the
 * timestamp: a caller without a valid signature only ever learns that it is invalid.
 */
export function verifyStandardSignature(
  headers: StandardHeaders,
  body: Buffer,
  secrets: readonly string[],
  toleranceSeconds: number,
  nowSeconds = Date.now() / 1000,
): void {
  const { id, timestamp } = headers
  if (!id || !timestamp || !TIMESTAMP_FORMAT.test(timestamp) || !isLatin1(id)) throw invalidSignature()
  const given: Buffer[] = []
  for (const entry of headers.signature.split(' ')) {
    const encoded = STANDARD_SIGNATURE_FORMAT.exec(entry)?.[1]
    if (encoded) given.push(Buffer.from(encoded, 'base64'))
  }
  if (given.length === 0) throw invalidSignature()

  const content = standardContent(Buffer.from(id, 'latin1'), timestamp, body)
  let valid = false
  for (const secret of secrets) {
    const expected = createHmac('sha256', standardSecretKey(secret)).update(content).digest()
    // Every secret against every signature, no early exit: the timing does not tell which matched.
    // Both sides are 32 bytes (the format above guarantees it), as timingSafeEqual requires.
    for (const signature of given) valid = timingSafeEqual(signature, expected) || valid
  }
  if (!valid) throw invalidSignature()

  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) {
    throw new DomainError('WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE', 'Webhook timestamp outside the tolerance')
  }
}

/** Header values off the wire are latin1; anything above U+00FF did not come from bytes. */
function isLatin1(value: string): boolean {
  return !/[\u0100-\uffff]/.test(value)
}

function invalidSignature() {
  return new DomainError('INVALID_SIGNATURE', 'Invalid webhook signature')
}
