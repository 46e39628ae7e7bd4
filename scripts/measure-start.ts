/**
 * `npm run start:measure`: how long `npm start` takes until the service answers, and whether it
 * had to compile first. CI runs it after `npm run build` and fails if that start compiled again.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseCli } from './cli.js'
import { freePort } from '../test/helpers/processes.js'

const { values } = parseCli(
  `
usage: npm run start:measure [-- --expect-no-build]

Starts the service as \`npm start\` does (node scripts/start.mjs), on a throwaway SQLite file and a
free port, and prints how long it took to answer /health and whether it compiled first. Takes a
second or two, or about 15 s when it has to compile.

  --expect-no-build   exit 1 if the start had to compile (CI: after npm run build)
`,
  { 'expect-no-build': { type: 'boolean', default: false } },
)

const dir = mkdtempSync(join(tmpdir(), 'orders-inventory-start-'))
const port = await freePort()
const started = performance.now()
const child = spawn(process.execPath, ['scripts/start.mjs'], {
  env: { ...process.env, PORT: String(port), DATABASE_URL: `sqlite:${join(dir, 'store.db')}`, LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'pipe', 'pipe'],
})
let output = ''
child.stdout.on('data', (chunk) => (output += chunk))
child.stderr.on('data', (chunk) => (output += chunk))
let ready = false
while (!ready && performance.now() - started < 120_000 && child.exitCode === null) {
  ready = await fetch(`http://127.0.0.1:${port}/health`).then(
    (response) => response.ok,
    () => false,
  )
  if (!ready) await new Promise((done) => setTimeout(done, 20))
}
const ms = Math.round(performance.now() - started)
child.kill('SIGTERM')
await new Promise((done) => child.once('exit', done))
rmSync(dir, { recursive: true, force: true })
const compiled = output.includes('Compiling the service')
if (!ready) {
  console.error(`npm start did not answer /health:\n${output}`)
  process.exit(1)
}
console.log(
  `npm start answered /health in ${ms} ms (${compiled ? 'compiled first' : 'no compile: the build was current'})`,
)
if (values['expect-no-build'] && compiled) {
  console.error('npm start compiled although the build was current')
  process.exit(1)
}
