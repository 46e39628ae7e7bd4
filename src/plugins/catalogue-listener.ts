import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import pg from 'pg'
import type { DatabaseConfig } from '../config.js'
import { dialectOf } from '../db/connect.js'
import type { CatalogueCache } from '../modules/products/catalogue-cache.js'

/** Where the products trigger (migration 0007) announces every committed change to the catalogue. */
export const CATALOGUE_CHANNEL = 'catalogue_changes'
/** The listener's connection in pg_stat_activity, apart from the pool's (`orders-inventory`). */
export const LISTENER_APPLICATION_NAME = 'orders-inventory-catalogue-listener'

// A round trip on the listener's connection every interval; one not answered within the timeout
// counts as a lost connection. Together they bound how long a connection stalled without an error
// (no TCP reset, no end) can go unnoticed: about 3 s.
const HEARTBEAT_INTERVAL_MS = 1000
const HEARTBEAT_TIMEOUT_MS = 2000
// Reconnection: 50 ms after a loss, then twice as long after each failed try, up to a second.
const FIRST_RETRY_MS = 50
const MAX_RETRY_MS = 1000
// More notices than this arriving together drop the whole cache rather than each what it names.
const MAX_NOTICES = 100
// How long close() waits for the server to see the connection off before dropping the socket.
const END_TIMEOUT_MS = 500

/**
 * The catalogue cache's listener on PostgreSQL: one connection of its own (not from the pool, which
 * hands connections out and back), LISTENing on CATALOGUE_CHANNEL, that applies every notification
 * to this instance's cache (catalogue-cache.ts). Guarantees:
 * - every change committed while the listener is up reaches the cache: the trigger notifies in the
 *   writing transaction, PostgreSQL delivers on commit, in commit order;
 * - the cache serves and keeps only while the listener is up. On a lost connection (an error, an
 *   end, a heartbeat unanswered) it drops everything and stops serving at once (reads go to the
 *   database), reconnects with backoff, and serves again only once LISTEN has succeeded, starting
 *   empty: nothing read before then is trusted;
 * - the heartbeat notifies the channel itself and checks that its own notification came back, so
 *   it proves delivery, not only a live socket;
 * - close() ends the connection and every timer; nothing reconnects after it.
 * What it cannot see: changes committed while the connection was already dead but not yet known
 * to be (between a silent stall and the heartbeat's verdict); docs/catalogue-cache.md.
 */
export class CatalogueListener {
  readonly #database: DatabaseConfig
  readonly #cache: CatalogueCache
  readonly #log: FastifyBaseLogger
  #client: pg.Client | undefined
  #closed = false
  #up = false
  #failures = 0
  // The next reconnection or heartbeat; the running heartbeat's deadline.
  #timer: NodeJS.Timeout | undefined
  #deadline: NodeJS.Timeout | undefined
  // The heartbeat's own notification, until it comes back (or the connection is given up).
  readonly #pingPrefix = `ping ${randomUUID()} `
  #pings = 0
  #awaitedPing: { ping: string; arrived: () => void } | undefined
  // Notifications received and not applied yet (#apply).
  #pending: string[] = []

  constructor(database: DatabaseConfig, cache: CatalogueCache, log: FastifyBaseLogger) {
    this.#database = database
    this.#cache = cache
    this.#log = log
  }

