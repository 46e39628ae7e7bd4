import { sql, type Insertable, type Updateable } from 'kysely'
import type {
  Db,
  DeliveryStatus,
  WebhookAttemptRow,
  WebhookDeliveryRow,
  WebhookEndpointRow,
  WebhookEndpointsTable,
} from '../../db/types.js'
import type { Page } from '../../shared/pagination.js'
import { openSecret } from '../../shared/secrets.js'

/** SQL for webhook endpoints and their deliveries, as managed through the API. */

export async function insertEndpoint(db: Db, values: Insertable<WebhookEndpointsTable>): Promise<WebhookEndpointRow> {
  return db.insertInto('webhook_endpoints').values(values).returningAll().executeTakeFirstOrThrow()
}

export async function findEndpoint(db: Db, id: number): Promise<WebhookEndpointRow | undefined> {
  return db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst()
}

/** The endpoint, locked until the transaction ends (PostgreSQL; SQLite's writer lock serialises anyway). */
export async function lockEndpoint(db: Db, id: number): Promise<WebhookEndpointRow | undefined> {
  return db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
}

export async function listEndpoints(db: Db, page: Page): Promise<WebhookEndpointRow[]> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .$if(page.afterId !== undefined, (query) => query.where('id', '>', page.afterId!))
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)
    .execute()
}

export async function countEndpoints(db: Db): Promise<number> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow()
  return Number(row.total)
}

export async function updateEndpoint(
  db: Db,
  id: number,
  changes: Updateable<WebhookEndpointsTable>,
): Promise<WebhookEndpointRow | undefined> {
  return db.updateTable('webhook_endpoints').set(changes).where('id', '=', id).returningAll().executeTakeFirst()
}

/** Deletes the endpoint; its deliveries and their attempts go with it (the foreign keys cascade). */
export async function deleteEndpoint(db: Db, id: number): Promise<boolean> {
  const result = await db.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/**
 * What the dispatcher needs to deliver to an endpoint: its URL, whether it is enabled, and the
 * secrets that sign now, opened: the current one first, then the previous one while it has not
 * expired (after a rotation both sign). Undefined when the endpoint was deleted. Throws
 * SecretUnavailableError when the current secret is sealed and `key` cannot open it; a previous
 * secret that cannot be opened is left out.
 */
export async function findEndpointForDelivery(
  db: Db,
  endpointId: number,
  key: Buffer | undefined,
  now: Date = new Date(),
): Promise<{ url: string; enabled: boolean; secrets: string[] } | undefined> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .select(['url', 'enabled', 'secret', 'previous_secret', 'previous_secret_expires_at'])
    .where('id', '=', endpointId)
    .executeTakeFirst()
  if (!row) return undefined
  const secrets = [openSecret(row.secret, key)]
  const previousValid =
    row.previous_secret !== null &&
    row.previous_secret_expires_at !== null &&
    Date.parse(row.previous_secret_expires_at) > now.getTime()
  if (previousValid) {
    try {
      secrets.push(openSecret(row.previous_secret!, key))
    } catch {
      // Sealed under a key that is gone: the current secret still signs.
    }
  }
  return { url: row.url, enabled: Number(row.enabled) === 1, secrets }
}

export interface DeliveryFilter {
  /** Undefined: every endpoint's deliveries. */
  endpointId?: number | undefined
  status?: DeliveryStatus | undefined
}

export async function listDeliveries(db: Db, filter: DeliveryFilter, page: Page): Promise<WebhookDeliveryRow[]> {
  return db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .$if(filter.endpointId !== undefined, (query) => query.where('endpoint_id', '=', filter.endpointId!))
    .$if(filter.status !== undefined, (query) => query.where('status', '=', filter.status!))
    .$if(page.afterId !== undefined, (query) => query.where('id', '>', page.afterId!))
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)
    .execute()
}

export async function countDeliveries(db: Db, filter: DeliveryFilter): Promise<number> {
  const row = await db
    .selectFrom('webhook_deliveries')
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .$if(filter.endpointId !== undefined, (query) => query.where('endpoint_id', '=', filter.endpointId!))
    .$if(filter.status !== undefined, (query) => query.where('status', '=', filter.status!))
    .executeTakeFirstOrThrow()
  return Number(row.total)
}

export async function findDelivery(db: Db, id: number): Promise<WebhookDeliveryRow | undefined> {
  return db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function listAttempts(db: Db, deliveryId: number): Promise<WebhookAttemptRow[]> {
  return db.selectFrom('webhook_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('id').execute()
}

/**
 * Makes a delivery pending and due at `now`, in one statement, if its endpoint is enabled. Its
 * lease is cleared only when it has run out: an attempt in flight keeps its claim (its outcome is
 * recorded as usual) and the delivery, due again, is sent once more after it. Undefined when no
 * such delivery exists or its endpoint is disabled.
 */
export async function makeDeliveryDue(db: Db, id: number, now: string): Promise<WebhookDeliveryRow | undefined> {
  return db
    .updateTable('webhook_deliveries')
    .set({
      status: 'pending',
      next_attempt_at: now,
      lease_until: sql<
        string | null
      >`case when lease_until is null or lease_until <= ${now} then null else lease_until end`,
      updated_at: now,
    })
    .where('id', '=', id)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('webhook_endpoints')
          .select('webhook_endpoints.id')
          .whereRef('webhook_endpoints.id', '=', 'webhook_deliveries.endpoint_id')
          .where('webhook_endpoints.enabled', '=', 1),
      ),
    )
    .returningAll()
    .executeTakeFirst()
}
