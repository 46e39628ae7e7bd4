import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { CommitStats } from '../db/group-commit.js'
import type { OrderStatus } from '../db/types.js'
import { DomainError, RequestValidationError, type DomainErrorCode } from '../shared/errors.js'

export type WebhookResult =
  | 'processed'
  | 'duplicate'
  | 'ignored'
  | 'bad_signature'
  | 'missing_signature'
  | 'invalid'
  | 'order_not_found'
  | 'order_canceled'
  | 'amount_mismatch'
  | 'event_id_conflict'
  | 'timestamp_out_of_tolerance'
  | 'currency_mismatch'
  | 'error'

export interface ServiceMetrics {
  registry: Registry
  orderPlaced(): void
  /** An order actually changed status (an idempotent repeat does not count). */
  orderMovedTo(status: OrderStatus): void
  webhook(result: WebhookResult): void
  /** Products whose stock is not the sum of their movements, as the last reconciliation found. */
  ledgerMismatches(count: number): void
  /** One sweep of expired orders: how many it canceled and how long it took. */
  expirySweep(expired: number, seconds: number): void
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics
  }
}

// Webhook failures, by the domain error that ended the delivery.
const webhookFailures: Partial<Record<DomainErrorCode, WebhookResult>> = {
  MISSING_SIGNATURE: 'missing_signature',
  INVALID_SIGNATURE: 'bad_signature',
  INVALID_PAYLOAD: 'invalid',
  ORDER_NOT_FOUND: 'order_not_found',
  ORDER_CANCELED: 'order_canceled',
  PAYMENT_AMOUNT_MISMATCH: 'amount_mismatch',
  EVENT_ID_CONFLICT: 'event_id_conflict',
  WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE: 'timestamp_out_of_tolerance',
  CURRENCY_MISMATCH: 'currency_mismatch',
}

/**
 * Prometheus metrics on the app's own registry: requests by route template, what happens to
 * orders and webhooks, the database pool, and the process defaults (CPU, memory, event-loop lag).
 */