  /** Connects and listens; resolves once up, or once the first try failed (retries go on). */
  start(): Promise<void> {
    return this.#connect()
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    clearTimeout(this.#deadline)
    const client = this.#client
    this.#client = undefined
    this.#cache.stopServing()
    if (client) await endConnection(client)
  }

  async #connect(): Promise<void> {
    if (this.#closed) return
    const client = new pg.Client({
      connectionString: this.#database.url,
      application_name: LISTENER_APPLICATION_NAME,
      connectionTimeoutMillis: this.#database.connectTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    })
    this.#client = client
    // Applied whichever connection brings them: a notice only ever drops what it names.
    client.on('notification', ({ payload }) => this.#apply(payload ?? ''))
    client.on('error', (error) => this.#lost(client, error))
    client.on('end', () => this.#lost(client, new Error('connection ended')))
    try {
      await client.connect()
      await client.query(`listen ${CATALOGUE_CHANNEL}`)
    } catch (error) {
      this.#lost(client, error)
      return
    }
    if (this.#client !== client) return
    this.#cache.serve()
    this.#up = true
    this.#log.info('catalogue listener up: the catalogue cache serves')
    this.#schedule(() => void this.#heartbeat(client), HEARTBEAT_INTERVAL_MS)
  }

  #lost(client: pg.Client, error: unknown): void {
    if (this.#client !== client) return
    this.#client = undefined
    clearTimeout(this.#timer)
    clearTimeout(this.#deadline)
    this.#awaitedPing?.arrived()
    this.#cache.stopServing()
    void endConnection(client)
    if (this.#closed) return
    const retryInMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.#failures)
    this.#failures += 1
    if (this.#up) {
      this.#log.warn(
        { err: error, retryInMs },
        'catalogue listener lost: the catalogue is read from the database until it is back',
      )
    } else {
      this.#log.debug({ err: error, retryInMs }, 'catalogue listener could not connect')
    }
    this.#up = false
    this.#schedule(() => void this.#connect(), retryInMs)
  }

  async #heartbeat(client: pg.Client): Promise<void> {
    const ping = `${this.#pingPrefix}${(this.#pings += 1)}`
    const arrived = new Promise<void>((done) => (this.#awaitedPing = { ping, arrived: done }))
    const deadline = setTimeout(() => this.#lost(client, new Error('heartbeat not answered')), HEARTBEAT_TIMEOUT_MS)
    this.#deadline = deadline
    try {
      await client.query('select pg_notify($1, $2)', [CATALOGUE_CHANNEL, ping])
      // Back through the channel (PostgreSQL sends it before that statement's answer, or right after).
      await arrived
    } catch (error) {
      this.#lost(client, error)
      return
    } finally {
      clearTimeout(deadline)
      this.#awaitedPing = undefined
    }
    if (this.#client !== client) return
    // A connection that carried a heartbeat is sound: the next loss starts the backoff again.
    this.#failures = 0
    this.#schedule(() => void this.#heartbeat(client), HEARTBEAT_INTERVAL_MS)
  }

  /**
   * `changed:7`, `added:12`, `removed:9` (or several, comma-separated), `all`, or a heartbeat's
   * ping; anything else drops everything. The notices that arrive together (one read from the
   * socket) are applied together, before any other I/O is handled: more than MAX_NOTICES drop the
   * whole cache instead (a statement that changed many products sends one per row).
   */
  #apply(payload: string): void {
    if (payload.startsWith('ping ')) {
      if (payload === this.#awaitedPing?.ping) this.#awaitedPing.arrived()
      return
    }
    if (this.#pending.length === 0) queueMicrotask(() => this.#applyPending())
    this.#pending.push(payload)
  }

  #applyPending(): void {
    const payloads = this.#pending
    this.#pending = []
    if (payloads.length > MAX_NOTICES) {
      this.#cache.dropAll()
      return
    }
    for (const notice of payloads.join(',').split(',')) {
      const [kind, text] = notice.split(':')
      const id = Number(text)
      if (!Number.isSafeInteger(id)) this.#cache.dropAll()
      else if (kind === 'changed') this.#cache.changed(id)
      else if (kind === 'added') this.#cache.added(id)
      else if (kind === 'removed') this.#cache.removed(id)
      else this.#cache.dropAll()
    }
  }

  #schedule(run: () => void, ms: number): void {
    this.#timer = setTimeout(run, ms)
  }
}

/** Ends the connection; a socket that does not close promptly (a stalled peer) is destroyed. */
async function endConnection(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<void>((done) => (timer = setTimeout(done, END_TIMEOUT_MS)))
  await Promise.race([client.end().catch(() => {}), late])
  clearTimeout(timer)
  client.connection.stream.destroy()
}

export interface CatalogueListenerOptions {
  database: DatabaseConfig
}

/**
 * On PostgreSQL, keeps the app's catalogue cache coherent with every writer of the database (see
 * CatalogueListener); waits for the first connection so that a new instance serves from its cache
 * at once. Nothing on SQLite, where the cache watches data_version instead.
 */
async function catalogueListenerPlugin(app: FastifyInstance, { database }: CatalogueListenerOptions) {
  const cache = app.catalogueCache
  if (dialectOf(database.url) !== 'postgres' || !cache) return
  const listener = new CatalogueListener(database, cache, app.log)
  app.addHook('onClose', () => listener.close())
  await listener.start()
}

export default fp(catalogueListenerPlugin, { name: 'catalogue-listener', dependencies: ['catalogue-cache'] })
