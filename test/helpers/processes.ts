import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const SERVER = resolve('src/server.ts')
// tsx is resolved here because a child may run in a temp folder without node_modules.
const TSX = pathToFileURL(resolve('node_modules/tsx/dist/loader.mjs')).href

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => done(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

export interface RunningProcess {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

/** Runs a TypeScript entry point (by default the server, as `npm start` would) as its own process. */
export function runScript(
  env: Record<string, string>,
  { cwd = process.cwd(), script = SERVER, args = [] }: { cwd?: string; script?: string; args?: string[] } = {},
): RunningProcess {
  let output = ''
  const child = spawn(process.execPath, ['--import', TSX, resolve(script), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (chunk) => (output += chunk))
  child.stderr?.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  return { child, output: () => output, exited }
}

/** Waits until `path` answers 200 (default /health); fails after 45 s (starting under tsx on a busy machine is slow). */
export async function waitFor(baseUrl: string, path = '/health'): Promise<void> {
  const deadline = Date.now() + 45_000
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${baseUrl}${path}`)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${baseUrl}${path} did not answer 200`)
}

/** Starts `count` server processes on one database and waits until each is ready. */
export async function startInstances(count: number, databaseUrl: string, env: Record<string, string> = {}) {
  const ports = await Promise.all(Array.from({ length: count }, freePort))
  const processes = ports.map((port) => runScript({ PORT: String(port), DATABASE_URL: databaseUrl, ...env }))
  const urls = ports.map((port) => `http://127.0.0.1:${port}`)
  const stop = async () => {
    processes.forEach(({ child }) => child.kill('SIGTERM'))
    await Promise.all(processes.map(({ exited }) => exited))
  }
  try {
    await Promise.all(urls.map((url) => waitFor(url, '/ready')))
  } catch (error) {
    await stop()
    throw new Error(`${String(error)}\n${processes.map((p) => p.output()).join('\n')}`)
  }
  return { urls, processes, stop }
}
