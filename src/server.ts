import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig, loadDotEnv, redactUrl, type Config } from './config.js'
import { explainStartupError } from './startup-errors.js'

async function main(): Promise<void> {
  let config: Config
  try {
    loadDotEnv()
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message)
    throw error
  }

  try {
    const app = await buildApp(config)

    closeWithGrace({ delay: config.shutdownTimeoutMs, logger: app.log }, async ({ signal, err }) => {
      if (err) app.log.error({ err }, 'closing after an unexpected error')
      else app.log.info({ signal }, 'closing')
      await app.close()
    })

    const database = redactUrl(config.database.url)
    await app.listen({
      host: config.host,
      port: config.port,
      // One readable line per address: where the service answers, its docs and its database.
      listenTextResolver: (address) =>
        `Orders & Inventory service at ${address} (docs: ${address}/docs), database ${database}`,
    })
  } catch (error) {
    const sentence = explainStartupError(error, config)
    if (sentence) fail(`Cannot start: ${sentence}`)
    throw error
  }
}

/** Mistakes a person can fix end in one message, never a stack trace. */
function fail(message: string): never {
  console.error(message)
  process.exit(1)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
