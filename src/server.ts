import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig, loadDotEnv } from './config.js'

async function main(): Promise<void> {
  let config
  try {
    loadDotEnv()
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message)
      process.exit(1)
    }
    throw error
  }

  const app = await buildApp(config)

  closeWithGrace({ delay: config.shutdownTimeoutMs, logger: app.log }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after an unexpected error')
    else app.log.info({ signal }, 'closing')
    await app.close()
  })

  await app.listen({ host: config.host, port: config.port })
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
