import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { sqliteHandleOf } from '../db/connect.js'
import { CatalogueCache } from '../modules/products/catalogue-cache.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The app's catalogue cache (modules/products/catalogue-cache.ts): passed to the products
     * service and to every use case that writes products. On PostgreSQL it serves only while the
     * catalogue listener is up (catalogue-listener.ts).
     */
    catalogueCache: CatalogueCache
  }
}

/**
 * Creates the catalogue cache over the database the db plugin opened (and migrated: nothing is
 * kept before the schema is current). On SQLite it watches that handle's data_version and lives
 * as long as it (closed by the db plugin); on PostgreSQL it is fed by the catalogue listener.
 */
async function catalogueCachePlugin(app: FastifyInstance) {
  const sqlite = sqliteHandleOf(app.db)
  app.decorate('catalogueCache', new CatalogueCache(sqlite))
}

export default fp(catalogueCachePlugin, { name: 'catalogue-cache', dependencies: ['db'] })
