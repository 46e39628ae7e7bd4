import { parseArgs, type ParseArgsConfig } from 'node:util'
import { ConfigError, type Config } from '../src/config.js'
import { explainStartupError } from '../src/startup-errors.js'

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * Command-line arguments for the scripts, the same way everywhere: `--help` (or `-h`) prints the
 * usage and exits 0; an unknown option or a bad value prints what is wrong, then the usage, and
 * exits 2 (never a stack trace).
 */
export function parseCli<O extends Options>(usage: string, options: O, { positionals = false } = {}) {
  const args = process.argv.slice(2)
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage.trim())
    process.exit(0)
  }
  try {
    return parseArgs({ args, options, allowPositionals: positionals, strict: true })
  } catch (error) {
    usageError(usage, error instanceof Error ? error.message : String(error))
  }
}

/** Says what is wrong with the command line, then how to use it; exits 2. */
export function usageError(usage: string, problem: string): never {
  console.error(`error: ${problem.replace(/\. To specify a positional argument.*$/s, '')}\n\n${usage.trim()}`)
  process.exit(2)
}

/** A line on stderr every `everyMs` while `work` runs, so a long step shows it is alive. */
export async function withProgress<T>(label: string, work: Promise<T>, status: () => string, everyMs = 5000) {
  const started = Date.now()
  const timer = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000)
    console.error(`.. ${label}: ${seconds} s, ${status()}`)
  }, everyMs)
  try {
    return await work
  } finally {
    clearInterval(timer)
  }
}

/**
 * Ends a script that failed: a configuration or start-up mistake as the one sentence the service
 * itself would print (the setting and what to do), anything else in full.
 */
export function reportFailure(error: unknown, config?: Config): void {
  const sentence =
    error instanceof ConfigError ? error.message : config ? explainStartupError(error, config) : undefined
  console.error(sentence ?? error)
  process.exitCode = 1
}
