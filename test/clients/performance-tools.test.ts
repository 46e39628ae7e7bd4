import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { TEST_DATABASE_URL } from '../helpers/database.js'
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

  it('when the hot scenario runs, then it checks every product and finds nothing oversold, and every event was delivered by webhook', async () => {
    const summary = join(reports, 'hot.json')
    const load = runScript(
      { BASE_URL: baseUrl },
      {
        script: 'scripts/load.ts',
        args: ['--scenario', 'hot', '--users', '30', '--duration', '1', '--report-dir', reports, '--json', summary],
      },
    )
    expect(await load.exited, load.output()).toBe(0)
    expect(
      load.output().match(/^product \d+: sold \d+ of 100, stock left \d+, held by orders \d+ -> ok$/gm),
    ).toHaveLength(10)
    expect(load.output()).toContain('no oversell: the stock invariant holds for every product')
    expect(load.output()).toMatch(/^ledger: \d+ products checked, 0 do not balance$/m)
    // On by default for hot: a receiver in the load tool, an endpoint for every type, each event once.
    const line =
      /^webhooks: delivered (\d+) \/ produced (\d+) events \(duplicates (\d+), bad signatures (\d+)\)$/m.exec(
        load.output(),
      )
    expect(line, load.output()).not.toBeNull()
    const [, delivered, produced, , bad] = line!.map(Number)
    // At least the 10 products and an order placed per product sold.
    const sold = [...load.output().matchAll(/^product \d+: sold (\d+) of 100/gm)].reduce(
      (sum, [, n]) => sum + Number(n),
      0,
    )
    expect(produced).toBeGreaterThanOrEqual(10 + sold)
    expect(delivered).toBe(produced)
    expect(bad).toBe(0)
    const json = JSON.parse(readFileSync(summary, 'utf8'))
    expect(json).toMatchObject({
      scenario: 'hot',
      passed: true,
      webhooks: { delivered, produced, bad_signatures: 0, passed: true },
    })
    expect(json.requests).toBeGreaterThan(0)
    // The endpoint it made is gone.
    expect((await api.request('GET', '/webhook-endpoints')).body).toEqual([])
  })

  it('when events stop being delivered during the run, then the webhook check reports the shortfall and the run fails', async () => {
    const load = runScript(
      { BASE_URL: baseUrl },
      {
        script: 'scripts/load.ts',
        args: ['--users', '2', '--duration', '1', '--webhook-receiver', '--webhook-wait', '1', '--report-dir', reports],
      },
    )
    // As soon as the endpoint exists, it is disabled: nothing written after reaches the receiver.
    const deadline = Date.now() + 30_000
    let endpoint: string | undefined
    while (!(endpoint = /\(endpoint (\d+), every event type\)/.exec(load.output())?.[1]) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20))
    expect(endpoint, load.output()).toBeDefined()
    expect((await api.request('PATCH', `/webhook-endpoints/${endpoint}`, { enabled: false })).status).toBe(200)
    expect(await load.exited, load.output()).toBe(1)
    const line = /^webhooks: delivered (\d+) \/ produced (\d+) events/m.exec(load.output())
    expect(Number(line![1])).toBeLessThan(Number(line![2]))
    expect(load.output()).toMatch(/^FAILED: \d+ events not delivered within 1 s$/m)
    expect(load.output()).toContain('the endpoint was disabled')
    expect((await api.request('GET', '/webhook-endpoints')).body).toEqual([])
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
    for (const scenario of ['get', 'list', 'order', 'order3', 'mix', 'hot'])
      expect(output).toMatch(new RegExp(`^${scenario} +\\d+ +\\d+ +\\d+ +\\d+%`, 'm'))
    expect(output).toContain('no oversell')
    expect(output).toMatch(/^large database \(500 products, 5000 orders\)$/m)
    // The whole ledger reconciled once on the large database, and balanced.
    expect(output).toMatch(/^reconciliation: \d+ products against \d+\+ movements in \d+ ms, books balance$/m)
    for (const scenario of ['pending', 'deep page', 'count'])
      expect(output).toMatch(new RegExp(`^${scenario} +50 +\\d+`, 'm'))
    // About 17 s alone (a warm-up, then each scenario in six slices, small and large); more when
    // the rest of the suite shares the two cores.
  }, 90_000)
})

describe('npm run bench on PostgreSQL', () => {
  it('when it runs briefly, then it prints every scenario against the yardstick with positive ratios, no errors and no oversell on either', async () => {
    const bench = runScript(
      { DATABASE_URL: TEST_DATABASE_URL },
      { script: 'scripts/bench.ts', args: ['--from-source', '--duration', '0.2', '--products', '20'] },
    )
    expect(await bench.exited, bench.output()).toBe(0)
    const output = bench.output()
    expect(output).toMatch(
      /^scenario +users +service rps +yardstick rps +ratio .* yardstick p99 +errors +yardstick errors/m,
    )
    // scenario, users, service rps, yardstick rps, ratio, p50, p99, yardstick p99, errors, yardstick errors
    const rows = [
      ...output.matchAll(/^(\w+(?: paced)?) +(\d+) +(\d+) +(\d+) +(\d+)% +[\d.]+ +[\d.]+ +[\d.]+ +(\d+) +(\d+)/gm),
    ]
    expect(rows.map(([, scenario, users]) => `${scenario} ${users}`)).toEqual([
      'get 50',
      'list 50',
      'order 50',
      'order3 50',
      'mix 25',
      'mix 200',
      'mix paced 200',
      'hot 200',
    ])
    for (const [row, , , serviceRps, yardstickRps, ratio, errors, yardstickErrors] of rows) {
      for (const value of [serviceRps, yardstickRps, ratio]) expect(Number(value), row).toBeGreaterThan(0)
      expect([errors, yardstickErrors], row).toEqual(['0', '0'])
    }
    expect(output).toMatch(
      /no oversell: \d+\/1000 sold; 5xx\+conn errors 0, books balance; yardstick no oversell: \d+\/1000 sold; 5xx\+conn errors 0/,
    )
    expect(output).not.toContain('raw pg')
    // About 40 s alone: two fresh databases, the service through tsx, then 16 slices and mix paced.
  }, 120_000)
})

