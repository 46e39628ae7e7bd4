import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto'

/*
 * Webhook endpoint secrets: made, kept and used.
 * - Made from 32 bytes of the operating system's CSPRNG, shown as `whsec_` + base64 (the Standard
 *   Webhooks form); the HMAC key is the decoded bytes.
 * - Kept sealed when SECRETS_ENCRYPTION_KEY is set: AES-256-GCM under a key derived from it, so a
 *   dump of the database alone cannot sign a delivery. Stored as `enc:v1:<base64 iv|tag|ciphertext>`.
 *   Without the key they are stored as they are (`whsec_...`), and both forms are read, so the key
 *   can be introduced later (secrets created or rotated after that are sealed).
 */

const PREFIX = 'whsec_'
const SEALED = 'enc:v1:'

/** A new secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return PREFIX + randomBytes(32).toString('base64')
}

/** The HMAC key of a `whsec_` secret: its decoded bytes. */
export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.slice(PREFIX.length), 'base64')
}

/** The AES-256 key of SECRETS_ENCRYPTION_KEY (any high-entropy string): its SHA-256. */
export function encryptionKey(passphrase: string): Buffer | undefined {
  return passphrase === '' ? undefined : createHash('sha256').update(passphrase, 'utf8').digest()
}

/** How a secret is stored: sealed under `key`, or as it is without one. */
export function sealSecret(secret: string, key: Buffer | undefined): string {
  if (!key) return secret
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()])
  return SEALED + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')
}

export class SecretUnavailableError extends Error {
  override name = 'SecretUnavailableError'
}

/** The secret a stored value holds. Throws SecretUnavailableError when it is sealed and `key` cannot open it. */
export function openSecret(stored: string, key: Buffer | undefined): string {
  if (!stored.startsWith(SEALED)) return stored
  if (!key) throw new SecretUnavailableError('The endpoint secret is encrypted and SECRETS_ENCRYPTION_KEY is not set')
  const raw = Buffer.from(stored.slice(SEALED.length), 'base64')
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12))
    decipher.setAuthTag(raw.subarray(12, 28))
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
  } catch {
    throw new SecretUnavailableError('The endpoint secret cannot be decrypted with SECRETS_ENCRYPTION_KEY')
  }
}

/**
 * The Standard Webhooks `webhook-signature` header: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`
 * under each secret, space-separated (the new secret first during a rotation).
 */
export function signatureHeader(secrets: readonly string[], id: string, timestamp: number, body: string): string {
  const content = `${id}.${timestamp}.${body}`
  return secrets
    .map((secret) => `v1,${createHmac('sha256', secretKey(secret)).update(content, 'utf8').digest('base64')}`)
    .join(' ')
}
