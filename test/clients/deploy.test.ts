import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { createOrder, createProduct } from '../helpers/builders.js'

// Deployment and operations files, checked as far as this machine allows (no Docker engine here:
// `npm run docker:dry-run`, run by .ci/run, executes the Dockerfile's steps in a clean clone).

const yaml = (path: string) => parse(readFileSync(path, 'utf8')) as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

describe('container image', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8').replace(/\\\n\s*/g, ' ')
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '))

  it('when the Dockerfile is read, then it is multi-stage and the runtime holds production dependencies only, as a non-root user, with a health check', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3)
    // Node 24 (Node 20 reached end of life): every base image, as `docker:dry-run -- --node 24` runs it.
    const images = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]).filter((image) => image!.includes(':'))
    expect(images).toEqual(['node:24-bookworm-slim', 'node:24-bookworm-slim'])
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m)
    expect(runtime).toMatch(/COPY --from=deps \/app\/node_modules/)
    expect(runtime).toMatch(/^USER node$/m)
    expect(runtime).toMatch(/^HEALTHCHECK .*\/health/m)
    expect(runtime).toMatch(/^ENV .*HOST=0\.0\.0\.0/m)
    expect(runtime).toMatch(/^ENV .*NODE_ENV=production/m)
    expect(runtime).toMatch(/^CMD \["node", "dist\/server\.js"\]$/m)
  })

  it('when the build context is sent, then secrets, data and local builds stay out', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n')
    for (const entry of ['node_modules', '.env', 'data', 'dist', '.git']) expect(ignored).toContain(entry)
  })

  it('when docker compose reads its file, then the service waits for a healthy PostgreSQL and requires a webhook secret', () => {
    const compose = yaml('docker-compose.yml')
    expect(compose.services.app.environment.DATABASE_URL).toMatch(/^postgres:\/\/.*@db:5432\//)
    expect(compose.services.app.environment.WEBHOOK_SECRET).toMatch(/^\$\{WEBHOOK_SECRET:\?/)
    expect(compose.services.app.depends_on.db.condition).toBe('service_healthy')
    expect(compose.services.db.healthcheck.test.join(' ')).toContain('pg_isready')
  })

  it('when Render reads the blueprint, then the web service checks /ready, uses the managed database and generates the secret', () => {
    const render = yaml('render.yaml')
    const web = render.services.find((s: { type: string }) => s.type === 'web')
    expect(web.healthCheckPath).toBe('/ready')
    const env = Object.fromEntries(web.envVars.map((v: { key: string }) => [v.key, v]))
    expect(env.WEBHOOK_SECRET.generateValue).toBe(true)
    expect(env.NODE_ENV.value).toBe('production')
    expect(env.DATABASE_URL.fromDatabase.name).toBe(render.databases[0].name)
  })
})

describe('monitoring', () => {
  let api: TestApp
  let exposed: string
  beforeAll(async () => {
    api = await startTestApp()
    const product = await createProduct(api, { stock: 1 })
    await createOrder(api, product.id)
    await api.request('POST', '/orders', { product_id: product.id, quantity: 5 })
    await api.request('POST', '/webhooks/payment', '{}', { 'content-type': 'application/json' })
    exposed = (await api.request('GET', '/metrics')).text
  })
  afterAll(() => api.close())

  /** True when /metrics declares the metric (a histogram's _bucket and _count belong to it). */
  const declared = (name: string) => exposed.includes(`# TYPE ${name.replace(/_(bucket|count|sum)$/, '')} `)

  /** Metric names used in PromQL expressions (labels, functions and keywords left out). */
  function metricNames(expressions: string[]): string[] {
    const names = expressions.flatMap((expr) =>
      [
        ...expr
          .replace(/\{[^}]*\}/g, '{}')
          .matchAll(/\b([a-z][a-z0-9_]*_(?:total|seconds|bucket|count|bytes|connections|requests|ready))\b/g),
      ].map((m) => m[1]!),
    )
    return [...new Set(names)].sort()
  }

  it('when the Grafana dashboard queries metrics, then the service exposes every one of them', () => {
    const dashboard = JSON.parse(readFileSync('ops/grafana/orders-inventory-dashboard.json', 'utf8')) as {
      panels: { targets: { expr: string }[] }[]
    }
    const names = metricNames(dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)))
    expect(names.length).toBeGreaterThan(8)
    for (const name of names) expect(declared(name), name).toBe(true)
  })

  it('when the alert rules query metrics, then the service exposes every one of them', () => {
    const rules = yaml('ops/prometheus/alerts.yml').groups.flatMap((g: { rules: { expr: string }[] }) => g.rules)
    const names = metricNames(rules.map((r: { expr: string }) => r.expr))
    for (const name of [
      'http_requests_total',
      'webhook_events_total',
      'orders_rejected_insufficient_stock_total',
      'service_ready',
    ]) {
      expect(names).toContain(name)
    }
    for (const name of names) expect(declared(name), name).toBe(true)
  })

  const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => existsSync(path))
  if (!promtool && process.env.CI === 'true') throw new Error("promtool not found: install Debian's prometheus package")
  it.skipIf(!promtool)(
    'when promtool runs the alert unit tests, then every alert fires when it should and only then',
    async () => {
      const { stdout } = await promisify(execFile)(promtool!, ['test', 'rules', 'ops/prometheus/alerts.test.yml'])
      expect(stdout).toContain('SUCCESS')
    },
  )
  if (!promtool) console.warn("!! promtool not found (Debian's prometheus package): skipped the alert rule unit tests.")
})