describe('npm run bench -- --baseline', () => {
  // Both sides at HEAD, from source, as short as the bench allows: the shape of the comparison
  // and the worktree's removal are checked, never a speed (the two sides are the same code, yet
  // 0.2 s of load on two shared cores gives ratios anywhere between about 0.5 and 2).
  const quick = ['--from-source', '--duration', '0.2', '--products', '20']
  const worktreeOf = (output: string) => /git worktree add --detach (\S+) /.exec(output)?.[1]
  const worktrees = () => execFileSync('git', ['worktree', 'list', '--porcelain'], { encoding: 'utf8' })

  it('when it compares with HEAD, then it prints both builds per scenario with positive ratios, and removes the worktree', async () => {
    const bench = runScript(
      { DATABASE_URL: '' },
      { script: 'scripts/bench.ts', args: ['--baseline', 'HEAD', ...quick] },
    )
    expect(await bench.exited, bench.output()).toBe(0)
    const output = bench.output()
    expect(output).toContain("node_modules linked to this tree's (package-lock.json identical)")
    // scenario, users, rps, p99 ms | baseline rps, p99 ms | rps ×, p99 ×, rps × by slice, errors
    const rows = [
      ...output.matchAll(
        /^(\w+(?: paced)?) +(\d+) +[\d,]+ +[\d.]+ +\| +[\d,]+ +[\d.]+ +\| +(\S+) +(\S+) +(\S+) +\d+\/\d+/gm,
      ),
    ]
    expect(rows.map(([, scenario, users]) => `${scenario} ${users}`)).toEqual([
      'get 50',
      'list 50',
      'order 50',
      'order3 50',
      'mix 25',
      'mix 200',
      'mix paced 200',
      'hot 200',
    ])
    for (const [row, , , rpsRatio, p99Ratio, bySlice] of rows) {
      for (const ratio of [rpsRatio!, p99Ratio!]) {
        expect(ratio, row).toMatch(/^×\d+\.\d\d$/)
        expect(Number(ratio.slice(1)), row).toBeGreaterThan(0)
      }
      // mix paced is one run each, not slices
      if (!row.startsWith('mix paced')) expect(bySlice, row).toMatch(/^\d+\.\d\d–\d+\.\d\d$/)
    }
    expect(output).toMatch(
      /no oversell \d+\/1000, 5xx\+conn 0(, books balance)?; baseline no oversell \d+\/1000, 5xx\+conn 0/,
    )
    expect(output).toContain('rps × = this rps / baseline rps; p99 × = baseline p99 / this p99')
    const worktree = worktreeOf(output)!
    expect(worktree).toMatch(/orders-bench-baseline-/)
    expect(existsSync(worktree)).toBe(false)
    expect(worktrees()).not.toContain(worktree)
    // About 15 s alone: two services started through tsx, then 16 slices of 0.07 s each.
  }, 90_000)

  it('when it is interrupted (Ctrl-C), then it stops both builds and removes the worktree', async () => {
    const bench = runScript(
      { DATABASE_URL: '' },
      { script: 'scripts/bench.ts', args: ['--baseline', 'HEAD', ...quick, '--duration', '30'] },
    )
    const deadline = Date.now() + 60_000
    while (!bench.output().includes('warm-up') && bench.child.exitCode === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100))
    bench.child.kill('SIGINT')
    expect(await bench.exited, bench.output()).toBe(130)
    const worktree = worktreeOf(bench.output())!
    expect(existsSync(worktree)).toBe(false)
    expect(worktrees()).not.toContain(worktree)
    const url = /baseline HEAD = \w+ at (http:\S+);/.exec(bench.output())![1]!
    await expect(fetch(`${url}/health`)).rejects.toThrow()
  }, 90_000)

  it('when asked for --help, then it explains every option; an unknown option prints the same and exits 2', async () => {
    const help = runScript({}, { script: 'scripts/bench.ts', args: ['--help'] })
    expect(await help.exited, help.output()).toBe(0)
    for (const option of ['--baseline <git-ref>', '--duration', '--scale', '--scale-factor', '--products'])
      expect(help.output()).toContain(option)
    for (const option of ['--skip-build', '--from-source', '--help', 'DATABASE_URL', 'How long', 'Examples:'])
      expect(help.output()).toContain(option)
    const wrong = runScript({}, { script: 'scripts/bench.ts', args: ['--baseline', 'HEAD', '--bogus'] })
    expect(await wrong.exited, wrong.output()).toBe(2)
    expect(wrong.output()).toContain("Unknown option '--bogus'")
    expect(wrong.output()).toContain('Usage: npm run bench -- [options]')
  })
})
