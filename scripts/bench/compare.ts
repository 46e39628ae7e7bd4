/** The table of `npm run bench -- --baseline <ref>`: this build beside the baseline, scenario by scenario. */
import { ms, table, type LoadResult } from '../load/driver.js'

export interface Comparison {
  scenario: string
  users: number
  current: LoadResult
  baseline: LoadResult
  /** rps of this build / rps of the baseline, slice by slice (empty when not run in slices). */
  sliceRatios: number[]
  note?: string
}

export const rps = (r: LoadResult) => r.overall.count / (r.durationMs / 1000)
const p99 = (r: LoadResult) => r.overall.histogram.getValueAtPercentile(99)
const thousands = (n: number) => Math.round(n).toLocaleString('en-US')
const times = (ratio: number) => (Number.isFinite(ratio) && ratio > 0 ? `×${ratio.toFixed(2)}` : '-')

export function formatComparison(rows: Comparison[], baselineName: string): string {
  const figures = table(
    [
      'scenario',
      'users',
      'rps',
      'p99 ms',
      '|',
      'baseline rps',
      'p99 ms',
      '|',
      'rps ×',
      'p99 ×',
      'rps × by slice',
      'errors',
    ],
    rows.map((row) => {
      const range = row.sliceRatios.length
        ? `${Math.min(...row.sliceRatios).toFixed(2)}–${Math.max(...row.sliceRatios).toFixed(2)}`
        : '-'
      return [
        row.scenario,
        String(row.users),
        thousands(rps(row.current)),
        ms(p99(row.current)).toFixed(2),
        '|',
        thousands(rps(row.baseline)),
        ms(p99(row.baseline)).toFixed(2),
        '|',
        times(rps(row.current) / rps(row.baseline)),
        times(p99(row.baseline) / p99(row.current)),
        range,
        `${row.current.overall.errors}/${row.baseline.overall.errors}`,
      ]
    }),
  )
  // The notes last, left-aligned.
  const notes = ['note', '----', ...rows.map((row) => row.note ?? '')]
  const body = figures
    .split('\n')
    .map((line, i) => (notes[i] ? `${line}  ${notes[i]}` : line))
    .join('\n')
  return `${body}
rps, p99 ms: this build; after the first bar, the baseline (${baselineName}), under the same load.
rps × = this rps / baseline rps; p99 × = baseline p99 / this p99: above 1 this build is better, below 1
it is worse, in both columns. rps × by slice: the lowest and highest ratio of the slices taken in turn;
when that range includes 1.00, the run cannot tell the two builds apart. errors: this build/baseline.`
}
