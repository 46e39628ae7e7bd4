/**
 * X-Total-Count without counting a large table on every page. A count over more than LARGE_COUNT rows
 * that took longer than SLOW_MS is kept for FRESH_MS and served from memory meanwhile (per
 * instance, per filter): on a table of a million orders the header may be up to a second old.
 * Small counts (tables of thousands of rows, filters on one product) stay exact on every request.
 */
const SLOW_MS = 2
/** Counts above this many rows may be served from memory, up to FRESH_MS old. */
export const LARGE_COUNT = 10_000
const FRESH_MS = 1000

const cache = new WeakMap<object, Map<string, { total: number; at: number }>>()

export async function countWithCache(scope: object, key: string, count: () => Promise<number>): Promise<number> {
  let entries = cache.get(scope)
  if (!entries) cache.set(scope, (entries = new Map()))
  const kept = entries.get(key)
  if (kept && performance.now() - kept.at < FRESH_MS) return kept.total
  const started = performance.now()
  const total = await count()
  if (total > LARGE_COUNT && performance.now() - started > SLOW_MS) entries.set(key, { total, at: performance.now() })
  else entries.delete(key)
  return total
}

/** The count countWithCache keeps in memory for `key`, if it is still fresh; never a query. */
export function freshCount(scope: object, key: string): number | undefined {
  const kept = cache.get(scope)?.get(key)
  return kept && performance.now() - kept.at < FRESH_MS ? kept.total : undefined
}
