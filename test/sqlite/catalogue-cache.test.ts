import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import ts from 'typescript'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDb, sqliteHandleOf } from '../../src/db/connect.js'
import { migrateToLatest } from '../../src/db/migrate.js'
import type { Db } from '../../src/db/types.js'
import { CatalogueCache } from '../../src/modules/products/catalogue-cache.js'
import * as products from '../../src/modules/products/service.js'

/*
 * The catalogue cache is never stale only if every write to the products table tells it first
 * (catalogue-cache.ts). The products repository's writes do (writeProducts, and
 * writeProductsInOneStatement for a write that is a single statement); these tests prove
 * that nothing else in src/ writes the table, by reading the source: Kysely write builders on
 * 'products', raw SQL that writes it, and sql.table/sql.id('products') for raw statements.
 */

const REPOSITORY = 'src/modules/products/repository.ts'
// Migrations run before the server's cache exists (the db plugin migrates first), or in another
// process, whose writes the cache sees through data_version.
const MIGRATIONS = 'src/db/migrations/'

const WRITE_BUILDERS = new Set(['insertInto', 'replaceInto', 'updateTable', 'deleteFrom', 'mergeInto'])
const RAW_NAMES = new Set(['table', 'id'])
const RAW_WRITE =
  /\b(insert(\s+or\s+\w+)?\s+into|replace\s+into|update(\s+or\s+\w+)?|delete\s+from|truncate(\s+table)?|alter\s+table|drop\s+table)\s+["`[]?products\b/i
const NOTICES = new Set(['added', 'changed', 'removed'])
/** The repository's wrappers that tell the cache, each called as (db, cache, notice, write). */
const NOTIFYING_WRITES = new Set(['writeProducts', 'writeProductsInOneStatement'])

interface ProductsWrite {
  file: string
  line: number
  code: string
  /** The function declaration it is in, if any. */
  inFunction: string | undefined
  /** Why it may write: a notifying repository function, a migration; undefined when it may not. */
  allowedAs: string | undefined
}

const isProductsTable = (node: ts.Expression | undefined) =>
  node !== undefined && ts.isStringLiteralLike(node) && /^products(\s+as\s+\w+)?$/i.test(node.text)

/** Whether `node` is (in) the write callback of a writeProducts(db, cache, notice, write) call (or the like) whose notice notifies. */
function insideNotifyingWrite(node: ts.Node): boolean {
  for (let at: ts.Node = node; at.parent; at = at.parent) {
    const call = at.parent
    if (!ts.isCallExpression(call) || !ts.isIdentifier(call.expression) || !NOTIFYING_WRITES.has(call.expression.text))
      continue
    const [, , notice, write] = call.arguments
    return at === write && notice !== undefined && notifies(notice)
  }
  return false
}

/** `(catalogueCache) => catalogueCache.added()` (or changed/removed): a notice that does notify. */
function notifies(notice: ts.Expression): boolean {
  if (!ts.isArrowFunction(notice) || !ts.isCallExpression(notice.body)) return false
  const callee = notice.body.expression
  return ts.isPropertyAccessExpression(callee) && NOTICES.has(callee.name.text)
}

/** Every place in `source` that writes the products table (or could, without this scan seeing which table). */
function productsWritesIn(file: string, source: string): ProductsWrite[] {
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true)
  const found: ProductsWrite[] = []
  const record = (node: ts.Node) => {
    let allowedAs: string | undefined
    if (file.startsWith(MIGRATIONS)) allowedAs = 'migration'
    else if (file === REPOSITORY && insideNotifyingWrite(node)) allowedAs = 'notifying repository write'
    const at = ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) ? node.expression.name : node
    const { line } = sourceFile.getLineAndCharacterOfPosition(at.getStart())
    const code = source.split('\n')[line]!.trim()
    let inFunction: string | undefined
    for (let up = node.parent; up && !inFunction; up = up.parent) {
      if (ts.isFunctionDeclaration(up)) inFunction = up.name?.text
    }
    found.push({ file, line: line + 1, code, inFunction, allowedAs })
  }
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text
      const [table] = node.arguments
      // A table named by anything but a literal cannot be checked here: it counts as a write.
      if (WRITE_BUILDERS.has(method) && (isProductsTable(table) || !table || !ts.isStringLiteralLike(table)))
        record(node)
      const owner = node.expression.expression
      if (RAW_NAMES.has(method) && ts.isIdentifier(owner) && owner.text === 'sql' && isProductsTable(table))
        record(node)
    }
    if (
      (ts.isStringLiteralLike(node) ||
        ts.isTemplateHead(node) ||
        ts.isTemplateMiddle(node) ||
        ts.isTemplateTail(node)) &&
      RAW_WRITE.test(node.text)
    ) {
      record(node)
    }
    ts.forEachChild(node, visit)
  }
  visit(sourceFile)
  return found
}

function sourceFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((name) => name.endsWith('.ts'))
    .map((name) => relative(process.cwd(), join(dir, name)).split(sep).join('/'))
}

