/**
 * The load driver behind `npm run load` and `npm run bench`: virtual users, each sending one
 * request after the other (no think time) through an undici connection pool, every latency
 * recorded in HDR histograms per task, overall and per second.
 */
import * as hdr from 'hdr-histogram-js'
import { Pool } from 'undici'

export interface TaskRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: string
  body?: unknown
  headers?: Record<string, string>
}

export interface Task {
  name: string
  /** Relative frequency, as in Locust's @task(weight). */
  weight: number
  request: (user: number) => TaskRequest
  /** Statuses that count as success (default: 2xx). Anything else, and any 5xx, is an error. */
  ok?: (status: number) => boolean
  /** Sees each response, for instance to remember ids for later tasks. */
  after?: (status: number, body: string) => void
}

export interface TaskStats {
  name: string
  count: number
  errors: number
  /** Responses by status code; network failures under "connection". */
  statuses: Record<string, number>
  histogram: hdr.Histogram
}

export interface Second {
  second: number
  count: number
  errors: number
  p50: number
  p99: number
}

export interface LoadResult {
  users: number
  durationMs: number
  tasks: TaskStats[]
  overall: TaskStats
  timeline: Second[]
  /** Sampled by `sample` during the run (for instance the server's RSS), by second. */
  samples: { second: number; value: number }[]
}

export interface LoadOptions {
  baseUrl: string
  users: number
  durationMs: number
  tasks: Task[]
  /** Called every `sampleEveryMs` (default 5 s) during the run; its value goes to `samples`. */
  sample?: () => Promise<number | undefined>
  sampleEveryMs?: number
  /** Think time between a user's requests, uniformly in [min, max] ms (Locust's wait_time = between(min, max)). Default: none. */
  waitMs?: [number, number]
  /**
   * Users started per second (Locust's --spawn-rate): user i starts i / spawnRate seconds into the
   * run. Default: all at once.
   */
  spawnRate?: number
  /** An open connection pool to use (and leave open), for runs that follow one another. */
  pool?: Pool
}

const newHistogram = () =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 })

function newStats(name: string): TaskStats {
  return { name, count: 0, errors: 0, statuses: {}, histogram: newHistogram() }
}

