import { createHmac, timingSafeEqual } from 'node:crypto'
import { DomainError } from '../../shared/errors.js'

const SIGNATURE_FORMAT = /^(?:sha256=)?([0-9a-f]{64})$/i

/** The `X-Webhook-Signature` value a payment provider sends for `body`: `sha256=<hex HMAC>`. */
export function signBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
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

function invalidSignature() {
  return new DomainError('INVALID_SIGNATURE', 'Invalid webhook signature')
}
