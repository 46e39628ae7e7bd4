import { readFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram } from 'prom-client'
import type { EventsConfig } from '../config.js'
import {
  claimDeliveries,
  hasDueDeliveries,
  loadTargets,
  pendingBacklog,
  recordAttempt,
  releaseDeliveries,
  type AttemptOutcome,
  type DeliveryTarget,
} from '../modules/webhook-endpoints/dispatch.js'
import { attemptDelivery, type AttemptResult } from '../modules/webhook-endpoints/dispatch-send.js'
import { encryptionKey, signatureHeader } from '../shared/secrets.js'

/*
 * The webhook dispatcher of every instance: sends pending deliveries (Standard Webhooks 1.0) and
 * retries them on WEBHOOK_RETRY_SCHEDULE. Its data and its SQL: modules/webhook-endpoints/dispatch.ts.
 *
 * Guarantees:
 * - At least once: a delivery stays pending until an attempt's outcome is committed; a crash or a
 *   failed write leaves it leased, and it is due again when the lease runs out (the timeout plus
 *   LEASE_MARGIN_MS), in any instance. So a kill -9 loses nothing; it may send one twice.
 * - One instance at a time: a delivery is attempted only under a lease claimed in one statement
 *   (FOR UPDATE SKIP LOCKED on PostgreSQL, serialized writes on SQLite), and every attempt is
 *   aborted at WEBHOOK_TIMEOUT_MS, before its lease runs out.
 * - Bounded: WEBHOOK_CONCURRENCY attempts in flight per instance, and WEBHOOK_CONCURRENCY_PER_ENDPOINT
 *   to one endpoint, so a slow or hanging receiver holds only its own slots.
 * - Wakes up after each fan-out (a write of this instance, usually within milliseconds), when an
 *   attempt frees a slot, and every POLL_MS (other instances' events, retries falling due). Claim
 *   rounds never overlap; a failing round (database down) is logged and the next tries again.
 * - On close: no new claims; attempts in flight get SHUTDOWN_GRACE_MS to finish and be recorded,
 *   then are aborted and their leases released without counting an attempt, so another instance
 *   (or the next start) sends them at once.
 */

const POLL_MS = 500
const LEASE_MARGIN_MS = 5000
const SHUTDOWN_GRACE_MS = 2000

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string
}
const USER_AGENT = `orders-inventory-webhooks/${version}`

export interface EventDispatcher {
  /** Claims one round of due deliveries and waits for their attempts: how many it claimed. For tests. */
  runOnce(): Promise<number>
  /** Attempts in flight in this instance. */
  inFlight(): number
}

declare module 'fastify' {
  interface FastifyInstance {
    eventDispatcher: EventDispatcher
  }
}

