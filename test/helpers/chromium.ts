import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

// Debian's chromium package; `.ci/run` installs it. Playwright never downloads a browser here.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Whether Chromium is there for `what` (a few words: "the browser tests of /admin"). Without it,
 * CI fails at once (the browser tests are required there) and a local run warns and skips them.
 */
export function chromiumAvailable(what: string): boolean {
  if (existsSync(CHROMIUM)) return true
  const message = `Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium)`
  if (process.env.CI === 'true') throw new Error(`${message}; the browser tests are required in CI.`)
  console.warn(`!! ${message} or set CHROMIUM_PATH; skipped ${what}.`)
  return false
}

/** Headless Chromium, with nothing that reaches outside the machine. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}
