import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { sqliteHandleOf } from '../db/connect.js'
import { CatalogueCache } from '../modules/products/catalogue-cache.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The catalogue cache of this app's SQLite database (modules/products/catalogue-cache.ts):
     * passed to the products service and to every use case that writes products. Undefined on
     * PostgreSQL.
     */
    catalogueCache: CatalogueCache | undefined
  }
}

/**
 * Creates the catalogue cache over the database the db plugin opened (and migrated: nothing is
 * kept before the schema is current). It lives as long as that database handle; the handle is
 * closed by the db plugin.
 */
async function catalogueCachePlugin(app: FastifyInstance) {
  const sqlite = sqliteHandleOf(app.db)
  app.decorate('catalogueCache', sqlite ? new CatalogueCache(sqlite) : undefined)
}

export default fp(catalogueCachePlugin, { name: 'catalogue-cache', dependencies: ['db'] })
