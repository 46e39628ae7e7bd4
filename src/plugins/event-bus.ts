import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import {
  connect,
  Events,
  nanos,
  NatsError,
  StorageType,
  type JetStreamClient,
  type NatsConnection,
  type PubAck,
} from 'nats'
import { Counter, Gauge } from 'prom-client'
import { redactUrl, type EventsConfig } from '../config.js'
import {
  claimBusEntries,
  countBusEntries,
  deleteBusEntries,
  failBusEntry,
  oldestBusEntryCreatedAt,
  releaseBusEntries,
  type BusEntry,
} from '../modules/events/bus-outbox.js'

/*
 * The event bus publisher: with EVENT_BUS_URL set, every event is published to NATS JetStream on
 * `<EVENT_BUS_SUBJECT_PREFIX>.<event type>`, its data the event's JSON as stored (the same bytes a
 * webhook receives), its `Nats-Msg-Id` the event id.
 *
 * Guarantees:
 * - Nothing is lost: the fan-out writes a `bus_outbox` row in the database for each event, and the
 *   row is deleted only after JetStream acknowledged the event (PubAck). A failed publish keeps
 *   it, tried again after 1 s, 2 s, 4 s... up to 30 s; while NATS is unreachable nothing is
 *   claimed, the rows wait (event_bus_pending_events, event_bus_lag_seconds) and the requests are
 *   served as usual.
 * - Each event is in the stream once: it is published again only if its first publish may have
 *   been lost (a PubAck not received, a crash before the row was deleted, a lease that ran out),
 *   and JetStream drops a message whose Nats-Msg-Id it stored within the stream's duplicate
 *   window (10 minutes for the stream created here).
 * - One instance at a time per event: rows are claimed with a 30 s lease in one statement
 *   (bus-outbox.ts; FOR UPDATE SKIP LOCKED on PostgreSQL). A crashed instance's rows are free
 *   again when the lease runs out; a batch stops publishing before its lease could.
 * - In order within an instance: a batch is published by seq, one PubAck awaited before the next
 *   publish; when one fails, the rest of the batch waits as long as it does.
 * - The stream (EVENT_BUS_STREAM, subjects `<prefix>.>`, file storage) is created when missing.
 * - Start: the service does not wait for NATS. The client connects in the background and
 *   reconnects forever; a warning is logged once per outage, not on every try.
 * - Close: no new claim; the publish in flight ends, the batch's other rows are released for
 *   another instance, then the connection is drained.
 * - Without EVENT_BUS_URL it does nothing: no connection, no timer, no query (its metrics stay 0).
 */

const POLL_MS = 500
const BATCH = 100
const LEASE_MS = 30_000
const PUBLISH_TIMEOUT_MS = 5_000
const FIRST_BACKOFF_MS = 1_000
const MAX_BACKOFF_MS = 30_000
const RECONNECT_WAIT_MS = 1_000
const CONNECT_TIMEOUT_MS = 5_000
/** Not connected this long after the start: said once in the log. */
const UNREACHABLE_WARNING_AFTER_MS = 3_000
const DUPLICATE_WINDOW_MS = 10 * 60_000
const CLOSE_TIMEOUT_MS = 5_000

/** 1 s after the first failure, doubling, at most 30 s. */
export function busBackoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.min(attempts - 1, 16))
}

