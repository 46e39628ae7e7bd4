/* global console, process, URL */
/**
 * `npm start`: runs the compiled service, compiling it first only when a source changed since the
 * last build (dist/server.js older than anything under src/, the package files or the tsconfigs),
 * and building the admin console when admin/ changed since dist/admin/index.html was built (or it
 * is missing). Plain JavaScript, so that starting costs no TypeScript loader: about a second when
 * nothing changed.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const OUTPUT = 'dist/server.js'
const INPUTS = ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']
const CONSOLE_OUTPUT = 'dist/admin/index.html'
const CONSOLE_INPUTS = ['admin', 'package-lock.json']

/** The newest modification time under `path` (a file or a folder). */
function newest(path) {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))))
}

const builtAt = (output) => (existsSync(output) ? statSync(output).mtimeMs : 0)

function run(args) {
  const build = spawnSync(process.execPath, args, { stdio: 'inherit' })
  if (build.status !== 0) process.exit(build.status ?? 1)
}

const serviceBuiltAt = builtAt(OUTPUT)
if (Math.max(...INPUTS.map(newest)) > serviceBuiltAt) {
  console.error(
    `Compiling the service (${serviceBuiltAt ? 'sources changed since the last build' : 'first start'}; about 15 s)...`,
  )
  run(['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'])
}

const VITE = 'node_modules/vite/bin/vite.js'
const consoleBuiltAt = builtAt(CONSOLE_OUTPUT)
if (existsSync('admin/index.html') && Math.max(...CONSOLE_INPUTS.map(newest)) > consoleBuiltAt) {
  if (existsSync(VITE)) {
    console.error(
      `Building the admin console (${consoleBuiltAt ? 'admin/ changed since the last build' : 'not built yet'}; a few seconds)...`,
    )
    run([VITE, 'build', 'admin', '--logLevel', 'warn'])
  } else {
    // Installed without the dev dependencies: the service runs, /admin says how to build the console.
    console.error('The admin console is not built and Vite is not installed (npm ci, then npm run build).')
  }
}
await import(new URL(`../${OUTPUT}`, import.meta.url).href)
