/**
 * A self-contained HTML report of a load run: the table, latency (p50, p99) and throughput over
 * time, the latency distribution per task and the responses by status, drawn as inline SVG (no
 * script, no external asset).
 */
import type * as hdr from 'hdr-histogram-js'
import { ms, type LoadResult } from './driver.js'

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)

/** Cumulative counts by latency (µs), read from the HDR histogram's percentile distribution. */
function cumulative(histogram: hdr.Histogram): [number, number][] {
  return histogram
    .outputPercentileDistribution(5, 1)
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cells) => cells.length === 4 && /^[\d.]+$/.test(cells[0]!) && /^\d+$/.test(cells[2]!))
    .map((cells) => [Number(cells[0]), Number(cells[2])] as [number, number])
}

function countUpTo(points: [number, number][], micros: number): number {
  let count = 0
  for (const [value, total] of points) if (value <= micros) count = total
  return count
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22']
const svgOpen = (width: number, height: number) =>
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`
/** A latency label: 0.23, 5.8, 148. */
const short = (value: number) =>
  value >= 10 ? String(Math.round(value)) : value >= 1 ? value.toFixed(1) : value.toFixed(2)
/** Round numbers for axis ticks: 0 and about four steps, the last one at or above `max`. */
function ticks(max: number): number[] {
  const rough = max / 4
  const magnitude = 10 ** Math.floor(Math.log10(rough || 1))
  const step = [1, 2, 2.5, 5, 10].map((f) => f * magnitude).find((s) => s >= rough) ?? rough
  // The last tick is at or above max, so that nothing is drawn past the axis.
  const values = [0]
  while (values.at(-1)! < max) values.push(Number((values.length * step).toPrecision(6)))
  return values
}
const legend = (x: number, y: number, items: { label: string; color: string; kind: 'box' | 'line' }[]) =>
  items
    .map((item, i) => {
      const top = y + i * 16
      const mark =
        item.kind === 'box'
          ? `<rect x="${x}" y="${top - 9}" width="14" height="10" fill="${item.color}"/>`
          : `<line x1="${x}" y1="${top - 4}" x2="${x + 14}" y2="${top - 4}" stroke="${item.color}" stroke-width="2"/>`
      return `${mark}<text x="${x + 20}" y="${top}">${escape(item.label)}</text>`
    })
    .join('')

/**
 * Requests per second (bars, right axis) and p50/p99 latency (lines, left axis) for each second
 * of the run. Each bar spans its own second, inside the axes.
 */
function timelineSvg(result: LoadResult): string {
  const width = 960
  const height = 320
  const pad = { left: 70, right: 200, top: 20, bottom: 46 }
  const points = result.timeline
  if (points.length === 0) return '<p>No requests.</p>'
  const seconds = Math.max(...points.map((p) => p.second)) + 1
  const latencyTicks = ticks(Math.max(...points.map((p) => ms(p.p99)), 0.1))
  const rpsTicks = ticks(Math.max(...points.map((p) => p.count), 1))
  const maxMs = latencyTicks.at(-1)!
  const maxRps = rpsTicks.at(-1)!
  const plotWidth = width - pad.left - pad.right
  const bottom = height - pad.bottom
  const x = (s: number) => pad.left + (s / seconds) * plotWidth
  const y = (v: number, max: number) => bottom - (v / max) * (bottom - pad.top)
  const bars = points
    .map((p) => {
      const top = y(p.count, maxRps)
      return `<rect x="${x(p.second) + 0.5}" y="${top}" width="${Math.max(0.5, x(p.second + 1) - x(p.second) - 1)}" height="${bottom - top}" fill="#dbe4f0"><title>second ${p.second}: ${p.count} requests, p50 ${ms(p.p50).toFixed(1)} ms, p99 ${ms(p.p99).toFixed(1)} ms${p.errors ? `, ${p.errors} errors` : ''}</title></rect>`
    })
    .join('')
  const line = (key: 'p50' | 'p99', color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map((p) => `${x(p.second + 0.5)},${y(ms(p[key]), maxMs)}`).join(' ')}"/>`
  const leftAxis = latencyTicks
    .map((v) => `<text x="${pad.left - 6}" y="${y(v, maxMs) + 4}" text-anchor="end">${v}</text>`)
    .join('')
  const rightAxis = rpsTicks
    .map((v) => `<text x="${pad.left + plotWidth + 6}" y="${y(v, maxRps) + 4}">${v}</text>`)
    .join('')
  const timeTicks = ticks(seconds)
    .filter((s) => s <= seconds)
    .map((s) => `<text x="${x(s)}" y="${bottom + 14}" text-anchor="middle">${s}</text>`)
    .join('')
  return `${svgOpen(width, height)}
  ${bars}${line('p50', '#2b7a3d')}${line('p99', '#c0392b')}
  <line x1="${pad.left}" y1="${bottom}" x2="${pad.left + plotWidth}" y2="${bottom}" stroke="#333"/>
  <line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${bottom}" stroke="#333"/>
  <line x1="${pad.left + plotWidth}" y1="${pad.top}" x2="${pad.left + plotWidth}" y2="${bottom}" stroke="#333"/>
  ${leftAxis}${rightAxis}${timeTicks}
  <text transform="translate(16 ${(pad.top + bottom) / 2}) rotate(-90)" text-anchor="middle">latency (ms)</text>
  <text transform="translate(${pad.left + plotWidth + 52} ${(pad.top + bottom) / 2}) rotate(90)" text-anchor="middle">requests per second</text>
  <text x="${pad.left + plotWidth / 2}" y="${height - 8}" text-anchor="middle">seconds since the start</text>
  ${legend(pad.left + plotWidth + 72, pad.top + 10, [
    { label: 'requests per second', color: '#dbe4f0', kind: 'box' },
    { label: 'p50 latency', color: '#2b7a3d', kind: 'line' },
    { label: 'p99 latency', color: '#c0392b', kind: 'line' },
  ])}
</svg>`
}

