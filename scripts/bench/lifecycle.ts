/**
 * What `npm run bench` starts and must undo: child processes (services, builds, git, npm ci) and
 * clean-ups (temp databases, the baseline's worktree). Everything is undone once, in reverse
 * order, whether the run ends, fails or is interrupted (Ctrl-C, SIGTERM, SIGHUP).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'

const started = Date.now()
const children = new Set<ChildProcess>()
const cleanups: { name: string; run: () => Promise<void> | void }[] = []
let cleaning: Promise<void> | undefined

/** A failure the person running the bench can act on: its message is enough, no stack trace. */
export class BenchError extends Error {}

/** m:ss since the bench started. */
export function elapsed(since = started): string {
  const seconds = Math.round((Date.now() - since) / 1000)
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`
}

/** A progress line, on stderr (stdout carries the tables, to be kept or pasted). */
export function step(text: string): void {
  console.error(`[${elapsed()}] ${text}`)
}

export function onCleanup(name: string, run: () => Promise<void> | void): void {
  cleanups.push({ name, run })
}

/** Spawns a child that cleanUp() stops (SIGTERM) and waits for. */
export function spawnTracked(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, options)
  children.add(child)
  child.once('exit', () => children.delete(child))
  child.once('error', () => children.delete(child))
  return child
}

/**
 * Runs a command to its end and resolves with its output (stdout and stderr together); rejects
 * with that output when it fails. `echo` streams each line to stderr behind that prefix.
 */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; echo?: string } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    let partial = ''
    const take = (chunk: Buffer) => {
      const text = chunk.toString()
      output += text
      if (options.echo === undefined) return
      const lines = (partial + text).split('\n')
      partial = lines.pop()!
      for (const line of lines) if (line.trim()) console.error(`${options.echo}${line}`)
    }
    child.stdout!.on('data', take)
    child.stderr!.on('data', take)
    child.once('error', (error) => reject(new BenchError(`${command}: ${error.message}`)))
    child.once('close', (code, signal) => {
      if (options.echo !== undefined && partial.trim()) console.error(`${options.echo}${partial}`)
      if (code === 0) resolve(output)
      else {
        const how = signal ? `was stopped by ${signal}` : `failed (exit ${code})`
        reject(
          new BenchError(
            `${[command, ...args].join(' ')}${options.cwd ? ` (in ${options.cwd})` : ''} ${how}${output.trim() ? `:\n${output.trim()}` : ''}`,
          ),
        )
      }
    })
  })
}

const exited = (child: ChildProcess, ms: number) =>
  new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done()
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      done()
    }, ms)
    child.once('exit', () => {
      clearTimeout(timer)
      done()
    })
  })

/** Stops every child, then runs the clean-ups, newest first; once, however often it is called. */
export function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    const running = [...children]
    running.forEach((child) => child.kill('SIGTERM'))
    await Promise.all(running.map((child) => exited(child, 10_000)))
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup.run()
      } catch (error) {
        console.error(`clean-up of ${cleanup.name} failed: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
  })()
  return cleaning
}

/**
 * Ctrl-C, SIGTERM and SIGHUP clean up, then exit (130, 143, 129). A second signal during the
 * clean-up exits at once: a baseline worktree left behind is removed by the next run.
 */
export function cleanUpOnSignals(): void {
  const codes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const
  for (const [signal, code] of Object.entries(codes)) {
    process.on(signal, () => {
      if (cleaning) {
        console.error(`\n${signal} again: exiting without finishing the clean-up`)
        process.exit(code)
      }
      console.error(`\n${signal}: stopping and cleaning up (press Ctrl-C again to exit at once)`)
      void cleanUp().then(() => process.exit(code))
    })
  }
}
