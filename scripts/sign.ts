/**
 * `npm run sign -- '<json>'` (or the body on stdin): signs a webhook body as the payment provider
 * would, with WEBHOOK_SECRET (or the development secret), and prints the headers and a ready curl
 * command for BASE_URL (default http://127.0.0.1:8000).
 */
import { readFileSync } from 'node:fs'
import { signBody } from '../src/modules/webhooks/signature.js'
import { webhookSecretForTools } from './tool-env.js'

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}

try {
  const secret = webhookSecretForTools()
  const argument = process.argv.slice(2).join(' ')
  const body = argument !== '' ? argument : process.stdin.isTTY ? '' : readFileSync(0, 'utf8').replace(/\n$/, '')
  if (body === '') {
    console.error(`usage: npm run sign -- '{"event":"payment.succeeded","order_id":1}'   (or pipe the body in)`)
    process.exit(2)
  }
  try {
    JSON.parse(body)
  } catch {
    console.error('warning: the body is not valid JSON; the service will answer 400 Invalid JSON payload')
  }
  const signature = signBody(body, secret)
  const baseUrl = (process.env.BASE_URL ?? 'http://127.0.0.1:8000').replace(/\/+$/, '')
  console.log(`Content-Type: application/json`)
  console.log(`X-Webhook-Signature: ${signature}`)
  console.log('')
  console.log(
    `curl -sS -X POST ${shellQuote(`${baseUrl}/webhooks/payment`)} -H 'Content-Type: application/json' ` +
      `-H ${shellQuote(`X-Webhook-Signature: ${signature}`)} --data-raw ${shellQuote(body)}`,
  )
} catch (error) {
  console.error(error)
  process.exitCode = 1
}
