import { DEV_WEBHOOK_SECRET, loadDotEnv } from '../src/config.js'

/**
 * The secret the client tools (smoke, sign) sign webhooks with, found as the service finds its
 * own: WEBHOOK_SECRET from the environment or ./.env, the first one when several are listed, else
 * the development secret (said on stderr).
 */
export function webhookSecretForTools(): string {
  loadDotEnv()
  const first = process.env.WEBHOOK_SECRET?.split(',')[0]?.trim()
  if (first) return first
  console.error('note: WEBHOOK_SECRET is not set; signing with the development secret')
  return DEV_WEBHOOK_SECRET
}
