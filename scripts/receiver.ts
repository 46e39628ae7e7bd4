/**
 * `npm run receiver`: an example webhook receiver for trying the service's outbound webhooks on
 * this machine (see USAGE, docs/webhooks.md). It checks Standard Webhooks signatures with nothing
 * but node:crypto, answers 204 to a valid delivery and 400 to an invalid one, prints one line per
 * event, and ignores a webhook-id it has already accepted (deliveries are at least once).
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseCli, usageError } from './cli.js'

const USAGE = `
usage: npm run receiver -- [--secret whsec_...] [options]

An example receiver for the service's outbound webhooks. Create an endpoint pointing at it
(POST /webhook-endpoints {"url": "http://127.0.0.1:9000"}), give it the secret that answer shows,
then change something: each event prints one line. It checks every delivery's signature
(Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature) and answers 204 when it is
valid, 400 when not; a webhook-id already accepted is answered 204 and printed as a duplicate.
Starts in a second; runs until Ctrl-C.

      --port N           port to listen on (9000; 0 picks a free one)
      --host HOST        address to listen on (127.0.0.1)
      --secret SECRET    the endpoint's whsec_... secret (else WEBHOOK_RECEIVER_SECRET); without
                         one, deliveries are accepted unchecked (a warning says so)
      --tolerance S      how far webhook-timestamp may be from now, in seconds (300)
      --fail-first N     answer 500 to the first N valid deliveries, to watch the retries (0)
  -h, --help             this text

  npm run receiver -- --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
  npm run receiver -- --secret "$SECRET" --fail-first 2
`

/** Bodies above this are refused (413): an event is a few kilobytes at most. */
const MAX_BODY_BYTES = 1024 * 1024
/** `whsec_` and standard padded base64, as the service shows an endpoint's secret. */
const SECRET_FORMAT = /^whsec_((?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$/
const TIMESTAMP_FORMAT = /^\d{1,15}$/

export interface StandardWebhookHeaders {
  id: string | undefined
  timestamp: string | undefined
  signature: string | undefined
}

export type Verdict = { valid: true } | { valid: false; reason: string }

/** The HMAC key of a `whsec_<base64>` secret: its decoded bytes; undefined when it is not of that form. */
export function webhookSecretKey(secret: string): Buffer | undefined {
  const encoded = SECRET_FORMAT.exec(secret.trim())?.[1]
  return encoded ? Buffer.from(encoded, 'base64') : undefined
}

/**
 * Standard Webhooks 1.0: `signature` holds space-separated `v1,<base64>` signatures, and one of
 * them must be the HMAC-SHA256 of `${id}.${timestamp}.${raw body}` under the secret's decoded
 * bytes; `timestamp` (Unix seconds) must be within `toleranceSeconds` of now, either way. Each
 * candidate is compared in constant time over buffers of the same length; all are compared, so
 * the time taken does not say which one matched.
 */
export function verifyStandardWebhook(
  key: Buffer,
  headers: StandardWebhookHeaders,
  body: Buffer | string,
  { toleranceSeconds = 300, nowMs = Date.now() }: { toleranceSeconds?: number; nowMs?: number } = {},
): Verdict {
  const { id, timestamp, signature } = headers
  if (!id || !timestamp || !signature)
    return { valid: false, reason: 'Missing webhook-id, webhook-timestamp or webhook-signature' }
  if (!TIMESTAMP_FORMAT.test(timestamp)) return { valid: false, reason: 'webhook-timestamp is not Unix seconds' }
  // Node reads header values as latin1, one character per byte: these are the bytes that were sent.
  const content = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'latin1'), Buffer.from(body)])
  const expected = createHmac('sha256', key).update(content).digest()
  let matched = false
  for (const candidate of signature.split(' ')) {
    const [version, encoded] = candidate.split(',', 2)
    if (version !== 'v1' || !encoded) continue
    const given = Buffer.from(encoded, 'base64')
    if (given.length === expected.length) matched = timingSafeEqual(given, expected) || matched
  }
  if (!matched) return { valid: false, reason: 'No valid signature' }
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSeconds)
    return { valid: false, reason: `webhook-timestamp is more than ${toleranceSeconds} s from now` }
  return { valid: true }
}

/** The Standard Webhooks headers of a request (the first value of each). */
export function standardHeadersOf(request: IncomingMessage): StandardWebhookHeaders {
  const first = (name: string) => {
    const value = request.headers[name]
    return Array.isArray(value) ? value[0] : value
  }
  return { id: first('webhook-id'), timestamp: first('webhook-timestamp'), signature: first('webhook-signature') }
}

/** The raw body, or undefined when it passes `limit` bytes. */
export async function readBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/** A few words about an event's subject: `order 12 PENDING total 25`, `product 3 SKU-1 stock 0`. */
export function summary(event: { type?: unknown; data?: unknown }): string {
  const data = (event.data ?? {}) as Record<string, unknown>
  if (typeof event.type === 'string' && event.type.startsWith('order.')) {
    const reason = data.cancel_reason ? ` (${String(data.cancel_reason)})` : ''
    return `order ${String(data.id)} ${String(data.status)} total ${String(data.total)}${reason}`
  }
  if (typeof event.type === 'string' && (event.type.startsWith('product.') || event.type.startsWith('stock.'))) {
    const threshold = event.type === 'stock.low' ? ` (below ${String(data.low_stock_threshold)})` : ''
    return `product ${String(data.id)} ${String(data.sku)} stock ${String(data.stock)}${threshold}`
  }
  return JSON.stringify(event.data ?? null).slice(0, 80)
}