async function metricsPlugin(app: FastifyInstance) {
  const registry = new Registry()
  const registers = [registry]
  collectDefaultMetrics({ register: registry })

  const labelNames = ['method', 'route', 'status_code'] as const
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route template and status code',
    labelNames,
    registers,
  })
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status code',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  })
  const ordersCreated = new Counter({ name: 'orders_created_total', help: 'Orders placed', registers })
  const ordersCanceled = new Counter({ name: 'orders_canceled_total', help: 'Orders canceled', registers })
  const ordersPaid = new Counter({ name: 'orders_paid_total', help: 'Orders marked PAID', registers })
  const ordersShipped = new Counter({ name: 'orders_shipped_total', help: 'Orders marked SHIPPED', registers })
  const insufficientStock = new Counter({
    name: 'orders_rejected_insufficient_stock_total',
    help: 'Orders refused with 409 because the stock was too low',
    registers,
  })
  const webhookEvents = new Counter({
    name: 'webhook_events_total',
    help: 'Payment webhook deliveries by result',
    labelNames: ['result'] as const,
    registers,
  })
  new Gauge({
    name: 'db_pool_connections',
    help: 'PostgreSQL pool connections by state (in_use, idle)',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const stats = app.databasePoolStats()
      if (!stats) return
      this.set({ state: 'in_use' }, stats.total - stats.idle)
      this.set({ state: 'idle' }, stats.idle)
    },
  })
  new Gauge({
    name: 'db_pool_waiting_requests',
    help: 'Queries waiting for a free PostgreSQL pool connection',
    registers,
    collect() {
      const stats = app.databasePoolStats()
      if (stats) this.set(stats.waiting)
    },
  })

  // SQLite's group commit: each commit is one fsync; committed writes / commits is the batching.
  const commitCounter = (name: string, help: string, value: (stats: CommitStats) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        const stats = app.databaseCommitStats()
        if (!stats) return
        this.reset()
        this.inc(value(stats))
      },
    })
  commitCounter(
    'sqlite_commits_total',
    'SQLite commits (each waits for one fsync); not exported on PostgreSQL',
    (stats) => stats.commits,
  )
  commitCounter(
    'sqlite_committed_writes_total',
    'Writes (transactions or single writing statements) made durable by those commits',
    (stats) => stats.writes,
  )
  commitCounter(
    'sqlite_write_lock_waits_total',
    "Writes that found SQLite's write lock held by another process and waited for it (without blocking)",
    (stats) => stats.lockWaits,
  )
  commitCounter(
    'sqlite_write_lock_timeouts_total',
    'Writes refused with 503 because the lock stayed held past DATABASE_CONNECT_TIMEOUT_MS',
    (stats) => stats.lockTimeouts,
  )

  // The catalogue cache (docs/catalogue-cache.md): lookups answered from memory or not, by kind.
  const catalogueLookups = (name: string, help: string, count: (kind: 'product' | 'page') => number) =>
    new Counter({
      name,
      help,
      labelNames: ['kind'] as const,
      registers,
      collect() {
        this.reset()
        for (const kind of ['product', 'page'] as const) this.inc({ kind }, count(kind))
      },
    })
  const { stats } = app.catalogueCache
  catalogueLookups(
    'catalogue_cache_hits_total',
    'GET /products/{id} and plain GET /products pages answered from the catalogue cache',
    (kind) => (kind === 'product' ? stats.productHits : stats.pageHits),
  )
  catalogueLookups(
    'catalogue_cache_misses_total',
    'The same lookups read from the database (not kept, dropped by a write, or the cache not serving)',
    (kind) => (kind === 'product' ? stats.productMisses : stats.pageMisses),
  )
  new Gauge({
    name: 'catalogue_cache_serving',
    help: '1 while the catalogue cache serves; on PostgreSQL 0 while its listener is down (reads go to the database)',
    registers,
    collect() {
      this.set(app.catalogueCache.serving ? 1 : 0)
    },
  })

  new Gauge({
    name: 'service_ready',
    help: '1 when the service is ready (database answers, not shutting down), else 0; read at each scrape',
    registers,
    async collect() {
      this.set(!app.shuttingDown && (await app.isDatabaseReady()) ? 1 : 0)
    },
  })

  const ledgerMismatches = new Gauge({
    name: 'inventory_ledger_mismatches',
    help: 'Products whose stock differs from the sum of their ledger movements, at the last reconciliation (must be 0)',
    registers,
  })
  const ordersExpired = new Counter({
    name: 'orders_expired_total',
    help: 'PENDING orders canceled by the service because their stock hold ran out',
    registers,
  })
  const sweepDuration = new Histogram({
    name: 'order_expiry_sweep_duration_seconds',
    help: 'How long each sweep of expired orders took',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5],
    registers,
  })

  const moved: Partial<Record<OrderStatus, Counter>> = {
    CANCELED: ordersCanceled,
    PAID: ordersPaid,
    SHIPPED: ordersShipped,
  }
  app.decorate('metrics', {
    registry,
    orderPlaced: () => ordersCreated.inc(),
    orderMovedTo: (status: OrderStatus) => moved[status]?.inc(),
    webhook: (result: WebhookResult) => webhookEvents.inc({ result }),
    ledgerMismatches: (count: number) => ledgerMismatches.set(count),
    expirySweep: (expired: number, seconds: number) => {
      if (expired > 0) {
        ordersExpired.inc(expired)
        ordersCanceled.inc(expired)
      }
      sweepDuration.observe(seconds)
    },
  } satisfies ServiceMetrics)

  // Refusals are errors: counted here, on their way to the error handler.
  app.addHook('onError', async (request, _reply, error) => {
    if (error instanceof DomainError && error.code === 'INSUFFICIENT_STOCK' && request.routeOptions.url === '/orders') {
      insufficientStock.inc()
    }
    if (request.routeOptions.url === '/webhooks/payment') {
      const result =
        error instanceof DomainError
          ? (webhookFailures[error.code] ?? 'invalid')
          : error instanceof RequestValidationError
            ? 'invalid'
            : 'error'
      webhookEvents.inc({ result })
    }
  })

  app.addHook('onResponse', async (request, reply) => {
    // The route template, never the raw URL, keeps label cardinality bounded.
    const route = request.routeOptions.url ?? 'unmatched'
    const labels = { method: request.method, route, status_code: String(reply.statusCode) }
    requests.inc(labels)
    duration.observe(labels, reply.elapsedTime / 1000)
  })

  const metricsSchema = {
    tags: ['General'],
    summary: 'Prometheus metrics',
    response: {
      200: {
        description: 'Prometheus text exposition format',
        content: {
          'text/plain': {
            schema: {
              type: 'string',
              examples: [
                '# HELP orders_created_total Orders placed\n# TYPE orders_created_total counter\norders_created_total 42\n',
              ],
            },
          },
        },
      },
    },
  }
  app.get('/metrics', { schema: metricsSchema, config: { scope: 'public' } }, async (_request, reply) => {
    reply.header('Content-Type', registry.contentType)
    return registry.metrics()
  })
}

export default fp(metricsPlugin, { name: 'metrics', dependencies: ['db', 'shutdown', 'catalogue-cache'] })
