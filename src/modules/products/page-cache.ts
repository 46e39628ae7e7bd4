import type SQLite from 'better-sqlite3'
import { sqliteHandleOf } from '../../db/connect.js'
import type { Db } from '../../db/types.js'
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
 * Catalogue pages and single products kept in memory, on SQLite, until a product in them changes.
 * Every client reads the first pages of the catalogue and the popular products over and over,
 * and between two changes they are the same: building a page again cost four times the rest of
 * the request.
 *
 * Never stale:
 * - every write to products goes through the repository, which tells the cache inside the
 *   write's own transaction, before the write runs: with the connection held, no read can come
 *   between the notice and the write;
 * - a reader keeps what it read while it still holds the connection, right after its read, and a
 *   read runs only after this process's pending writes have committed (group-commit.ts);
 * - a write by another process (a second instance, a seed, a migration) changes SQLite's
 *   `data_version`: it is checked on every lookup (everything is dropped then), and a reader keeps
 *   nothing if it changed since before its read.
 * A change drops the product and the pages that hold it; a product added or removed also drops the
 * pages it can move into or shift (short pages, pages at or after its id) and the total.
 */
export class CataloguePages {
  readonly #pages = new Map<string, CachedPage>()
  readonly #products = new Map<number, Readonly<Product>>()
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

  /** Forgets everything if another process wrote since the last look. */
  #checkOtherWriters(): void {
    const version = this.#currentDataVersion()
    if (version !== this.#dataVersion) {
      this.#dataVersion = version
      this.#drop(() => true)
      this.#products.clear()
      this.#total = undefined
    }
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

  /**
   * SQLite's data_version now, after forgetting everything if another process wrote. Called once
   * before the lookups (page, total, product) and before reading the database; keep*() take it
   * and keep nothing if another process wrote in between.
   */
  version(): number {
    this.#checkOtherWriters()
    return this.#dataVersion
  }

  #unchangedSince(version: number): boolean {
    return this.#currentDataVersion() === version
  }

  page(key: string): CachedPage | undefined {
    return this.#pages.get(key)
  }

  keepPage(key: string, page: CachedPage, version: number): void {
    if (!this.#unchangedSince(version)) return
    const replaced = this.#pages.get(key)
    if (replaced) this.#bytes -= replaced.json.length
    if (this.#pages.size >= MAX_PAGES || this.#bytes + page.json.length > MAX_BYTES) this.#drop(() => true)
    this.#pages.set(key, page)
    this.#bytes += page.json.length
  }

  #drop(matches: (page: CachedPage) => boolean): void {
    for (const [key, page] of this.#pages) {
      if (!matches(page)) continue
      this.#pages.delete(key)
      this.#bytes -= page.json.length
    }
  }

  product(id: number): Readonly<Product> | undefined {
    return this.#products.get(id)
  }

  keepProduct(product: Readonly<Product>, version: number): void {
    if (!this.#unchangedSince(version)) return
    if (this.#products.size >= MAX_PRODUCTS) this.#products.clear()
    this.#products.set(product.id, Object.freeze(product))
  }

  total(): number | undefined {
    return this.#total
  }

  keepTotal(total: number, version: number): void {
    if (this.#unchangedSince(version)) this.#total = total
  }

  /** A product's fields or stock changed. */
  changed(id: number): void {
    this.#products.delete(id)
    this.#drop((page) => page.firstId !== undefined && page.firstId <= id && id <= page.lastId!)
  }

  /** A product was added: it has the highest id, so it can only enter pages that are not full. */
  added(): void {
    this.#total = undefined
    this.#drop((page) => page.size < page.limit)
  }

  /** A product left the catalogue: pages at or after it shift by one, short pages may change. */
  removed(id: number): void {
    this.#products.delete(id)
    this.#total = undefined
    this.#drop((page) => page.size < page.limit || page.lastId === undefined || page.lastId >= id)
  }
}

const caches = new WeakMap<SQLite.Database, CataloguePages>()

/** The page cache of `db`'s SQLite database (shared by its transactions); undefined on PostgreSQL. */
export function cataloguePagesOf(db: Db): CataloguePages | undefined {
  const sqlite = sqliteHandleOf(db)
  if (!sqlite) return undefined
  let pages = caches.get(sqlite)
  if (!pages) caches.set(sqlite, (pages = new CataloguePages(sqlite)))
  return pages
}