export interface ReceiverOptions {
  port: number
  host: string
  /** The HMAC key; undefined: deliveries are not checked. */
  key: Buffer | undefined
  toleranceSeconds: number
  failFirst: number
  print: (line: string) => void
}

/** The example receiver: listening when the promise resolves. */
export async function startReceiver(options: ReceiverOptions): Promise<Server> {
  const seen = new Set<string>()
  let failedOnPurpose = 0
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const answer = (status: number, detail?: string) => {
      if (detail === undefined) return void response.writeHead(status).end()
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ detail }))
    }
    const time = new Date().toISOString()
    const headers = standardHeadersOf(request)
    const label = headers.id ?? '-'
    if (request.method !== 'POST') return answer(405, 'Webhooks are POSTed')
    const body = await readBody(request)
    if (body === undefined) {
      options.print(`${time}  ${label}  rejected (413): body over ${MAX_BODY_BYTES} bytes`)
      return answer(413, 'Body too large')
    }
    if (options.key) {
      const verdict = verifyStandardWebhook(options.key, headers, body, { toleranceSeconds: options.toleranceSeconds })
      if (!verdict.valid) {
        options.print(`${time}  ${label}  rejected (400): ${verdict.reason}`)
        return answer(400, verdict.reason)
      }
    }
    let event: { type?: unknown; data?: unknown }
    try {
      event = JSON.parse(body.toString('utf8')) as typeof event
    } catch {
      options.print(`${time}  ${label}  rejected (400): the body is not JSON`)
      return answer(400, 'The body is not JSON')
    }
    if (headers.id !== undefined && seen.has(headers.id)) {
      options.print(`${time}  ${label}  duplicate: already received, ignored`)
      return answer(204)
    }
    if (failedOnPurpose < options.failFirst) {
      failedOnPurpose += 1
      options.print(
        `${time}  ${label}  ${String(event.type)}  answered 500 on purpose (${failedOnPurpose} of ${options.failFirst})`,
      )
      return answer(500, 'Failing on purpose (--fail-first)')
    }
    // Remembered only once accepted: a delivery answered 500 is sent again under the same id.
    if (headers.id !== undefined) seen.add(headers.id)
    const unchecked = options.key ? '' : '  (signature not checked)'
    options.print(`${time}  ${label}  ${String(event.type)}  ${summary(event)}${unchecked}`)
    answer(204)
  }
  // A sender that hangs up mid-body ends only its own request.
  const server = createServer((request, response) => void handle(request, response).catch(() => response.destroy()))
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(options.port, options.host, () => done())
  })
  return server
}

function options(): ReceiverOptions {
  const { values } = parseCli(USAGE, {
    port: { type: 'string', default: '9000' },
    host: { type: 'string', default: '127.0.0.1' },
    secret: { type: 'string' },
    tolerance: { type: 'string', default: '300' },
    'fail-first': { type: 'string', default: '0' },
  })
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) usageError(USAGE, '--port N: 0 to 65535')
  const toleranceSeconds = Number(values.tolerance)
  if (!Number.isInteger(toleranceSeconds) || toleranceSeconds < 1)
    usageError(USAGE, '--tolerance S: whole seconds, 1 or more')
  const failFirst = Number(values['fail-first'])
  if (!Number.isInteger(failFirst) || failFirst < 0) usageError(USAGE, '--fail-first N: a whole number, 0 for none')
  const secret = values.secret ?? process.env.WEBHOOK_RECEIVER_SECRET ?? ''
  const key = secret === '' ? undefined : webhookSecretKey(secret)
  if (secret !== '' && !key) usageError(USAGE, '--secret: the whsec_... secret the endpoint was created with')
  return { port, host: values.host!, key, toleranceSeconds, failFirst, print: (line) => console.log(line) }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const settings = options()
  try {
    const server = await startReceiver(settings)
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : settings.port
    console.log(
      `listening on http://${settings.host}:${port}: ` +
        (settings.key
          ? `signatures checked, timestamps within ${settings.toleranceSeconds} s`
          : 'signatures NOT checked'),
    )
    if (!settings.key)
      console.error(
        'warning: no --secret (or WEBHOOK_RECEIVER_SECRET): every delivery is accepted unsigned and unchecked; ' +
          'give the whsec_... secret shown when the endpoint was created',
      )
    if (settings.failFirst > 0) console.log(`the first ${settings.failFirst} valid deliveries get a 500 (--fail-first)`)
    process.once('SIGINT', () => process.exit(0))
    process.once('SIGTERM', () => process.exit(0))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    console.error(
      code === 'EADDRINUSE'
        ? `error: port ${settings.port} is in use: pick another with --port`
        : `error: ${error instanceof Error ? error.message : String(error)}`,
    )
    process.exitCode = 1
  }
}
