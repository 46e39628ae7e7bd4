import type { EventsConfig } from '../../config.js'
import { inTransaction } from '../../db/transaction.js'
import type { Db, WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow } from '../../db/types.js'
import { countWithCache } from '../../shared/counts.js'
import { DomainError, notFound, RequestValidationError } from '../../shared/errors.js'
import type { Page } from '../../shared/pagination.js'
import { generateSecret, openSecret, sealSecret, SecretUnavailableError } from '../../shared/secrets.js'
import { nonPublicUrlProblem, urlProblem } from '../../shared/url-safety.js'
import * as repository from './repository.js'
import {
  ALL_EVENTS,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookDeliveryDetail,
  type WebhookEndpoint,
  type WebhookEndpointCreate,
  type WebhookEndpointUpdate,
  type WebhookEndpointWithSecret,
} from './schemas.js'

/** After a rotation, the previous secret signs too for this long. */
export const PREVIOUS_SECRET_VALID_MS = 24 * 60 * 60 * 1000

export function toEndpoint(row: WebhookEndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as WebhookEndpoint['events'],
    description: row.description,
    enabled: Number(row.enabled) === 1,
    disabled_reason: row.disabled_reason,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

export function toDelivery(row: WebhookDeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    endpoint_id: row.endpoint_id,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    attempts: Number(row.attempts),
    next_attempt_at: row.next_attempt_at,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

export function toAttempt(row: WebhookAttemptRow): WebhookAttempt {
  return {
    attempt: Number(row.attempt),
    started_at: row.started_at,
    duration_ms: Number(row.duration_ms),
    status_code: row.status_code,
    error: row.error,
    response_excerpt: row.response_excerpt,
  }
}

const invalid = (field: string, msg: string) =>
  new RequestValidationError([{ loc: ['body', field], msg, type: 'value_error' }])

/**
 * The checks of an endpoint's input beyond its schema: `*` stands alone; the URL is http(s) and,
 * unless private URLs are allowed (production), resolves to public addresses only. Run before the
 * write's transaction: resolving a name may take a while.
 */
export async function checkEndpointInput(
  input: { url?: string | undefined; events?: readonly string[] | undefined },
  events: EventsConfig,
): Promise<void> {
  if (input.events && input.events.length > 1 && input.events.includes(ALL_EVENTS)) {
    throw invalid('events', `"${ALL_EVENTS}" means every event type: send it alone, or list the types`)
  }
  if (input.url === undefined) return
  const problem = urlProblem(input.url)
  if (problem) throw invalid('url', problem)
  if (!events.allowPrivateUrls) {
    const refused = await nonPublicUrlProblem(input.url)
    if (refused) throw invalid('url', refused)
  }
}

/** A new endpoint with a new secret: the only answer, besides a rotation's, that shows the secret. */
export async function createEndpoint(
  db: Db,
  input: WebhookEndpointCreate,
  key: Buffer | undefined,
): Promise<WebhookEndpointWithSecret> {
  const secret = generateSecret()
  const now = new Date().toISOString()
  const row = await repository.insertEndpoint(db, {
    url: input.url,
    events: JSON.stringify(input.events ?? [ALL_EVENTS]),
    description: input.description ?? null,
    enabled: 1,
    disabled_reason: null,
    secret: sealSecret(secret, key),
    previous_secret: null,
    previous_secret_expires_at: null,
    created_at: now,
    updated_at: now,
  })
  return { ...toEndpoint(row), secret }
}

export async function getEndpoint(db: Db, id: number): Promise<WebhookEndpoint> {
  const row = await repository.findEndpoint(db, id)
  if (!row) throw notFound.webhookEndpoint()
  return toEndpoint(row)
}

export async function listEndpoints(db: Db, page: Page): Promise<{ items: WebhookEndpoint[]; total: number }> {
  // On one connection, back to back, as the other lists.
  return db.connection().execute(async (conn) => {
    const rows = await repository.listEndpoints(conn, page)
    const total = await repository.countEndpoints(conn)
    return { items: rows.map(toEndpoint), total }
  })
}

/** Changes the fields sent; enabling an endpoint clears why the service had disabled it. */
export async function updateEndpoint(db: Db, id: number, input: WebhookEndpointUpdate): Promise<WebhookEndpoint> {
  const changes = {
    ...(input.url !== undefined && { url: input.url }),
    ...(input.events !== undefined && { events: JSON.stringify(input.events) }),
    ...(input.description !== undefined && { description: input.description }),
    ...(input.enabled !== undefined && { enabled: input.enabled ? 1 : 0 }),
    ...(input.enabled === true && { disabled_reason: null }),
  }
  if (Object.keys(changes).length === 0) return getEndpoint(db, id)
  const row = await repository.updateEndpoint(db, id, { ...changes, updated_at: new Date().toISOString() })
  if (!row) throw notFound.webhookEndpoint()
  return toEndpoint(row)
}

export async function deleteEndpoint(db: Db, id: number): Promise<void> {
  if (!(await repository.deleteEndpoint(db, id))) throw notFound.webhookEndpoint()
}

/**
 * A new secret; the one it replaces keeps signing for PREVIOUS_SECRET_VALID_MS (receivers switch
 * over meanwhile). The previous secret is sealed again under the current key, so a secret stored
 * before SECRETS_ENCRYPTION_KEY was set does not stay readable; one that can no longer be opened
 * (sealed under a key since lost) could not sign anyway and is dropped.
 */
export async function rotateSecret(db: Db, id: number, key: Buffer | undefined): Promise<WebhookEndpointWithSecret> {
  return inTransaction(db, async (trx) => {
    const endpoint = await repository.lockEndpoint(trx, id)
    if (!endpoint) throw notFound.webhookEndpoint()
    const secret = generateSecret()
    const now = Date.now()
    const previous = resealed(endpoint.secret, key)
    const row = await repository.updateEndpoint(trx, id, {
      secret: sealSecret(secret, key),
      previous_secret: previous,
      previous_secret_expires_at: previous === null ? null : new Date(now + PREVIOUS_SECRET_VALID_MS).toISOString(),
      updated_at: new Date(now).toISOString(),
    })
    return { ...toEndpoint(row!), secret }
  })
}

function resealed(stored: string, key: Buffer | undefined): string | null {
  try {
    return sealSecret(openSecret(stored, key), key)
  } catch (error) {
    if (error instanceof SecretUnavailableError) return null
    throw error
  }
}

export async function listDeliveries(
  db: Db,
  filter: repository.DeliveryFilter,
  page: Page,
): Promise<{ items: WebhookDelivery[]; total: number }> {
  return db.connection().execute(async (conn) => {
    if (filter.endpointId !== undefined && !(await repository.findEndpoint(conn, filter.endpointId))) {
      throw notFound.webhookEndpoint()
    }
    const rows = await repository.listDeliveries(conn, filter, page)
    const total = await countWithCache(
      db,
      `webhook-deliveries:${filter.endpointId ?? '*'}:${filter.status ?? ''}`,
      () => repository.countDeliveries(conn, filter),
    )
    return { items: rows.map(toDelivery), total }
  })
}

export async function getDelivery(db: Db, id: number): Promise<WebhookDeliveryDetail> {
  return db.connection().execute(async (conn) => {
    const row = await repository.findDelivery(conn, id)
    if (!row) throw notFound.webhookDelivery()
    const attempts = await repository.listAttempts(conn, id)
    return { ...toDelivery(row), attempt_log: attempts.map(toAttempt) }
  })
}

/**
 * POST /webhook-deliveries/{id}/retry: the delivery becomes pending and due now, whatever its
 * status (a failed one gets one more attempt; a succeeded one is sent again). The caller then
 * wakes the dispatcher. Refused while its endpoint is disabled: nothing would be sent.
 */
export async function retryDelivery(db: Db, id: number): Promise<WebhookDelivery> {
  const row = await repository.makeDeliveryDue(db, id, new Date().toISOString())
  if (row) return toDelivery(row)
  if (!(await repository.findDelivery(db, id))) throw notFound.webhookDelivery()
  throw new DomainError('WEBHOOK_ENDPOINT_DISABLED', 'Webhook endpoint is disabled')
}