async function eventDispatcherPlugin(app: FastifyInstance, { events }: { events: EventsConfig }) {
  const key = encryptionKey(events.secretsEncryptionKey)
  const policy = { scheduleSeconds: events.retryScheduleSeconds, random: Math.random }
  const agents = {
    http: new http.Agent({ keepAlive: true, scheduling: 'lifo' }),
    https: new https.Agent({ keepAlive: true, scheduling: 'lifo' }),
  }
  const shutdown = new AbortController()
  const inFlight = new Map<number, Promise<void>>()
  const perEndpoint = new Map<number, number>()
  let running: Promise<Promise<void>[]> | undefined
  let again = false
  let stopped = false
  let pollTimer: NodeJS.Timeout | undefined
  let failures = 0

  const registers = [app.metrics.registry]
  const attemptsTotal = new Counter({
    name: 'webhook_delivery_attempts_total',
    help: 'Webhook delivery attempts by what they led to: succeeded, retrying, failed (no retry left), endpoint_disabled (410)',
    labelNames: ['outcome'] as const,
    registers,
  })
  for (const outcome of ['succeeded', 'retrying', 'failed', 'endpoint_disabled'] as const)
    attemptsTotal.inc({ outcome }, 0)
  const attemptDuration = new Histogram({
    name: 'webhook_delivery_attempt_duration_seconds',
    help: 'How long each webhook delivery attempt took, until the answer or the failure',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  })
  // Both backlog gauges are collected together at a scrape: they share one query.
  let backlog: Promise<Awaited<ReturnType<typeof pendingBacklog>>> | undefined
  const readBacklog = () =>
    (backlog ??= pendingBacklog(app.db)
      .catch((error: unknown) => {
        app.log.warn({ err: error }, 'webhook backlog metrics unavailable')
        return []
      })
      .finally(() => (backlog = undefined)))
  new Gauge({
    name: 'webhook_pending_deliveries',
    help: 'Pending webhook deliveries per enabled endpoint, read at each scrape',
    labelNames: ['endpoint_id'] as const,
    registers,
    async collect() {
      const rows = await readBacklog()
      this.reset()
      for (const row of rows) this.set({ endpoint_id: String(row.endpointId) }, row.pending)
    },
  })
  new Gauge({
    name: 'webhook_oldest_pending_delivery_age_seconds',
    help: 'Age of the oldest pending webhook delivery per enabled endpoint, read at each scrape',
    labelNames: ['endpoint_id'] as const,
    registers,
    async collect() {
      const rows = await readBacklog()
      const now = Date.now()
      this.reset()
      for (const row of rows) {
        this.set({ endpoint_id: String(row.endpointId) }, Math.max(0, (now - Date.parse(row.oldest)) / 1000))
      }
    },
  })

  const attempt = async (target: DeliveryTarget): Promise<void> => {
    const { delivery } = target
    const timestamp = Math.floor(Date.now() / 1000)
    const result: AttemptResult = target.problem
      ? {
          startedAt: new Date().toISOString(),
          durationMs: 0,
          statusCode: null,
          error: target.problem,
          excerpt: null,
          retryAfter: undefined,
          abandoned: false,
        }
      : await attemptDelivery({
          url: target.url,
          body: target.payload,
          headers: {
            'content-type': 'application/json',
            'user-agent': USER_AGENT,
            'webhook-id': delivery.event_id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signatureHeader(target.secrets, delivery.event_id, timestamp, target.payload),
          },
          timeoutMs: events.webhookTimeoutMs,
          allowPrivateUrls: events.allowPrivateUrls,
          shutdown: shutdown.signal,
          agents,
        })
    if (result.abandoned) {
      await releaseDeliveries(app.db, [delivery])
      return
    }
    const outcome: AttemptOutcome | undefined = await recordAttempt(app.db, delivery, result, policy)
    attemptDuration.observe(result.durationMs / 1000)
    if (outcome) attemptsTotal.inc({ outcome })
    if (outcome === 'endpoint_disabled') {
      app.log.warn({ endpoint_id: delivery.endpoint_id }, 'webhook endpoint answered 410 Gone: disabled')
    }
  }

  const start = (target: DeliveryTarget) => {
    const { id, endpoint_id: endpoint } = target.delivery
    perEndpoint.set(endpoint, (perEndpoint.get(endpoint) ?? 0) + 1)
    const done = attempt(target)
      .catch((error: unknown) => {
        // Left leased: due again when the lease runs out.
        app.log.error({ err: error, delivery_id: id }, 'webhook attempt could not be recorded; retried after its lease')
      })
      .finally(() => {
        inFlight.delete(id)
        const left = (perEndpoint.get(endpoint) ?? 1) - 1
        if (left > 0) perEndpoint.set(endpoint, left)
        else perEndpoint.delete(endpoint)
        wake()
      })
    inFlight.set(id, done)
    return done
  }

  /** One claim round: leases what the free slots allow and starts those attempts (not waited for). */
  const claimRound = async (): Promise<Promise<void>[]> => {
    const limit = events.concurrency - inFlight.size
    if (stopped || limit <= 0) return []
    const slotsLeft = new Map([...perEndpoint].map(([id, count]) => [id, events.concurrencyPerEndpoint - count]))
    const now = Date.now()
    if (!(await hasDueDeliveries(app.db, new Date(now).toISOString()))) return []
    const claimed = await claimDeliveries(
      app.db,
      { limit, perEndpoint: events.concurrencyPerEndpoint, slotsLeft },
      new Date(now).toISOString(),
      new Date(now + events.webhookTimeoutMs + LEASE_MARGIN_MS).toISOString(),
    )
    if (claimed.length === 0) return []
    const { targets, gone } = await loadTargets(app.db, claimed, key)
    if (gone.length > 0) await releaseDeliveries(app.db, gone)
    return targets.map(start)
  }

  const round = (): Promise<Promise<void>[]> => {
    if (stopped) return Promise.resolve([])
    if (running) {
      again = true
      return running
    }
    running = claimRound()
      .then(
        (started) => {
          if (failures > 0) app.log.info({ failures }, 'webhook dispatch works again')
          failures = 0
          return started
        },
        (error: unknown) => {
          failures += 1
          if (failures === 1 || failures % 100 === 0) {
            app.log.error({ err: error, failures }, 'webhook dispatch failed; trying again')
          }
          throw error
        },
      )
      .finally(() => {
        running = undefined
        if (again && !stopped) {
          again = false
          round().catch(() => {})
        }
      })
    return running
  }

  let wakeScheduled = false
  function wake() {
    if (wakeScheduled || stopped) return
    wakeScheduled = true
    setImmediate(() => {
      wakeScheduled = false
      round().catch(() => {})
    })
  }

  const poll = () => {
    round()
      .catch(() => {})
      .finally(() => {
        if (!stopped) pollTimer = setTimeout(poll, POLL_MS).unref()
      })
  }

  app.decorate('eventDispatcher', {
    runOnce: async () => {
      if (running) await running.catch(() => {})
      const started = await round()
      await Promise.all(started)
      return started.length
    },
    inFlight: () => inFlight.size,
  } satisfies EventDispatcher)

  app.outbox.onFannedOut(wake)
  app.addHook('onReady', async () => {
    pollTimer = setTimeout(poll, POLL_MS).unref()
  })
  // No new claims from the moment the instance starts closing.
  app.addHook('preClose', async () => {
    stopped = true
    clearTimeout(pollTimer)
  })
  app.addHook('onClose', async () => {
    stopped = true
    clearTimeout(pollTimer)
    await running?.catch(() => {})
    const all = () => Promise.all(inFlight.values())
    let grace: NodeJS.Timeout | undefined
    await Promise.race([all(), new Promise((resolve) => (grace = setTimeout(resolve, SHUTDOWN_GRACE_MS)))])
    clearTimeout(grace)
    shutdown.abort()
    await all()
    agents.http.destroy()
    agents.https.destroy()
  })
}

export default fp(eventDispatcherPlugin, { name: 'event-dispatcher', dependencies: ['db', 'metrics', 'outbox'] })
