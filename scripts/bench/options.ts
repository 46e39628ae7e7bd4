/** `npm run bench`'s options, its --help, and how long a run takes. */
import { parseCli, usageError } from '../cli.js'

export interface BenchOptions {
  baseline?: string
  durationS: number
  scale: boolean
  scaleFactor: number
  products: number
  skipBuild: boolean
  fromSource: boolean
}

/** Below this, a slice (a third of it) is mostly connection set-up: the quick check uses it. */
export const MIN_DURATION_S = 0.2
/** The service and its reference take turns this many times in each scenario. */
export const SLICES = 3

/** The `mix paced` run's length: long enough for 200 users started 100 per second (quick checks aside). */
export const pacedSeconds = (durationS: number) => (durationS < 1 ? durationS : Math.max(durationS, 5))

/**
 * Seconds a run takes, roughly, on the 2-core CI machine: [set-up (builds, seeding), load]. The
 * load is exact (each scenario's slices); the rest was measured (docs/performance.md).
 */
export function estimate(
  options: Pick<
    BenchOptions,
    'baseline' | 'durationS' | 'scale' | 'scaleFactor' | 'products' | 'skipBuild' | 'fromSource'
  >,
  postgres: boolean,
): { setupS: number; loadS: number } {
  const d = options.durationS
  // A baseline or the yardstick (PostgreSQL) has a database of its own: mix paced runs on it too,
  // and --scale seeds it too.
  const sides = options.baseline || postgres ? 2 : 1
  const paced = pacedSeconds(d)
  // Warm-up, get, list, order, order3, mix 25, mix 200, hot: each side in turn for d seconds.
  let setupS = 0
  let loadS = 2 * d + 7 * 2 * d + sides * paced
  // Large database: get, list, order, order3, mix 25, mix 200 alternated, mix paced, the four order
  // queries (alternated with a baseline, else the service alone, on the small database too).
  if (options.scale) loadS += 6 * 2 * d + sides * paced + (options.baseline ? 4 * 2 * d : 8 * d)
  // Per scenario, connections opened and checks made; mix paced spawns its users over 2 s at least.
  setupS += 0.5 * (options.scale ? 18 : 8) + sides * (options.scale ? 2 : 1) * Math.max(0, 2 - paced)
  setupS += options.fromSource ? 6 : 3 // start-up, both at once
  if (!options.fromSource && !(options.skipBuild && !options.baseline)) setupS += options.baseline ? 30 : 15
  setupS += 1 + options.products * 0.003 // products created through the API, 8 at a time, both sides at once
  if (options.scale) setupS += sides * 10 * options.scaleFactor
  return { setupS: Math.round(setupS), loadS: Math.round(loadS) }
}

/** An estimate, as precise as it is: seconds under a minute, else minutes to the half. */
export function roughly(seconds: number): string {
  if (seconds < 60) return `${Math.max(5, Math.round(seconds / 5) * 5)} s`
  const halves = Math.round(seconds / 30) / 2
  return `${halves} min`
}

const defaults = { durationS: 10, scale: false, scaleFactor: 1, products: 1000, skipBuild: false, fromSource: false }
const about = (options: Partial<BenchOptions>, postgres = false) => {
  const { setupS, loadS } = estimate({ ...defaults, ...options }, postgres)
  return `about ${roughly(setupS + loadS)}`
}

