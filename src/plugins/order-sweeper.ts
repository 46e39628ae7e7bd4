import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { expireDueOrders } from '../modules/orders/service.js'

/*
 * The expiry sweep: cancels the PENDING orders whose stock hold ran out (`expires_at`) and returns
 * their stock, within 2 s of expires_at (the contract).
 *
 * Guarantees:
 * - Every instance sweeps, about once a second: SWEEP_INTERVAL_MS after its previous sweep ended,
 *   or at once while sweeps come back full (a backlog is worked off in batches of SWEEP_BATCH).
 * - Each order expires once, whatever the number of instances: expireDueOrders locks each due order
 *   in a transaction of its own and checks it again (still PENDING, still past its hold). On
 *   PostgreSQL the lock is FOR UPDATE SKIP LOCKED: a sweep passes over an order that another
 *   instance is expiring or a payment is paying, and the next sweep looks again. On SQLite write
 *   transactions run one at a time (BEGIN IMMEDIATE, across processes too): the second to come
 *   finds the order CANCELED (or PAID) and leaves it.
 * - Never overlaps itself in one instance: the next sweep is scheduled when one ends, and
 *   `sweepNow` joins the sweep in progress.
 * - A failed sweep (database down or busy) is logged and the next tick tries again. An order is
 *   expired wholly or not at all: status, stock and ledger movements commit together.
 * - On close the timer stops, a sweep in progress is waited for, and none starts after; the
 *   database closes after that (its plugin is registered earlier, so its onClose runs later).
 * - When nothing is due it costs one query a second, on the partial index orders_pending_expiry.
 * What a crash leaves: nothing half done; orders that fell due while no instance ran are expired
 * by the first sweep after a start.
 */

const SWEEP_INTERVAL_MS = 1000
const SWEEP_BATCH = 100

export interface OrderSweeper {
  /** Sweeps now, or joins the sweep in progress: how many orders it expired. Rejects when the database fails. */
  sweepNow(): Promise<number>
  /** Stops the timer and waits for a sweep in progress; no sweep starts after (sweepNow answers 0). */
  stop(): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The expiry sweep of this instance (started when the app is ready, stopped on close). */
    orderSweeper: OrderSweeper
  }
}

async function orderSweeperPlugin(app: FastifyInstance) {
  let running: Promise<number> | undefined
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  let failures = 0

  const sweep = async (): Promise<number> => {
    const started = performance.now()
    const expired = await expireDueOrders(app.db, app.catalogueCache, SWEEP_BATCH)
    app.metrics.expirySweep(expired.length, (performance.now() - started) / 1000)
    if (expired.length > 0) app.log.info({ orders: expired }, 'expired orders canceled')
    return expired.length
  }

  const sweepNow = (): Promise<number> => {
    if (stopped) return Promise.resolve(0)
    return (running ??= sweep().finally(() => (running = undefined)))
  }

  const schedule = (delayMs: number) => {
    if (stopped) return
    // Unref'd: a pending sweep never keeps the process alive.
    timer = setTimeout(tick, delayMs).unref()
  }

  function tick() {
    timer = undefined
    sweepNow().then(
      (count) => {
        if (failures > 0) app.log.info({ failures }, 'order expiry sweep works again')
        failures = 0
        schedule(count >= SWEEP_BATCH ? 0 : SWEEP_INTERVAL_MS)
      },
      (error: unknown) => {
        failures += 1
        app.log.error({ err: error, failures }, 'order expiry sweep failed; trying again on the next tick')
        schedule(SWEEP_INTERVAL_MS)
      },
    )
  }

  app.decorate('orderSweeper', {
    sweepNow,
    stop: async () => {
      stopped = true
      clearTimeout(timer)
      await running?.catch(() => {})
    },
  } satisfies OrderSweeper)

  app.addHook('onReady', async () => schedule(SWEEP_INTERVAL_MS))
  app.addHook('onClose', () => app.orderSweeper.stop())
}

export default fp(orderSweeperPlugin, { name: 'order-sweeper', dependencies: ['db', 'catalogue-cache', 'metrics'] })
