import type SQLite from 'better-sqlite3'
import type { Representation } from '../../shared/etag.js'
import type { PageContents } from '../../shared/pagination.js'
import type { Product } from './schemas.js'

export interface CachedPage extends PageContents {
  json: Buffer
  limit: number
  firstId: number | undefined
}

/** Lookups answered from memory (hits) or from the database (misses), since the start. */
export interface CatalogueCacheStats {
  productHits: number
  productMisses: number
  pageHits: number
  pageMisses: number
}

// At most this many pages and bytes are kept (a page of 1,000 products is about 150 KB), and
// this many single products.
const MAX_PAGES = 10_000
const MAX_BYTES = 16 * 2 ** 20
const MAX_PRODUCTS = 10_000
// PostgreSQL: the invalidations remembered for the reads in flight. A read lasts milliseconds; one
// that began before the oldest remembered keeps nothing.
const REMEMBERED_INVALIDATIONS = 1024

/** What a notice made stale: a read begun before it keeps nothing it concerns (PostgreSQL). */
type Invalidation =
  { kind: 'changed' | 'removed'; id: number } | { kind: 'added'; id: number | undefined } | { kind: 'all' }

/**
 * The catalogue cache: list pages (their JSON text), the product total and single products (each
 * with its ETag, so that GET /products/{id} hashes nothing), kept in memory until a write touches
 * them. Every client reads the first pages of the catalogue and the popular products over and
 * over, and between two changes they are the same: building a page again cost four times the rest
 * of the request.
 *
 * One per app (per database handle), created where the app is assembled (plugins/catalogue-cache.ts)
 * and passed to the products service (reads) and to the products repository's writes (notices).
 * A change drops the product and the pages that hold it; a product added or removed also drops the
 * pages it can move into or shift (short pages, pages at or after its id) and the total. Every
 * write to products goes through the products repository (test/sqlite/catalogue-cache.test.ts
 * checks that nothing else in src/ writes the table), which tells the cache inside the write's
 * transaction, before the write runs.
 *
 * Never stale on SQLite (`new CatalogueCache(sqlite)`):
 * - with the connection held, no read can come between the notice and the write;
 * - a reader keeps what it read while it still holds the connection, right after its read, and a
 *   read runs only after this process's pending writes have committed (group-commit.ts);
 * - a write by another process (a second instance, a seed, a migration) changes SQLite's
 *   `data_version`: the lookups of a product or a page check it first (everything is dropped then),
 *   and a reader keeps nothing if it changed since before its read (beginRead).
 *
 * On PostgreSQL (`new CatalogueCache()`), readers run beside writers and other instances write the
 * same database, so (docs/catalogue-cache.md):
 * - the writer's notice comes again once its transaction has ended (repository.ts, writeProducts and writeProductsInOneStatement),
 *   before its caller answers: what a read kept meanwhile is dropped;
 * - every committed change reaches every instance as a notification (plugins/catalogue-listener.ts,
 *   from the trigger of migration 0007, whoever wrote), which applies the same notices;
 * - each notice is remembered (a generation number and the last REMEMBERED_INVALIDATIONS notices):
 *   a reader keeps nothing that a notice since its beginRead() concerns, nor anything when unsure;
 * - it serves and keeps only while the listener is up (serve() / stopServing()): a notification
 *   can be missed only between a lost connection and the listener seeing it lost.
 */
export class CatalogueCache {
  readonly #pages = new Map<string, CachedPage>()
  readonly #products = new Map<number, Representation<Product>>()
  readonly #reads = new Map<string, Promise<never>>()
  #bytes = 0
  #total: number | undefined
  readonly stats: CatalogueCacheStats = { productHits: 0, productMisses: 0, pageHits: 0, pageMisses: 0 }
  // SQLite: the other processes' writes, seen through data_version.
  readonly #dataVersionQuery: SQLite.Statement | undefined
  #dataVersion = 0
  // PostgreSQL: the notices so far (the generation), the last ones, and whether the listener is up.
  #generation = 0
  #invalidations: Invalidation[] = []
  #serving: boolean

