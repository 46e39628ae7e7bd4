/* global console, process, URL */
/**
 * `npm start`: runs the compiled service, compiling it first only when a source changed since the
 * last build (dist/server.js older than anything under src/, the package files or the tsconfigs).
 * Plain JavaScript, so that starting costs no TypeScript loader: about a second when nothing changed.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const OUTPUT = 'dist/server.js'
const INPUTS = ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']

/** The newest modification time under `path` (a file or a folder). */
function newest(path) {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))))
}

const builtAt = existsSync(OUTPUT) ? statSync(OUTPUT).mtimeMs : 0
if (Math.max(...INPUTS.map(newest)) > builtAt) {
  console.error(
    `Compiling the service (${builtAt ? 'sources changed since the last build' : 'first start'}; about 15 s)...`,
  )
  const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  })
  if (build.status !== 0) process.exit(build.status ?? 1)
}
await import(new URL(`../${OUTPUT}`, import.meta.url).href)
