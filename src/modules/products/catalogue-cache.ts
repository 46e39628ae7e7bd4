import type SQLite from 'better-sqlite3'
import type { Representation } from '../../shared/etag.js'
import type { PageContents } from '../../shared/pagination.js'
import type { Product } from './schemas.js'

export interface CachedPage extends PageContents {
  json: Buffer
  limit: number
  firstId: number | undefined
}

// At most this many pages and bytes are kept (a page of 1,000 products is about 150 KB), and
// this many single products.
const MAX_PAGES = 10_000
const MAX_BYTES = 16 * 2 ** 20
const MAX_PRODUCTS = 10_000

/**
 * The catalogue cache: list pages (their JSON text, written by SQLite), the product total and
 * single products (each with its ETag, so that GET /products/{id} hashes nothing), kept in memory
 * on SQLite until a write touches them. Every client reads the first pages of the catalogue and
 * the popular products over and over, and between two changes they are the same: building a page
 * again cost four times the rest of the request.
 *
 * One per SQLite database handle, created where the app is assembled (plugins/catalogue-cache.ts)
 * and passed to the products service (reads) and to the products repository's writes (notices).
 * None on PostgreSQL.
 *
 * Never stale:
 * - every write to products goes through the products repository (test/sqlite/catalogue-cache.test.ts
 *   checks that nothing else writes the table), which tells the cache inside the write's own
 *   transaction, before the write runs: with the connection held, no read can come between the
 *   notice and the write;
 * - a reader keeps what it read while it still holds the connection, right after its read, and a
 *   read runs only after this process's pending writes have committed (group-commit.ts);
 * - a write by another process (a second instance, a seed, a migration) changes SQLite's
 *   `data_version`: the lookups of a product or a page check it first (everything is dropped then,
 *   syncWithOtherWriters), and a reader keeps nothing if it changed since before its read.
 * A change drops the product and the pages that hold it; a product added or removed also drops the
 * pages it can move into or shift (short pages, pages at or after its id) and the total.
 */
export class CatalogueCache {
  readonly #pages = new Map<string, CachedPage>()
  readonly #products = new Map<number, Representation<Product>>()
  readonly #reads = new Map<string, Promise<never>>()
  #bytes = 0
  #total: number | undefined
  readonly #dataVersionQuery: SQLite.Statement
  #dataVersion: number

  constructor(sqlite: SQLite.Database) {
    this.#dataVersionQuery = sqlite.prepare('pragma data_version').pluck()
    this.#dataVersion = this.#currentDataVersion()
  }

  #currentDataVersion(): number {
    return this.#dataVersionQuery.get() as number
  }

  /**
   * Forgets everything if another process wrote since the last look, and returns SQLite's
   * data_version now. A reader calls it on its connection before reading the database and hands
   * the version to keep*(), which keep nothing if another process wrote in between.
   */
  syncWithOtherWriters(): number {
    const version = this.#currentDataVersion()
    if (version !== this.#dataVersion) {
      this.#dataVersion = version
      this.dropAll()
    }
    return this.#dataVersion
  }

  /** Forgets every page, product and the total. */
  dropAll(): void {
    this.#pages.clear()
    this.#bytes = 0
    this.#products.clear()
    this.#total = undefined
  }

  #unchangedSince(version: number): boolean {
    return this.#currentDataVersion() === version
  }

  /**
   * Runs `read` once for all the requests that ask for `key` while it runs: the first starts it,
   * the others wait for its result (read after each of them arrived: a read first waits for the
   * writes pending when it starts).
   */
  shared<T>(key: string, read: () => Promise<T>): Promise<T> {
    let running = this.#reads.get(key) as Promise<T> | undefined
    if (!running) {
      running = read().finally(() => this.#reads.delete(key))
      this.#reads.set(key, running as Promise<never>)
    }
    return running
  }

  /** The product as kept, if it is (after syncWithOtherWriters). */
  product(id: number): Readonly<Product> | undefined {
    return this.representation(id)?.value
  }

  /** The product as kept, with its ETag, if it is (after syncWithOtherWriters). */
  representation(id: number): Representation<Product> | undefined {
    this.syncWithOtherWriters()
    return this.#products.get(id)
  }

  /**
   * The page as kept, if it is (after syncWithOtherWriters). Read total() right after, with no
   * await in between: both then describe the database as of this lookup.
   */
  page(key: string): CachedPage | undefined {
    this.syncWithOtherWriters()
    return this.#pages.get(key)
  }

  /** The number of live products as kept, if it is; right after page() (see there). */
  total(): number | undefined {
    return this.#total
  }

  keepProduct(product: Representation<Product>, version: number): void {
    if (!this.#unchangedSince(version)) return
    if (this.#products.size >= MAX_PRODUCTS) this.#products.clear()
    Object.freeze(product.value)
    this.#products.set(product.value.id, product)
  }

  keepPage(key: string, page: CachedPage, version: number): void {
    if (!this.#unchangedSince(version)) return
    const replaced = this.#pages.get(key)
    if (replaced) this.#bytes -= replaced.json.length
    if (this.#pages.size >= MAX_PAGES || this.#bytes + page.json.length > MAX_BYTES) this.#dropPages(() => true)
    this.#pages.set(key, page)
    this.#bytes += page.json.length
  }

  keepTotal(total: number, version: number): void {
    if (this.#unchangedSince(version)) this.#total = total
  }

  #dropPages(matches: (page: CachedPage) => boolean): void {
    for (const [key, page] of this.#pages) {
      if (!matches(page)) continue
      this.#pages.delete(key)
      this.#bytes -= page.json.length
    }
  }

  // The notices, from the products repository only (repository.ts, writeProducts).

  /** A product's fields or stock are about to change. */
  changed(id: number): void {
    this.#products.delete(id)
    this.#dropPages((page) => page.firstId !== undefined && page.firstId <= id && id <= page.lastId!)
  }

  /** A product is about to be added: it has the highest id, so it can only enter pages that are not full. */
  added(): void {
    this.#total = undefined
    this.#dropPages((page) => page.size < page.limit)
  }

  /** A product is about to leave the catalogue: pages at or after it shift by one, short pages may change. */
  removed(id: number): void {
    this.#products.delete(id)
    this.#total = undefined
    this.#dropPages((page) => page.size < page.limit || page.lastId === undefined || page.lastId >= id)
  }
}
