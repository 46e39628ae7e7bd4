import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { listen } from '../helpers/http.js'
import { runScript } from '../helpers/processes.js'

// A few seconds of each performance tool, so that they cannot rot; the real runs take minutes
// (docs/performance.md).
let api: TestApp
let baseUrl: string
const reports = mkdtempSync(join(tmpdir(), 'orders-reports-'))
beforeAll(async () => {
  api = await startTestApp()
  baseUrl = (await listen(api.app)).baseUrl
})
afterAll(async () => {
  await api.close()
  rmSync(reports, { recursive: true, force: true })
})

describe('npm run load', () => {
  it('when the mix runs briefly, then it prints a row per task and writes an HTML report with both charts', async () => {
    const load = runScript(
      { BASE_URL: baseUrl },
      { script: 'scripts/load.ts', args: ['--users', '4', '--duration', '1', '--report-dir', reports] },
    )
    expect(await load.exited, load.output()).toBe(0)
    for (const task of ['list products', 'create product', 'create order', 'get order', 'get product', 'all']) {
      expect(load.output()).toMatch(new RegExp(`^${task} +\\d+ +[\\d.]+ +[\\d.]+`, 'm'))
    }
    const file = readdirSync(reports).find((name) => name.startsWith('load-mix-'))!
    const html = readFileSync(join(reports, file), 'utf8')
    expect(html.match(/<svg /g)).toHaveLength(2)
    expect(html).toContain('Latency distribution')
  })

  it('when the hot scenario runs, then it checks every product and finds nothing oversold', async () => {
    const load = runScript(
      { BASE_URL: baseUrl },
      {
        script: 'scripts/load.ts',
        args: ['--scenario', 'hot', '--users', '30', '--duration', '1', '--report-dir', reports],
      },
    )
    expect(await load.exited, load.output()).toBe(0)
    expect(
      load.output().match(/^product \d+: sold \d+ of 100, stock left \d+, held by orders \d+ -> ok$/gm),
    ).toHaveLength(10)
    expect(load.output()).toContain('no oversell: the stock invariant holds for every product')
  })
})

describe('npm run bench', () => {
  it('when it runs briefly with --scale, then it prints the service beside the ceiling, small and large', async () => {
    const bench = runScript(
      { DATABASE_URL: '' },
      {
        script: 'scripts/bench.ts',
        args: ['--from-source', '--duration', '0.2', '--products', '20', '--scale', '--scale-factor', '0.005'],
      },
    )
    expect(await bench.exited, bench.output()).toBe(0)
    const output = bench.output()
    for (const scenario of ['get', 'list', 'order', 'mix', 'hot'])
      expect(output).toMatch(new RegExp(`^${scenario} +\\d+ +\\d+ +\\d+ +\\d+%`, 'm'))
    expect(output).toContain('no oversell')
    expect(output).toMatch(/^large database \(500 products, 5000 orders\)$/m)
    for (const scenario of ['pending', 'deep page', 'count'])
      expect(output).toMatch(new RegExp(`^${scenario} +50 +\\d+`, 'm'))
    // About 17 s alone (a warm-up, then each scenario in six slices, small and large); more when
    // the rest of the suite shares the two cores.
  }, 90_000)
})
