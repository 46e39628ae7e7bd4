/**
 * The baseline of `npm run bench -- --baseline <git-ref>`: that commit checked out in a temporary
 * git worktree (`git worktree add --detach`), its dependencies, and its build. The worktree is
 * removed by cleanUp() at the end of the run, also on failure or Ctrl-C; one left behind by a
 * killed run (its process gone) is removed by the next run.
 */
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { withProgress } from '../cli.js'
import { BenchError, elapsed, onCleanup, run, step } from './lifecycle.js'

const PREFIX = 'orders-bench-baseline-'
// Read-only git commands must not take the index lock: others may be using this checkout.
const gitEnv = { ...process.env, GIT_OPTIONAL_LOCKS: '0' }
const git = (args: string[], cwd?: string) => run('git', args, { cwd, env: gitEnv }).then((out) => out.trim())

export interface Revision {
  commit: string
  short: string
  subject: string
}

/** The commit a ref names, or an error saying that it names none. */
export async function resolveRef(ref: string): Promise<Revision> {
  let commit: string
  try {
    commit = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])
  } catch {
    throw new BenchError(`--baseline ${ref}: not a commit of this repository (try a commit, branch, tag or HEAD~1)`)
  }
  const [short, ...subject] = (await git(['log', '-1', '--format=%h %s', commit])).split(' ')
  const line = subject.join(' ')
  return { commit, short: short!, subject: line.length > 72 ? `${line.slice(0, 71)}…` : line }
}

/** What this tree is: HEAD's short hash, and whether files differ from it. */
export async function describeThisTree(): Promise<string> {
  try {
    const head = await git(['rev-parse', '--short', 'HEAD'])
    const changed = (await git(['status', '--porcelain'])) !== ''
    return `this tree (HEAD ${head}${changed ? ' with uncommitted changes' : ''})`
  } catch {
    return 'this tree'
  }
}

async function listWorktrees(): Promise<string[]> {
  return (await git(['worktree', 'list', '--porcelain']))
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length))
}

async function removeWorktree(dir: string): Promise<void> {
  // The node_modules link goes first, as a link: nothing may ever delete through it.
  const modules = join(dir, 'node_modules')
  if (existsSync(modules) && lstatSync(modules).isSymbolicLink()) unlinkSync(modules)
  try {
    await git(['worktree', 'remove', '--force', dir])
  } catch {
    // Not (or no longer) a registered worktree, or half made: remove the folder and its record.
    rmSync(dir, { recursive: true, force: true })
    if ((await listWorktrees()).includes(dir)) await git(['worktree', 'prune'])
  }
}

/** Worktrees of earlier runs whose process is gone (killed before it could clean up). */
async function removeLeftovers(): Promise<void> {
  for (const dir of await listWorktrees().catch(() => [])) {
    const pid = Number(new RegExp(`^${PREFIX}(\\d+)-`).exec(basename(dir))?.[1])
    if (!pid || pid === process.pid) continue
    try {
      process.kill(pid, 0)
      continue // that run is still going
    } catch {
      // gone
    }
    step(`removing the worktree ${dir}, left behind by an earlier run`)
    await removeWorktree(dir)
  }
}

/**
 * Checks out `revision` in a new worktree under the temp folder and gives it dependencies: this
 * tree's node_modules, linked, when both package-lock.json files are identical, else `npm ci`.
 * Returns the worktree's folder; cleanUp() removes it.
 */
export async function checkOut(revision: Revision): Promise<string> {
  await removeLeftovers()
  // The real path: the one git lists (a temp folder may be reached through a link).
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`)))
  // Registered before git runs: an interruption half-way still removes what was made.
  onCleanup(`the worktree ${dir}`, async () => {
    step(`removing the baseline's worktree ${dir}`)
    await removeWorktree(dir)
  })
  step(`baseline: git worktree add --detach ${dir} ${revision.short}`)
  await git(['worktree', 'add', '--detach', dir, revision.commit])

  const lock = (root: string) => {
    const file = join(root, 'package-lock.json')
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined
  }
  const ours = lock(resolve('.'))
  if (ours !== undefined && ours === lock(dir) && existsSync('node_modules')) {
    symlinkSync(resolve('node_modules'), join(dir, 'node_modules'), 'dir')
    step("baseline: node_modules linked to this tree's (package-lock.json identical)")
  } else {
    const since = Date.now()
    step(
      "baseline: package-lock.json differs from this tree's: npm ci in the worktree (one to a few minutes; its output follows)",
    )
    await withProgress(
      'npm ci',
      run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, echo: '  npm ci | ' }),
      () => `installing the baseline's dependencies in ${dir}`,
      15_000,
    )
    step(`baseline: dependencies installed in ${elapsed(since)}`)
  }
  return dir
}