/** Microseconds to milliseconds, two decimals. */
export const ms = (microseconds: number) => Math.round(microseconds / 10) / 100

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.baseUrl)
  const pool = options.pool ?? newPool(url.origin, options.users)
  const prefix = url.pathname.replace(/\/+$/, '')
  const stats = options.tasks.map((task) => newStats(task.name))
  const overall = newStats('all')
  const totalWeight = options.tasks.reduce((sum, task) => sum + task.weight, 0)
  const pick = () => {
    let r = Math.random() * totalWeight
    for (let i = 0; i < options.tasks.length; i++) {
      r -= options.tasks[i]!.weight
      if (r < 0) return i
    }
    return options.tasks.length - 1
  }

  const perSecond = new Map<number, { count: number; errors: number; histogram: hdr.Histogram }>()
  const samples: LoadResult['samples'] = []
  const started = performance.now()
  const deadline = started + options.durationMs

  const record = (index: number, status: number | 'connection', micros: number, isError: boolean) => {
    for (const s of [stats[index]!, overall]) {
      s.count += 1
      if (isError) s.errors += 1
      s.statuses[status] = (s.statuses[status] ?? 0) + 1
      s.histogram.recordValue(Math.max(1, Math.round(micros)))
    }
    const second = Math.floor((performance.now() - started) / 1000)
    let bucket = perSecond.get(second)
    if (!bucket) perSecond.set(second, (bucket = { count: 0, errors: 0, histogram: newHistogram() }))
    bucket.count += 1
    if (isError) bucket.errors += 1
    bucket.histogram.recordValue(Math.max(1, Math.round(micros)))
  }

  const user = async (id: number) => {
    if (options.spawnRate) await new Promise((r) => setTimeout(r, (1000 * id) / options.spawnRate!))
    while (performance.now() < deadline) {
      const index = pick()
      const task = options.tasks[index]!
      const request = task.request(id)
      const body = request.body === undefined ? undefined : JSON.stringify(request.body)
      const begin = performance.now()
      try {
        const response = await pool.request({
          method: request.method,
          path: prefix + request.path,
          headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...request.headers },
          body,
        })
        const text = await response.body.text()
        const micros = (performance.now() - begin) * 1000
        const ok = response.statusCode < 500 && (task.ok ? task.ok(response.statusCode) : response.statusCode < 300)
        record(index, response.statusCode, micros, !ok)
        task.after?.(response.statusCode, text)
        if (options.waitMs) {
          const [min, max] = options.waitMs
          await new Promise((r) => setTimeout(r, min + Math.random() * (max - min)))
        }
      } catch {
        record(index, 'connection', (performance.now() - begin) * 1000, true)
        await new Promise((r) => setTimeout(r, 50))
      }
    }
  }

  let sampling: NodeJS.Timeout | undefined
  if (options.sample) {
    const take = async () => {
      const value = await options.sample!().catch(() => undefined)
      if (value !== undefined) samples.push({ second: Math.round((performance.now() - started) / 1000), value })
    }
    await take()
    sampling = setInterval(() => void take(), options.sampleEveryMs ?? 5000)
  }
  await Promise.all(Array.from({ length: options.users }, (_, i) => user(i)))
  const durationMs = performance.now() - started
  if (sampling) clearInterval(sampling)
  if (!options.pool) await pool.close()

  const timeline = [...perSecond.entries()]
    .sort(([a], [b]) => a - b)
    .map(([second, b]) => ({
      second,
      count: b.count,
      errors: b.errors,
      p50: b.histogram.getValueAtPercentile(50),
      p99: b.histogram.getValueAtPercentile(99),
    }))
  return { users: options.users, durationMs, tasks: stats, overall, timeline, samples }
}

/** The driver's connection pool: one connection per user, no pipelining. */
export function newPool(origin: string, users: number): Pool {
  return new Pool(origin, { connections: users, pipelining: 1, keepAliveTimeout: 30_000 })
}

/** Runs one after the other, as one: counts and histograms added up, durations summed. */
export function mergeResults(results: LoadResult[]): LoadResult {
  const merge = (all: TaskStats[]): TaskStats => {
    const merged = newStats(all[0]!.name)
    for (const stats of all) {
      merged.count += stats.count
      merged.errors += stats.errors
      for (const [status, n] of Object.entries(stats.statuses))
        merged.statuses[status] = (merged.statuses[status] ?? 0) + n
      merged.histogram.add(stats.histogram)
    }
    return merged
  }
  return {
    users: results[0]!.users,
    durationMs: results.reduce((sum, r) => sum + r.durationMs, 0),
    tasks: results[0]!.tasks.map((_, i) => merge(results.map((r) => r.tasks[i]!))),
    overall: merge(results.map((r) => r.overall)),
    timeline: [],
    samples: [],
  }
}

/** One line per task and one for all: requests/s, percentiles in ms, error rate. */
export function formatTable(result: LoadResult): string {
  const seconds = result.durationMs / 1000
  const rows = [...result.tasks, result.overall].map((s) => [
    s.name,
    String(s.count),
    (s.count / seconds).toFixed(1),
    ms(s.histogram.getValueAtPercentile(50)).toFixed(2),
    ms(s.histogram.getValueAtPercentile(95)).toFixed(2),
    ms(s.histogram.getValueAtPercentile(99)).toFixed(2),
    ms(s.histogram.maxValue).toFixed(2),
    s.count ? `${((100 * s.errors) / s.count).toFixed(2)}%` : '-',
  ])
  return table(['task', 'requests', 'rps', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors'], rows)
}

export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}