/**
 * How many requests took how long: bars for all requests, one line per task, in log-spaced
 * latency buckets from 0.1 ms up to and including the slowest request, which is marked.
 */
function histogramSvg(result: LoadResult): string {
  const width = 960
  const height = 300
  const pad = { left: 70, right: 200, top: 20, bottom: 46 }
  const max = result.overall.histogram.maxValue
  if (result.overall.count === 0) return '<p>No requests.</p>'
  const edges: number[] = [100]
  while (edges.at(-1)! <= max) edges.push(Math.round(edges.at(-1)! * 1.5))
  const bucketsOf = (histogram: hdr.Histogram) => {
    const points = cumulative(histogram)
    // The percentile listing can stop short of the maximum: the last bucket takes what is left.
    return edges
      .slice(1)
      .map((edge, i, all) =>
        i === all.length - 1
          ? histogram.totalCount - countUpTo(points, edges[i]!)
          : countUpTo(points, edge) - countUpTo(points, edges[i]!),
      )
  }
  const counts = bucketsOf(result.overall.histogram)
  const countTicks = ticks(Math.max(...counts, 1))
  const maxCount = countTicks.at(-1)!
  const plotWidth = width - pad.left - pad.right
  const bottom = height - pad.bottom
  const barWidth = plotWidth / counts.length
  const y = (v: number) => bottom - (v / maxCount) * (bottom - pad.top)
  const bars = counts
    .map(
      (count, i) =>
        `<rect x="${pad.left + i * barWidth + 0.5}" y="${y(count)}" width="${Math.max(0.5, barWidth - 1)}" height="${bottom - y(count)}" fill="#c9d6ea"><title>${ms(edges[i]!)}–${ms(edges[i + 1]!)} ms: ${count}</title></rect>`,
    )
    .join('')
  const every = Math.max(1, Math.ceil(counts.length / 12))
  const labels = edges
    .map((edge, i) =>
      i % every === 0 || i === edges.length - 1
        ? `<text x="${pad.left + i * barWidth}" y="${bottom + 14}" text-anchor="middle">${short(ms(edge))}</text>`
        : '',
    )
    .join('')
  const tasks = result.tasks.filter((task) => task.count > 0)
  const taskLines = tasks
    .map((task, t) => {
      const taskCounts = bucketsOf(task.histogram)
      const points = taskCounts.map((c, i) => `${pad.left + (i + 0.5) * barWidth},${y(c)}`).join(' ')
      return `<polyline fill="none" stroke="${COLORS[t % COLORS.length]}" stroke-width="1.5" points="${points}"/>`
    })
    .join('')
  const maxX = pad.left + ((Math.log(max / 100) / Math.log(1.5)) * barWidth || 0)
  const marker = `<line x1="${maxX}" y1="${pad.top}" x2="${maxX}" y2="${bottom}" stroke="#c0392b" stroke-dasharray="4 3"/><text x="${maxX - 4}" y="${pad.top + 10}" text-anchor="end" fill="#c0392b">max ${ms(max).toFixed(1)} ms</text>`
  const leftAxis = countTicks
    .map((v) => `<text x="${pad.left - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`)
    .join('')
  return `${svgOpen(width, height)}
  ${bars}${taskLines}${marker}
  <line x1="${pad.left}" y1="${bottom}" x2="${pad.left + plotWidth}" y2="${bottom}" stroke="#333"/>
  <line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${bottom}" stroke="#333"/>
  ${leftAxis}${labels}
  <text transform="translate(16 ${(pad.top + bottom) / 2}) rotate(-90)" text-anchor="middle">requests</text>
  <text x="${pad.left + plotWidth / 2}" y="${height - 8}" text-anchor="middle">latency (ms, log scale)</text>
  ${legend(pad.left + plotWidth + 20, pad.top + 10, [
    { label: 'all requests', color: '#c9d6ea', kind: 'box' },
    ...tasks.map((task, t) => ({ label: task.name, color: COLORS[t % COLORS.length]!, kind: 'line' as const })),
  ])}
</svg>`
}