async function eventBusPlugin(app: FastifyInstance, { events }: { events: EventsConfig }) {
  const enabled = events.busUrl !== ''
  const registers = [app.metrics.registry]
  const published = new Counter({
    name: 'event_bus_published_total',
    help: 'Events acknowledged by the event bus (JetStream PubAck), duplicates it dropped included',
    registers,
  })
  const failures = new Counter({
    name: 'event_bus_publish_failures_total',
    help: 'Publishes to the event bus that failed (tried again later)',
    registers,
  })
  // Read on each scrape; without an event bus they stay 0 and cost no query. A failed read keeps
  // the last value rather than failing the whole scrape.
  const read = async <T>(query: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await query()
    } catch (error) {
      app.log.warn({ err: error }, 'event bus backlog could not be read for the metrics')
      return undefined
    }
  }
  new Gauge({
    name: 'event_bus_pending_events',
    help: 'Events waiting to be published to the event bus',
    registers,
    async collect() {
      if (!enabled) return this.set(0)
      const pending = await read(() => countBusEntries(app.db))
      if (pending !== undefined) this.set(pending)
    },
  })
  new Gauge({
    name: 'event_bus_lag_seconds',
    help: 'Age of the oldest event waiting for the event bus (0 when none waits)',
    registers,
    async collect() {
      if (!enabled) return this.set(0)
      const oldest = await read(async () => (await oldestBusEntryCreatedAt(app.db)) ?? null)
      if (oldest === undefined) return
      this.set(oldest === null ? 0 : Math.max(0, (Date.now() - Date.parse(oldest)) / 1000))
    },
  })

  if (!enabled) return

  const servers = events.busUrl.split(',').map((server) => server.trim())
  const where = servers.map(redactUrl).join(',')
  const stream = events.busStream
  const subjectOf = (type: string) => `${events.busSubjectPrefix}.${type}`

  let connection: NatsConnection | undefined
  let jetstream: JetStreamClient | undefined
  let connected = false
  let streamReady = false
  let stopped = false
  let outageLogged = false
  let warningTimer: NodeJS.Timeout | undefined
  let pollTimer: NodeJS.Timeout | undefined
  let connectTimer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let again = false
  let roundFailures = 0

  const outage = (message: string, error?: unknown) => {
    if (outageLogged || stopped) return
    outageLogged = true
    app.log.warn({ err: error, eventBus: where }, message)
  }

  /** The stream that takes `<prefix>.>`: created when missing, left as it is when present. */
  const ensureStream = async (nc: NatsConnection) => {
    const manager = await nc.jetstreamManager({ timeout: PUBLISH_TIMEOUT_MS })
    const subjects = [`${events.busSubjectPrefix}.>`]
    try {
      const info = await manager.streams.info(stream)
      if (!info.config.subjects?.some((subject) => subjects.includes(subject))) {
        app.log.warn(
          { stream, subjects: info.config.subjects },
          `the event bus stream does not take ${subjects[0]}: publishes will fail until it does`,
        )
      }
    } catch (error) {
      if (!(error instanceof NatsError) || error.api_error?.err_code !== 10059) throw error
      // Two instances may create it at once: the same configuration twice is accepted.
      await manager.streams.add({
        name: stream,
        subjects,
        storage: StorageType.File,
        duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      })
      app.log.info({ stream, subjects }, 'event bus stream created')
    }
  }

  const publish = (js: JetStreamClient, entry: BusEntry): Promise<PubAck> =>
    js.publish(subjectOf(entry.type), Buffer.from(entry.payload, 'utf8'), {
      msgID: entry.id,
      timeout: PUBLISH_TIMEOUT_MS,
    })

  /** One claimed batch, published in order. Returns whether a full batch went out (more may wait). */
  const publishBatch = async (js: JetStreamClient): Promise<boolean> => {
    const leaseEnds = Date.now() + LEASE_MS
    const leaseUntil = new Date(leaseEnds).toISOString()
    const batch = await claimBusEntries(app.db, { now: new Date().toISOString(), leaseUntil, limit: BATCH })
    const done: number[] = []
    let failed: { entry: BusEntry; error: unknown } | undefined
    for (const entry of batch) {
      // Closing, disconnected, or too close to the lease's end: the rest goes back.
      if (stopped || !connected || Date.now() + PUBLISH_TIMEOUT_MS > leaseEnds) break
      try {
        await publish(js, entry)
        published.inc()
        done.push(entry.seq)
      } catch (error) {
        failures.inc()
        failed = { entry, error }
        break
      }
    }
    await deleteBusEntries(app.db, done)
    const rest = batch.filter((entry) => !done.includes(entry.seq) && entry !== failed?.entry)
    if (failed) {
      const attempts = failed.entry.attempts + 1
      const nextAttemptAt = new Date(Date.now() + busBackoffMs(attempts)).toISOString()
      const error = failed.error instanceof Error ? failed.error.message : String(failed.error)
      await failBusEntry(app.db, failed.entry.seq, { leaseUntil, nextAttemptAt, error })
      await releaseBusEntries(
        app.db,
        rest.map((entry) => entry.seq),
        { leaseUntil, nextAttemptAt },
      )
      // The stream may be gone (deleted, or a server started on an empty store): look again.
      streamReady = false
      if (attempts === 1 || attempts % 10 === 0) {
        app.log.warn({ err: failed.error, event: failed.entry.id, attempts }, 'event bus publish failed; trying again')
      }
      return false
    }
    await releaseBusEntries(
      app.db,
      rest.map((entry) => entry.seq),
      { leaseUntil },
    )
    return batch.length === BATCH && rest.length === 0
  }

  const publishDue = async () => {
    const nc = connection
    if (!nc || !jetstream || !connected || stopped) return
    if (!streamReady) {
      await ensureStream(nc)
      streamReady = true
    }
    while ((await publishBatch(jetstream)) && !stopped);
  }

  /** Runs a round, or marks one to follow the round in progress (an event may have come during it). */
  const run = (): Promise<void> => {
    if (stopped) return Promise.resolve()
    if (running) {
      again = true
      return running
    }
    running = publishDue()
      .then(
        () => {
          if (roundFailures > 0) app.log.info({ failures: roundFailures }, 'event bus publishing works again')
          roundFailures = 0
        },
        (error: unknown) => {
          roundFailures += 1
          // Once in a while, not on every poll, while the database or the stream is unavailable.
          if (roundFailures === 1 || roundFailures % 100 === 0) {
            app.log.error({ err: error, failures: roundFailures }, 'event bus publishing failed; trying again')
          }
          throw error
        },
      )
      .finally(() => {
        running = undefined
        if (again && !stopped) {
          again = false
          run().catch(() => {})
        }
      })
    return running
  }

  const poll = () => {
    run()
      .catch(() => {})
      .finally(() => {
        if (!stopped) pollTimer = setTimeout(poll, POLL_MS).unref()
      })
  }

  const watch = async (nc: NatsConnection) => {
    for await (const status of nc.status()) {
      if (status.type === Events.Disconnect) {
        connected = false
        outage('event bus disconnected; events wait in the outbox until it is back')
      } else if (status.type === Events.Reconnect) {
        connected = true
        outageLogged = false
        app.log.info({ eventBus: where }, 'event bus reconnected')
        run().catch(() => {})
      }
    }
  }

  const start = () => {
    warningTimer = setTimeout(
      () => outage('event bus unreachable; events wait in the outbox until it answers'),
      UNREACHABLE_WARNING_AFTER_MS,
    ).unref()
    connect({
      servers,
      name: 'orders-inventory',
      maxReconnectAttempts: -1,
      waitOnFirstConnect: true,
      timeout: CONNECT_TIMEOUT_MS,
      // Asked before every try: throwing is the only way to end the client's first-connect loop,
      // which has no handle before it succeeds.
      reconnectDelayHandler: () => {
        if (stopped) throw new Error('event bus closed')
        return RECONNECT_WAIT_MS + Math.floor(Math.random() * 250)
      },
    }).then(
      (nc) => {
        clearTimeout(warningTimer)
        if (stopped) {
          nc.close().catch(() => {})
          return
        }
        connection = nc
        jetstream = nc.jetstream({ timeout: PUBLISH_TIMEOUT_MS })
        connected = true
        if (outageLogged) app.log.info({ eventBus: where }, 'event bus connected')
        outageLogged = false
        watch(nc).catch(() => {})
        void nc.closed().then((error) => {
          if (stopped) return
          // Closed by the server or the client (an authorization error): connect from scratch.
          app.log.error({ err: error, eventBus: where }, 'event bus connection closed; connecting again')
          connection = undefined
          jetstream = undefined
          connected = false
          streamReady = false
          start()
        })
        run().catch(() => {})
      },
      (error: unknown) => {
        if (stopped) return
        app.log.error({ err: error, eventBus: where }, 'event bus connection failed; connecting again')
        connectTimer = setTimeout(start, RECONNECT_WAIT_MS).unref()
      },
    )
  }

  app.outbox.onFannedOut(() => {
    run().catch(() => {})
  })
  app.addHook('onReady', async () => {
    start()
    pollTimer = setTimeout(poll, POLL_MS).unref()
  })
  app.addHook('onClose', async () => {
    stopped = true
    clearTimeout(pollTimer)
    clearTimeout(connectTimer)
    clearTimeout(warningTimer)
    await running?.catch(() => {})
    const nc = connection
    if (!nc) return
    // Drained (the publishes in flight are flushed) when connected; a connection still trying to
    // come back has nothing to drain.
    const closing = connected ? nc.drain() : nc.close()
    await Promise.race([closing.catch(() => {}), new Promise((r) => setTimeout(r, CLOSE_TIMEOUT_MS).unref())])
    if (!nc.isClosed()) await nc.close().catch(() => {})
  })
}

export default fp(eventBusPlugin, { name: 'event-bus', dependencies: ['db', 'metrics', 'outbox'] })
