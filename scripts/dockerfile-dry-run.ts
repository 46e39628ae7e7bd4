/**
 * `npm run docker:dry-run`: checks the Dockerfile where no Docker engine runs. Each stage becomes a
 * folder standing for its /app; its COPY and RUN steps run there, from a clean clone of the
 * repository (what `docker build .` would see, minus .dockerignore). System set-up done as root
 * (apt-get, chown) is skipped: the machine has those tools. Then the runtime stage's CMD starts
 * with the image's ENV, its HEALTHCHECK must pass, the smoke test runs against it, and SIGTERM
 * must stop it cleanly.
 */
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve('.')
const work = mkdtempSync(join(tmpdir(), 'dockerfile-dry-run-'))
const context = join(work, 'context')
const step = (text: string) => console.log(`-- ${text}`)

interface Stage {
  dir: string
  env: Record<string, string>
}
const stages = new Map<string, Stage>()

function inStage(stage: Stage, path: string): string {
  return join(stage.dir, path.replace(/^\/app\/?/, '').replace(/^\.\/?/, ''))
}

function run(command: string, cwd: string, env: Record<string, string>): void {
  execFileSync('bash', ['-c', command], { cwd, env: { ...process.env, ...env }, stdio: 'inherit' })
}

try {
  step(`clean clone of ${root}`)
  execFileSync('git', ['clone', '--quiet', root, context])

  const lines = readFileSync(join(context, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))

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
          step(`RUN ${args}`)
          run(args, stage!.dir, stage!.env)
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
    PORT: port,
    DATABASE_URL: `sqlite:${join(stage!.dir, 'data', 'store.db')}`,
    WEBHOOK_SECRET: 'dry-run-secret',
  }
  if (existsSync(join(stage!.dir, 'src'))) throw new Error('the runtime image holds the TypeScript sources')
  if (existsSync(join(stage!.dir, 'node_modules', 'typescript')))
    throw new Error('dev dependencies in the runtime image')
  step(`CMD ${cmd.join(' ')} (PORT=${port})`)
  const server = spawn(cmd[0]!, cmd.slice(1), { cwd: stage!.dir, env: { ...process.env, ...env }, stdio: 'inherit' })
  const exited = new Promise<number | null>((done) => server.once('exit', (code) => done(code)))

  step(`HEALTHCHECK ${healthcheck.slice(0, 60)}...`)
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      run(healthcheck, stage!.dir, env)
      break
    } catch {
      if (Date.now() > deadline) throw new Error('the health check never passed')
      await new Promise((r) => setTimeout(r, 500))
    }
  }

  step('smoke test against the running image')
  run(`npm run -s smoke`, root, { BASE_URL: `http://127.0.0.1:${port}`, WEBHOOK_SECRET: env.WEBHOOK_SECRET })

  step('SIGTERM')
  server.kill('SIGTERM')
  const code = await exited
  if (code !== 0) throw new Error(`the service exited with ${code} on SIGTERM`)
  console.log('Dockerfile dry run passed')
} finally {
  rmSync(work, { recursive: true, force: true })
}
