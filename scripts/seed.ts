/**
 * `npm run db:seed [-- COUNT]`: adds demo products (default 20) to the database named by
 * DATABASE_URL, skipping SKUs that already exist. Safe to run twice.
 */
import { ConfigError, loadConfig, loadDotEnv, redactUrl } from '../src/config.js'
import { createDb } from '../src/db/connect.js'
import { migrateDatabase } from '../src/db/migrate.js'
import { DomainError } from '../src/shared/errors.js'
import { createProduct } from '../src/modules/products/service.js'

const count = Number(process.argv[2] ?? 20)
if (!Number.isInteger(count) || count < 1) {
  console.error('usage: npm run db:seed -- [COUNT]  (a positive integer)')
  process.exit(1)
}

const names = ['Coffee mug', 'Notebook', 'Desk lamp', 'Water bottle', 'Backpack', 'Headphones', 'T-shirt', 'Pen set']

try {
  loadDotEnv()
  const config = loadConfig()
  const db = createDb(config.database)
  const where = redactUrl(config.database.url)
  try {
    await migrateDatabase(config.database, db)
    let created = 0
    for (let i = 1; i <= count; i++) {
      const name = `${names[(i - 1) % names.length]} #${i}`
      const price = Math.round((5 + ((i * 37) % 95) + ((i * 13) % 100) / 100) * 100) / 100
      try {
        await createProduct(db, { sku: `DEMO-${String(i).padStart(4, '0')}`, name, price, stock: 50 + ((i * 7) % 150) })
        created += 1
      } catch (error) {
        if (!(error instanceof DomainError && error.code === 'SKU_TAKEN')) throw error
      }
    }
    console.log(`${where}: ${created} demo products added (${count - created} already there)`)
  } finally {
    await db.destroy()
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error)
  process.exitCode = 1
}
