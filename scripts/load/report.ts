/**
 * A self-contained HTML report of a load run: the table, latency (p50, p99) and throughput over
 * time, and the latency distribution, drawn as inline SVG (no script, no external asset).
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

function timelineSvg(result: LoadResult): string {
  const width = 900
  const height = 280
  const pad = { left: 56, right: 56, top: 16, bottom: 32 }
  const points = result.timeline
  if (points.length === 0) return '<p>No requests.</p>'
  const maxSecond = Math.max(...points.map((p) => p.second), 1)
  const maxMs = Math.max(...points.map((p) => ms(p.p99)), 1)
  const maxRps = Math.max(...points.map((p) => p.count), 1)
  const x = (s: number) => pad.left + (s / maxSecond) * (width - pad.left - pad.right)
  const y = (v: number, max: number) => height - pad.bottom - (v / max) * (height - pad.top - pad.bottom)
  const barWidth = Math.max(1, (width - pad.left - pad.right) / (maxSecond + 1) - 1)
  const bars = points
    .map(
      (p) =>
        `<rect x="${x(p.second) - barWidth / 2}" y="${y(p.count, maxRps)}" width="${barWidth}" height="${height - pad.bottom - y(p.count, maxRps)}" fill="#dbe4f0"/>`,
    )
    .join('')
  const line = (key: 'p50' | 'p99', color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map((p) => `${x(p.second)},${y(ms(p[key]), maxMs)}`).join(' ')}"/>`
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="sans-serif" font-size="11">
  ${bars}${line('p50', '#2b7a3d')}${line('p99', '#c0392b')}
  <line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#333"/>
  <text x="${pad.left - 6}" y="${pad.top + 8}" text-anchor="end">${maxMs.toFixed(1)} ms</text>
  <text x="${pad.left - 6}" y="${height - pad.bottom}" text-anchor="end">0</text>
  <text x="${width - pad.right + 6}" y="${pad.top + 8}">${maxRps} req/s</text>
  <text x="${width / 2}" y="${height - 8}" text-anchor="middle">seconds (bars: requests per second; green p50, red p99 latency)</text>
  <text x="${width - pad.right}" y="${height - pad.bottom + 14}" text-anchor="end">${maxSecond}</text>
</svg>`
}

function histogramSvg(result: LoadResult): string {
  const width = 900
  const height = 260
  const pad = { left: 56, right: 16, top: 16, bottom: 40 }
  const points = cumulative(result.overall.histogram)
  // Log-spaced buckets from 0.1 ms to the maximum latency.
  const edges: number[] = []
  for (let edge = 100; edge < result.overall.histogram.maxValue * 1.25; edge *= 1.5) edges.push(Math.round(edge))
  if (edges.length < 2) return '<p>No requests.</p>'
  const counts = edges.slice(1).map((edge, i) => countUpTo(points, edge) - countUpTo(points, edges[i]!))
  const maxCount = Math.max(...counts, 1)
  const barWidth = (width - pad.left - pad.right) / counts.length
  const bars = counts
    .map((count, i) => {
      const h = (count / maxCount) * (height - pad.top - pad.bottom)
      const label =
        i % 3 === 0
          ? `<text x="${pad.left + i * barWidth}" y="${height - pad.bottom + 14}">${ms(edges[i]!)}</text>`
          : ''
      return `<rect x="${pad.left + i * barWidth}" y="${height - pad.bottom - h}" width="${barWidth - 1}" height="${h}" fill="#5b7fb5"><title>${ms(edges[i]!)}–${ms(edges[i + 1]!)} ms: ${count}</title></rect>${label}`
    })
    .join('')
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="sans-serif" font-size="11">
  ${bars}
  <line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#333"/>
  <text x="${pad.left - 6}" y="${pad.top + 8}" text-anchor="end">${maxCount}</text>
  <text x="${width / 2}" y="${height - 6}" text-anchor="middle">latency, ms (log scale): requests per bucket</text>
</svg>`
}

export function htmlReport(title: string, tableText: string, result: LoadResult, notes: string[] = []): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:sans-serif;margin:2em;color:#222}pre{background:#f5f5f5;padding:1em;overflow:auto}</style></head>
<body>
<h1>${escape(title)}</h1>
${notes.map((note) => `<p>${escape(note)}</p>`).join('\n')}
<pre>${escape(tableText)}</pre>
<h2>Latency and throughput over time</h2>
${timelineSvg(result)}
<h2>Latency distribution</h2>
${histogramSvg(result)}
</body></html>
`
}

/** The two charts alone, as SVG files (for docs/performance.md). */
export function svgCharts(result: LoadResult): { timeline: string; histogram: string } {
  return { timeline: timelineSvg(result), histogram: histogramSvg(result) }
}