describe('writes to the products table', () => {
  const everyWrite = sourceFiles('src').flatMap((file) => productsWritesIn(file, readFileSync(file, 'utf8')))

  it('when src/ is read, then only the products repository writes products, each write after a notice', () => {
    expect(everyWrite.filter((write) => !write.allowedAs)).toEqual([])
  })

  it('when the repository is read, then its seven writes are found inside a notifying write (the scan sees them)', () => {
    const repositoryWrites = everyWrite.filter((write) => write.file === REPOSITORY)
    expect(repositoryWrites.map((write) => write.inFunction)).toEqual([
      'insertProduct',
      'updateLiveProduct',
      'adjustStock',
      'softDeleteProduct',
      'takeStock',
      'placeOneLineOrder',
      'returnStock',
    ])
    expect(repositoryWrites.every((write) => write.allowedAs === 'notifying repository write')).toBe(true)
  })

  it('when a stray write is added anywhere, then the scan finds it', () => {
    const stray = [
      "await trx.updateTable('products').set({ stock: 0 }).execute()",
      "await db.insertInto('products as p').values(row).execute()",
      "await db.deleteFrom('products').execute()",
      'await db.updateTable(table).set({ stock: 0 }).execute()',
      'await sql`UPDATE products SET stock = 0`.execute(db)',
      'await sql`update ${sql.table(`products`)} set stock = 0`.execute(db)',
      "sqlite.prepare('insert or replace into \"products\" (sku) values (?)').run('x')",
      "sqlite.exec('delete from products')",
    ]
    for (const line of stray) {
      const found = productsWritesIn('src/modules/orders/service.ts', `async function f() { ${line} }`)
      expect(found.length, line).toBeGreaterThan(0)
      expect(
        found.every((write) => !write.allowedAs),
        line,
      ).toBe(true)
    }
    // In the repository too, a write outside writeProducts, or with a notice that tells nothing.
    const unnoticed = [
      "export const f = (db) => db.updateTable('products').set({ stock: 0 }).execute()",
      "export const f = (db, c) => writeProducts(db, c, () => {}, (db) => db.deleteFrom('products').execute())",
      "export const f = (db, c) => writeProducts(db, c, (c) => c.added(), async () => {}).then(() => db.deleteFrom('products').execute())",
      "export const f = (db, c) => writeProductsInOneStatement(db, c, () => {}, (db) => db.deleteFrom('products').execute())",
    ]
    for (const source of unnoticed)
      expect(
        productsWritesIn(REPOSITORY, source).map((w) => w.allowedAs),
        source,
      ).toEqual([undefined])
  })

  it('when products are only read, then the scan finds nothing', () => {
    const reads = [
      "db.selectFrom('products').selectAll().execute()",
      "db.updateTable('orders').set({ status: 'PAID' }).execute()",
      'sql`select * from products where id = ${id}`',
      "const note = 'the update of products is told to the cache'",
    ]
    for (const line of reads) expect(productsWritesIn('src/modules/orders/service.ts', line), line).toEqual([])
  })
})

describe('the catalogue cache, below HTTP (real SQLite files)', () => {
  const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))
  let dir: string
  let db: Db
  let catalogueCache: CatalogueCache
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'orders-catalogue-cache-'))
    db = createDb({
      url: `sqlite:${join(dir, 'db.sqlite')}`,
      poolSize: 1,
      statementTimeoutMs: 0,
      connectTimeoutMs: 1000,
    })
    await migrateToLatest(db)
    catalogueCache = new CatalogueCache(sqliteHandleOf(db)!)
  })
  afterEach(async () => {
    await db.destroy().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  })

  it('when a read of a product waits behind a transaction and an update queues after it, then the update wins in the cache too', async () => {
    const product = await products.createProduct(
      db,
      { sku: 'RACE-1', name: 'race', price: 10, stock: 5 },
      catalogueCache,
    )
    await products.getProduct(db, product.id, catalogueCache)
    const holder = db.transaction().execute(async (trx) => {
      await trx.selectFrom('products').selectAll().execute()
      await sleep(20)
    })
    await sleep(1)
    const read = products.getProduct(db, product.id, catalogueCache)
    const update = products.updateProduct(db, product.id, { price: 99 }, catalogueCache)
    await Promise.all([holder, read, update])
    expect([undefined, 99]).toContain(catalogueCache.product(product.id)?.price)
    expect((await products.getProduct(db, product.id, catalogueCache)).price).toBe(99)
  })

  it('when a product is read twice, then the second answer is the kept one, until a write drops it', async () => {
    const product = await products.createProduct(
      db,
      { sku: 'KEPT-1', name: 'kept', price: 10, stock: 5 },
      catalogueCache,
    )
    const first = await products.getProduct(db, product.id, catalogueCache)
    expect(await products.getProduct(db, product.id, catalogueCache)).toBe(first)
    await products.updateProduct(db, product.id, { stock: 4 }, catalogueCache)
    expect(catalogueCache.product(product.id)).toBeUndefined()
    expect((await products.getProduct(db, product.id, catalogueCache)).stock).toBe(4)
  })

  it('when another connection writes, then the next lookup forgets everything', async () => {
    const product = await products.createProduct(
      db,
      { sku: 'OTHER-1', name: 'other', price: 10, stock: 5 },
      catalogueCache,
    )
    await products.getProduct(db, product.id, catalogueCache)
    const page = { limit: 10, offset: 0, afterId: undefined }
    await products.listProducts(db, page, catalogueCache)
    expect(catalogueCache.product(product.id)).toBeDefined()
    const other = createDb({
      url: `sqlite:${join(dir, 'db.sqlite')}`,
      poolSize: 1,
      statementTimeoutMs: 0,
      connectTimeoutMs: 1000,
    })
    try {
      await products.updateProduct(other, product.id, { stock: 1 })
    } finally {
      await other.destroy()
    }
    expect(catalogueCache.product(product.id)).toBeUndefined()
    expect(catalogueCache.page('10:0:')).toBeUndefined()
    expect(catalogueCache.total()).toBeUndefined()
    expect(JSON.parse(String((await products.listProducts(db, page, catalogueCache)).json))[0].stock).toBe(1)
  })
})