export function usage(): string {
  return `Usage: npm run bench -- [options]

Builds the service, runs it compiled on a fresh database, and drives it and a reference with the
same load, scenario by scenario: get, list, order, order3 (three lines), mix (25 and 200 users), mix paced (Locust-like
users) and hot (200 users buying 10 products of stock 100, then checked for oversell). After a
warm-up of both, the two take turns in ${SLICES} slices each per scenario, on connections kept open, so a
slow moment of the machine falls on both alike. The reference is:

  the ceiling    (default on SQLite) a bare Fastify server answering the same routes with fixed
                 bodies (scripts/bench/ceiling.ts); the table gives the share of it the service
                 reaches
  the yardstick  (default on PostgreSQL) a minimal hand-written Fastify + pg service doing the
                 same routes with the SQL such a service would run, without logging, on a fresh
                 database of its own migrated like the service's and seeded with the same
                 products (scripts/bench/yardstick-pg.ts); the table gives the share of it the
                 service reaches, and hot checks the yardstick for oversell too
  a baseline     (--baseline <git-ref>) another commit of this service; the table gives this
                 build / the baseline. Neither the ceiling nor the yardstick is run then: run
                 without --baseline for those.

Options:
  --baseline <git-ref>   Compare this tree (as it is on disk, uncommitted changes included) with
                         <git-ref>: a commit, branch, tag, HEAD~1... The ref is checked out in a
                         temporary git worktree, which is removed at the end, also on failure or
                         Ctrl-C. It uses this tree's node_modules (linked) when package-lock.json
                         is identical, else runs npm ci there (one to a few minutes, said when it
                         happens); then npm run build there. Each build gets its own fresh
                         database. Output: per scenario, this build's rps and p99, the
                         baseline's, and rps × (this / baseline) and p99 × (baseline / this):
                         above 1 is better in both columns.
  --duration <s>         Seconds of load per scenario for each side (default 10, at least
                         ${MIN_DURATION_S}), in ${SLICES} slices. mix paced runs at least 5 s once it is 1 or more.
  --scale                Then seed ${(100_000).toLocaleString('en-US')} products and ${(1_000_000).toLocaleString('en-US')} orders and run the scenarios
                         again, with four order queries (pending, deep page, deep offset, count).
  --scale-factor <f>     Multiplies those counts (default 1; the test suite uses 0.005).
  --products <n>         Products created before the small-database scenarios (default 1000).
  --skip-build           Use this tree's dist/ as it is (a baseline is still built).
  --from-source          Run the service from src/ through tsx, nothing built (the baseline too):
                         only to check quickly that the bench runs, as the test suite does.
  -h, --help             This text.

Environment:
  DATABASE_URL=postgres://user@host:5432/db
                         PostgreSQL: a fresh database on that server for each service, and
                         without --baseline for the yardstick (dropped afterwards). Unset
                         (default): SQLite, a temp file for each service.
  DATABASE_POOL_SIZE     The services' pool size, the yardstick's too (default 10).

How long, on an idle 2-core machine (a busy one takes up to twice as long; the bench prints its
own estimate when it starts, then each step with the time since):
  npm run bench                                  ${about({})}
  npm run bench -- --duration 3                  ${about({ durationS: 3 })}
  npm run bench -- --scale                       ${about({ scale: true })}
  DATABASE_URL=postgres://... npm run bench -- --duration 3
                                                 ${about({ durationS: 3 }, true)}
  npm run bench -- --baseline HEAD~1             ${about({ baseline: 'x' })} (+ npm ci if the lock file differs)
  npm run bench -- --baseline HEAD~1 --duration 3
                                                 ${about({ baseline: 'x', durationS: 3 })}

Examples:
  npm run bench -- --baseline main --duration 3  this tree against main, quickly
  npm run bench -- --baseline HEAD~1             the last commit's effect, for its commit message
  npm run bench -- --baseline v1.2.0 > bench.txt the tables alone (progress goes to stderr)
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench -- --baseline HEAD~1
  npm run bench -- --duration ${MIN_DURATION_S} --products 20 --from-source --baseline HEAD
                                                 seconds: checks that the comparison runs

Tables go to stdout, progress to stderr. Exit status: 0 done, 1 failed, 2 bad options,
130 interrupted.
`
}

function number(name: string, text: string, test: (n: number) => boolean, what: string): number {
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n) || !test(n)) usageError(usage(), `--${name} ${text}: ${what}`)
  return n
}

/** The options, or the usage and exit 2 when they are wrong (exit 0 after --help), as every script does. */
export function parseOptions(): BenchOptions {
  const { values } = parseCli(usage(), {
    baseline: { type: 'string' },
    duration: { type: 'string', default: '10' },
    scale: { type: 'boolean', default: false },
    'scale-factor': { type: 'string', default: '1' },
    products: { type: 'string', default: '1000' },
    'skip-build': { type: 'boolean', default: false },
    'from-source': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  })
  if (values.baseline !== undefined && values.baseline.trim() === '') usageError(usage(), '--baseline needs a git ref')
  return {
    baseline: values.baseline,
    durationS: number('duration', values.duration, (n) => n >= MIN_DURATION_S, `seconds, at least ${MIN_DURATION_S}`),
    scale: values.scale,
    scaleFactor: number('scale-factor', values['scale-factor'], (n) => n > 0, 'a number above 0'),
    products: number('products', values.products, (n) => Number.isInteger(n) && n >= 1, 'a whole number, 1 or more'),
    skipBuild: values['skip-build'],
    fromSource: values['from-source'],
  }
}
