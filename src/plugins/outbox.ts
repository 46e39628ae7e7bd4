import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { EventsConfig } from '../config.js'
import { fanOut, hasEventsToFanOut, purgeEvents } from '../modules/events/repository.js'

/*
 * The outbox's own work in every instance, off the request path:
 * - Fan-out: new events become one pending delivery per subscribed endpoint (and a bus entry when
 *   EVENT_BUS_URL is set), a batch at a time (events/repository.ts: fanOut). It runs a moment after
 *   any write request of this instance has been answered (so its transaction has committed), and
 *   every POLL_MS besides for the events other instances wrote. Each fan-out then wakes whoever
 *   listens (the webhook dispatcher, the bus publisher) if it made them work. Wake-ups within
 *   WAKE_DELAY_MS share one fan-out.
 * - Retention: every PURGE_EVERY_MS, events older than EVENT_RETENTION_DAYS are deleted in
 *   batches, except those still waiting for a delivery or for the bus.
 * Neither overlaps itself; a failure (database down) is logged and the next tick tries again. On
 * close both stop, and the work in progress is waited for.
 */

const POLL_MS = 250
const PURGE_EVERY_MS = 60 * 60 * 1000
const PURGE_FIRST_AFTER_MS = 60 * 1000
const CLOSE_GRACE_MS = 1000
const WAKE_DELAY_MS = 50

export interface Outbox {
  /** Fans out soon (within WAKE_DELAY_MS, joined with other wake-ups). */
  wake(): void
  /** Fans out every event written so far, now: how many it fanned out. For tests and the load test's end. */
  drain(): Promise<number>
  /** Called after each fan-out that made deliveries or bus entries (the dispatcher and the bus publisher wake up). */
  onFannedOut(listener: () => void): void
  /** Wakes the listeners now: a delivery was made due by hand (POST /webhook-deliveries/{id}/retry). */
  notify(): void
  /** One purge of expired events, all batches: how many it deleted. */
  purgeNow(): Promise<number>
}

declare module 'fastify' {
  interface FastifyInstance {
    outbox: Outbox
  }
}

async function outboxPlugin(app: FastifyInstance, { events }: { events: EventsConfig }) {
  const listeners: (() => void)[] = []
  let running: Promise<number> | undefined
  let again = false
  let stopped = false
  let pollTimer: NodeJS.Timeout | undefined
  let purgeTimer: NodeJS.Timeout | undefined
  let purging: Promise<number> | undefined
  let failures = 0

  const fanOutAll = async (): Promise<number> => {
    let total = 0
    let work = 0
    if (!(await hasEventsToFanOut(app.db))) return 0
    for (;;) {
      const done = await fanOut(app.db, { bus: events.busUrl !== '' })
      total += done.events
      work += done.deliveries + done.busEntries
      if (done.events < 500 || stopped) break
    }
    if (work > 0) for (const listener of listeners) listener()
    return total
  }

  /** Runs a fan-out, or marks one to follow the one in progress (a write may have landed during it). */
  const run = (): Promise<number> => {
    if (stopped) return Promise.resolve(0)
    if (running) {
      again = true
      return running
    }
    running = fanOutAll()
      .then(
        (count) => {
          if (failures > 0) app.log.info({ failures }, 'event fan-out works again')
          failures = 0
          return count
        },
        (error: unknown) => {
          failures += 1
          // Logged once in a while, not on every poll, while the database is down.
          if (failures === 1 || failures % 100 === 0) {
            app.log.error({ err: error, failures }, 'event fan-out failed; trying again')
          }
          throw error
        },
      )
      .finally(() => {
        running = undefined
        if (again) {
          again = false
          wake()
        }
      })
    return running
  }

  // Wake-ups within WAKE_DELAY_MS share one fan-out, and one that came during a fan-out waits as
  // long after it: under load, one transaction takes the events of many orders (each fan-out has
  // a fixed cost of a few statements and its commit), and the orders keep the database to themselves.
  let wakeTimer: NodeJS.Timeout | undefined
  const wake = () => {
    if (wakeTimer || stopped) return
    wakeTimer = setTimeout(() => {
      wakeTimer = undefined
      run().catch(() => {})
    }, WAKE_DELAY_MS).unref()
  }

  const poll = () => {
    run()
      .catch(() => {})
      .finally(() => {
        if (!stopped) pollTimer = setTimeout(poll, POLL_MS).unref()
      })
  }

  const purgeNow = (): Promise<number> => {
    if (stopped) return Promise.resolve(0)
    return (purging ??= (async () => {
      const before = new Date(Date.now() - events.retentionDays * 86_400_000).toISOString()
      let total = 0
      for (;;) {
        const deleted = await purgeEvents(app.db, before)
        total += deleted
        if (deleted < 1000 || stopped) break
      }
      if (total > 0) app.log.info({ deleted: total }, 'expired events purged')
      return total
    })().finally(() => (purging = undefined)))
  }

  const schedulePurge = (delayMs: number) => {
    purgeTimer = setTimeout(() => {
      purgeNow()
        .catch((error: unknown) => app.log.error({ err: error }, 'event purge failed; trying again later'))
        .finally(() => {
          if (!stopped) schedulePurge(PURGE_EVERY_MS)
        })
    }, delayMs).unref()
  }

  app.decorate('outbox', {
    wake,
    drain: async () => {
      let total = 0
      // Joins a fan-out in progress, then runs one that sees every commit made before this call.
      if (running) await running.catch(() => {})
      total += await run()
      return total
    },
    onFannedOut: (listener: () => void) => void listeners.push(listener),
    notify: () => {
      for (const listener of listeners) listener()
    },
    purgeNow,
  } satisfies Outbox)

  // A write answered: its transaction has committed, and its events can be fanned out now.
  // A callback hook, not an async one: it runs after every response, and a promise each costs.
  app.addHook('onResponse', (request, _reply, done) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') wake()
    done()
  })
  app.addHook('onReady', async () => {
    pollTimer = setTimeout(poll, POLL_MS).unref()
    schedulePurge(PURGE_FIRST_AFTER_MS)
  })
  app.addHook('onClose', async () => {
    stopped = true
    clearTimeout(wakeTimer)
    clearTimeout(pollTimer)
    clearTimeout(purgeTimer)
    // Work in progress gets a moment to finish. A fan-out waiting for SQLite's write lock held by
    // another process is not waited for: the database closes next, which ends that wait, and its
    // transaction (not begun) leaves nothing behind; the next start fans those events out.
    const settled = Promise.allSettled([running, purging])
    await Promise.race([settled, new Promise((done) => setTimeout(done, CLOSE_GRACE_MS).unref())])
  })
}

export default fp(outboxPlugin, { name: 'outbox', dependencies: ['db'] })
