import { createHmac } from 'node:crypto'
import { connect } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { TEST_WEBHOOK_SECRET, type Reply } from './app.js'

/*
 * Webhook signatures computed here, independently of the service's own signing code, so that a
 * mistake there cannot hide itself in the tests.
 */

/** Hex HMAC-SHA256 of `body` under `secret`: the `X-Webhook-Signature` value is `sha256=` + this. */
export function webhookHmac(body: string, secret = TEST_WEBHOOK_SECRET): string {
  return createHmac('sha256', secret).update(body).digest('hex')
}

/** The `X-Webhook-Signature` header value for `body`, as a payment provider sends it: `sha256=<hex HMAC>`. */
export function signWebhook(body: string, secret = TEST_WEBHOOK_SECRET): string {
  return `sha256=${webhookHmac(body, secret)}`
}

/** Standard Webhooks key of a secret: `whsec_<base64>` decoded, other text as UTF-8, bytes as given. */
function standardKey(secret: string | Buffer): Buffer {
  if (Buffer.isBuffer(secret)) return secret
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret)
}

/** `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` under one secret. */
export function standardSignature(
  id: string | Buffer,
  timestamp: number | string,
  body: string,
  secret: string | Buffer,
) {
  const content = Buffer.concat([Buffer.from(id), Buffer.from(`.${timestamp}.`), Buffer.from(body)])
  return `v1,${createHmac('sha256', standardKey(secret)).update(content).digest('base64')}`
}

export const nowSeconds = () => Math.floor(Date.now() / 1000)

/**
 * The three Standard Webhooks headers for `body`, signed by every secret of `secrets`
 * (space-separated, as a sender does during a rotation). `id` may be raw bytes.
 */
export function standardWebhookHeaders<Id extends string | Buffer>(
  body: string,
  {
    id,
    timestamp = nowSeconds(),
    secrets = [TEST_WEBHOOK_SECRET],
  }: {
    id: Id
    timestamp?: number | string
    secrets?: (string | Buffer)[]
  },
): { 'webhook-id': Id; 'webhook-timestamp': string; 'webhook-signature': string } {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((secret) => standardSignature(id, timestamp, body, secret)).join(' '),
  }
}

/**
 * POSTs `body` to /webhooks/payment over a real socket with `headers` written byte for byte, in
 * order, repeats allowed: what Node's HTTP clients refuse to send (UTF-8 or invalid UTF-8 header
 * values) but payment providers do. The app starts listening on a free loopback port if needed.
 */
export async function sendRawWebhook(
  app: FastifyInstance,
  body: string,
  headers: [name: string, value: string | Buffer][],
): Promise<Pick<Reply, 'status' | 'body'>> {
  if (!app.server.listening) await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  const request = Buffer.concat([
    Buffer.from(
      `POST /webhooks/payment HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n`,
    ),
    ...headers.flatMap(([name, value]) => [Buffer.from(`${name}: `), Buffer.from(value), Buffer.from('\r\n')]),
    Buffer.from(`\r\n${body}`),
  ])
  const answer = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect(address.port, '127.0.0.1', () => socket.write(request))
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')))
  })
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1])
  const text = answer.slice(answer.indexOf('\r\n\r\n') + 4)
  return { status, body: text ? (JSON.parse(text) as unknown) : undefined }
}