/** Responses by status code, per task: where the errors were. */
function statusTable(result: LoadResult): string {
  const statuses = [...new Set([...result.tasks, result.overall].flatMap((task) => Object.keys(task.statuses)))].sort()
  const cell = (text: string | number, head = false) => (head ? `<th>${text}</th>` : `<td>${text}</td>`)
  const rows = [...result.tasks, result.overall].map(
    (task) =>
      `<tr>${cell(escape(task.name))}${statuses.map((status) => cell(task.statuses[status] ?? 0)).join('')}</tr>`,
  )
  return `<table><tr>${cell('task', true)}${statuses.map((status) => cell(escape(status), true)).join('')}</tr>${rows.join('')}</table>`
}

export function htmlReport(title: string, tableText: string, result: LoadResult, notes: string[] = []): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:sans-serif;margin:2em;color:#222}pre{background:#f5f5f5;padding:1em;overflow:auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}td:first-child,th:first-child{text-align:left}</style></head>
<body>
<h1>${escape(title)}</h1>
${notes.map((note) => `<p>${escape(note)}</p>`).join('\n')}
<pre>${escape(tableText)}</pre>
<h2>Responses by status</h2>
${statusTable(result)}
<h2>Latency and throughput over time</h2>
${timelineSvg(result)}
<h2>Latency distribution, by task</h2>
${histogramSvg(result)}
</body></html>
`
}

/** The two charts alone, as SVG files (for docs/performance.md). */
export function svgCharts(result: LoadResult): { timeline: string; histogram: string } {
  return { timeline: timelineSvg(result), histogram: histogramSvg(result) }
}