  /** On SQLite, over the app's database handle; on PostgreSQL, without one, fed by a listener. */
  constructor(sqlite?: SQLite.Database) {
    this.#dataVersionQuery = sqlite?.prepare('pragma data_version').pluck()
    if (this.#dataVersionQuery) this.#dataVersion = this.#currentDataVersion()
    this.#serving = sqlite !== undefined
  }

  /** True on PostgreSQL: a write tells the cache again once its transaction has ended. */
  get noticesAfterWrites(): boolean {
    return this.#dataVersionQuery === undefined
  }

  /** Whether lookups may answer and reads may keep: always on SQLite; on PostgreSQL, while the listener is up. */
  get serving(): boolean {
    return this.#serving
  }

  #currentDataVersion(): number {
    return this.#dataVersionQuery!.get() as number
  }

  /**
   * Called by a reader right before it reads the database (on the connection it reads with), and
   * handed to keep*(), which keep nothing that changed since. On SQLite, forgets everything first
   * if another process wrote since the last look (the mark is data_version); on PostgreSQL, the
   * mark is the generation.
   */
  beginRead(): number {
    if (!this.#dataVersionQuery) return this.#generation
    const version = this.#currentDataVersion()
    if (version !== this.#dataVersion) {
      this.#dataVersion = version
      this.dropAll()
    }
    return this.#dataVersion
  }

  /** Forgets every page, product and the total (and, on PostgreSQL, what reads in flight would keep). */
  dropAll(): void {
    this.#invalidate({ kind: 'all' })
    this.#pages.clear()
    this.#bytes = 0
    this.#products.clear()
    this.#total = undefined
  }

  /** PostgreSQL: the listener is up (again). Whatever was read before is not trusted. */
  serve(): void {
    this.dropAll()
    this.#serving = true
  }

  /** PostgreSQL: the listener is lost. Nothing is served or kept until serve(). */
  stopServing(): void {
    this.#serving = false
    this.dropAll()
  }

  #invalidate(invalidation: Invalidation): void {
    if (this.#dataVersionQuery) return
    this.#generation += 1
    this.#invalidations.push(invalidation)
    if (this.#invalidations.length >= 2 * REMEMBERED_INVALIDATIONS) {
      this.#invalidations = this.#invalidations.slice(-REMEMBERED_INVALIDATIONS)
    }
  }

  /** Whether what a reader read after `mark` may be kept: nothing since concerns it. */
  #keepable(mark: number, concerns: (invalidation: Invalidation) => boolean): boolean {
    if (this.#dataVersionQuery) return this.#currentDataVersion() === mark
    if (!this.#serving) return false
    const since = this.#generation - mark
    if (since > this.#invalidations.length) return false
    for (let i = this.#invalidations.length - since; i < this.#invalidations.length; i += 1) {
      if (concerns(this.#invalidations[i]!)) return false
    }
    return true
  }

  /**
   * Runs `read` once for all the requests that ask for `key` while it runs: the first starts it,
   * the others wait for its result. On SQLite it is read after each of them arrived (a read first
   * waits for the writes pending when it starts); on PostgreSQL a request joins only a read begun
   * since the last notice, so never one begun before a write it saw answered.
   */
  shared<T>(key: string, read: () => Promise<T>): Promise<T> {
    if (!this.#dataVersionQuery) key = `${key}@${this.#generation}`
    let running = this.#reads.get(key) as Promise<T> | undefined
    if (!running) {
      running = read().finally(() => this.#reads.delete(key))
      this.#reads.set(key, running as Promise<never>)
    }
    return running
  }

  /** The product as kept, if it is (after beginRead on SQLite). */
  product(id: number): Readonly<Product> | undefined {
    return this.representation(id)?.value
  }

  /** The product as kept, with its ETag, if it is (after beginRead on SQLite). */
  representation(id: number): Representation<Product> | undefined {
    this.beginRead()
    const kept = this.#serving ? this.#products.get(id) : undefined
    if (kept) this.stats.productHits += 1
    else this.stats.productMisses += 1
    return kept
  }

  /**
   * The page as kept, if it is (after beginRead on SQLite). Read total() right after, with no
   * await in between: both then describe the database as of this lookup.
   */
  page(key: string): CachedPage | undefined {
    this.beginRead()
    return this.#serving ? this.#pages.get(key) : undefined
  }

  /** The number of live products as kept, if it is; right after page() (see there). */
  total(): number | undefined {
    return this.#serving ? this.#total : undefined
  }

  /**
   * A request's lookup of a page and the total: both kept, or undefined. A total too large to keep
   * (LARGE_COUNT) may come from `largeTotal` instead, asked only when the page is kept.
   */
  pageAndTotal(key: string, largeTotal?: () => number | undefined): { page: CachedPage; total: number } | undefined {
    const page = this.page(key)
    const total = this.total() ?? (page && largeTotal?.())
    if (page && total !== undefined) {
      this.stats.pageHits += 1
      return { page, total }
    }
    this.stats.pageMisses += 1
    return undefined
  }

  keepProduct(product: Representation<Product>, mark: number): void {
    const { id } = product.value
    if (!this.#keepable(mark, (invalidation) => invalidation.kind === 'all' || invalidation.id === id)) return
    if (this.#products.size >= MAX_PRODUCTS) this.#products.clear()
    Object.freeze(product.value)
    this.#products.set(id, product)
  }

  keepPage(key: string, page: CachedPage, mark: number): void {
    if (!this.#keepable(mark, (invalidation) => this.#drops(invalidation, page))) return
    const replaced = this.#pages.get(key)
    if (replaced) this.#bytes -= replaced.json.length
    if (this.#pages.size >= MAX_PAGES || this.#bytes + page.json.length > MAX_BYTES) this.#dropPages(() => true)
    this.#pages.set(key, page)
    this.#bytes += page.json.length
  }

  keepTotal(total: number, mark: number): void {
    if (this.#keepable(mark, (invalidation) => invalidation.kind !== 'changed')) this.#total = total
  }

  /** Whether the page, as it was read, may be stale after `invalidation`. */
  #drops(invalidation: Invalidation, page: CachedPage): boolean {
    const short = page.size < page.limit
    switch (invalidation.kind) {
      case 'all':
        return true
      case 'changed':
        return page.firstId !== undefined && page.firstId <= invalidation.id && invalidation.id <= page.lastId!
      case 'added':
        // Without its id (the writer's own notice, told before the insert): on SQLite it has the
        // highest id; on PostgreSQL ids are handed out before commit, and concurrent inserts may
        // commit out of order, so it may fall inside any page.
        if (invalidation.id === undefined) return short || !this.#dataVersionQuery
        return short || page.lastId === undefined || page.lastId >= invalidation.id
      case 'removed':
        return short || page.lastId === undefined || page.lastId >= invalidation.id
    }
  }

  #dropPages(matches: (page: CachedPage) => boolean): void {
    for (const [key, page] of this.#pages) {
      if (!matches(page)) continue
      this.#pages.delete(key)
      this.#bytes -= page.json.length
    }
  }

  #apply(invalidation: Invalidation & { kind: 'changed' | 'added' | 'removed' }): void {
    this.#invalidate(invalidation)
    if (invalidation.id !== undefined) this.#products.delete(invalidation.id)
    if (invalidation.kind !== 'changed') this.#total = undefined
    this.#dropPages((page) => this.#drops(invalidation, page))
  }

  // The notices: from the products repository's writes (repository.ts, writeProducts) and, on
  // PostgreSQL, from the listener (every committed change, whoever made it).

  /** A product's fields or stock are about to change (or have changed). */
  changed(id: number): void {
    this.#apply({ kind: 'changed', id })
  }

  /**
   * A product is about to be added (its id not known yet), or was added with `id` (from the
   * listener): it can only enter pages that are not full, or, on PostgreSQL, any page (see #drops).
   */
  added(id?: number): void {
    this.#apply({ kind: 'added', id })
  }

  /** A product is about to leave the catalogue (or has): pages at or after it shift by one, short pages may change. */
  removed(id: number): void {
    this.#apply({ kind: 'removed', id })
  }
}
