/**
 * `npm run sign -- '<json>'` (or the body on stdin): signs a webhook body as the payment provider
 * would, with WEBHOOK_SECRET (or the development secret), and prints the headers and a ready curl
 * command for BASE_URL (default http://127.0.0.1:8000).
 *
 * `npm run sign -- --standard [--id <webhook-id>] '<json>'` signs it the Standard Webhooks way
 * instead: `webhook-id` (default: a fresh `msg_...`), `webhook-timestamp` (now) and
 * `webhook-signature: v1,<base64>`. The service accepts it for WEBHOOK_TOLERANCE_SECONDS (default
 * 300) only, and each webhook-id once.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { signBody, signStandard } from '../src/modules/webhooks/signature.js'
import { parseCli } from './cli.js'
import { webhookSecretForTools } from './tool-env.js'

const USAGE =
  `usage: npm run sign -- [--standard [--id <webhook-id>]] '{"event":"payment.succeeded","order_id":1}'` +
  `   (or pipe the body in)`

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}

function parseOptions() {
  return parseCli(
    `
${USAGE}

Signs a webhook body as the payment provider would, with WEBHOOK_SECRET (environment or .env; else
the development secret), and prints the headers and a ready curl command for BASE_URL (default
http://127.0.0.1:8000). Instant.

  --standard      sign the Standard Webhooks way: webhook-id, webhook-timestamp (now) and
                  webhook-signature (accepted for WEBHOOK_TOLERANCE_SECONDS, 300 by default)
  --id <id>       the webhook-id to sign (with --standard; default: a fresh msg_...)

Use the id of an order that exists: ORDER=$(curl -s -X POST .../orders ... | jq .id).
`,
    { standard: { type: 'boolean', default: false }, id: { type: 'string' } },
    { positionals: true },
  )
}

try {
  const { values, positionals } = parseOptions()
  if (values.id !== undefined && !values.standard) {
    console.error(`--id goes with --standard (X-Webhook-Signature does not sign an id)\n${USAGE}`)
    process.exit(2)
  }
  const secret = webhookSecretForTools()
  const argument = positionals.join(' ')
  const body = argument !== '' ? argument : process.stdin.isTTY ? '' : readFileSync(0, 'utf8').replace(/\n$/, '')
  if (body === '') {
    console.error(USAGE)
    process.exit(2)
  }
  try {
    JSON.parse(body)
  } catch {
    console.error('warning: the body is not valid JSON; the service will answer 400 Invalid JSON payload')
  }

  let headers: [string, string][]
  if (values.standard) {
    const id = values.id ?? `msg_${randomBytes(12).toString('hex')}`
    const timestamp = Math.floor(Date.now() / 1000)
    headers = [
      ['webhook-id', id],
      ['webhook-timestamp', String(timestamp)],
      ['webhook-signature', signStandard(id, timestamp, body, secret)],
    ]
    console.error('note: valid for WEBHOOK_TOLERANCE_SECONDS (default 300 s) from now; each webhook-id counts once')
  } else {
    headers = [['X-Webhook-Signature', signBody(body, secret)]]
  }

  const baseUrl = (process.env.BASE_URL ?? 'http://127.0.0.1:8000').replace(/\/+$/, '')
  console.log(`Content-Type: application/json`)
  for (const [name, value] of headers) console.log(`${name}: ${value}`)
  console.log('')
  console.log(
    `curl -sS -X POST ${shellQuote(`${baseUrl}/webhooks/payment`)} -H 'Content-Type: application/json' ` +
      headers.map(([name, value]) => `-H ${shellQuote(`${name}: ${value}`)} `).join('') +
      `--data-raw ${shellQuote(body)}`,
  )
} catch (error) {
  console.error(error)
  process.exitCode = 1
}
