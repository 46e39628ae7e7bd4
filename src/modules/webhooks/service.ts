import { createHash } from 'node:crypto'
import type { Db } from '../../db/types.js'
import { DomainError, notFound, RequestValidationError } from '../../shared/errors.js'
import { parseJson } from '../../shared/json.js'
import { fromCents, hasAtMostTwoDecimals, toCents } from '../../shared/money.js'
import { compileBodyValidator, toValidationIssues } from '../../shared/validation.js'
import { lockOrder } from '../orders/repository.js'
import { isPastHold, moveOrder } from '../orders/service.js'
import { firstRawHeader, identityFromHeader } from './headers.js'
import * as events from './repository.js'
import { PaymentEvent, type WebhookResult } from './schemas.js'
import { verifySignature, verifyStandardSignature } from './signature.js'
import { inTransaction } from '../../db/transaction.js'

const PAYMENT_SUCCEEDED = 'payment.succeeded'
const OPTIONAL_FIELDS = ['event', 'event_type', 'amount', 'currency', 'payment_id', 'event_id', 'id']
const validatePaymentEvent = compileBodyValidator(PaymentEvent)

export interface WebhookSettings {
  /** WEBHOOK_SECRET: any one verifies (rotation). */
  secrets: readonly string[]
  /** CURRENCY: a payment naming another currency is refused. */
  currency: string
  /** WEBHOOK_TOLERANCE_SECONDS: how far `webhook-timestamp` may be from now. */
  toleranceSeconds: number
}

export interface Delivery {
  /** The raw request body: the signature covers these exact bytes. */
  body: Buffer
  /** Node's `rawHeaders`: names and values alternately, repeats kept apart, values as latin1. */
  rawHeaders: readonly string[]
}

/**
 * One webhook delivery: authenticate it, read it, then apply it once. The order of the checks is
 * part of the contract: signature (401/403, tolerance 403), body (400/422), identity header (422),
 * currency (422), then in one transaction the identity (duplicate / 409) and the order (404/409/422).
 */
export async function receivePaymentWebhook(
  db: Db,
  settings: WebhookSettings,
  delivery: Delivery,
): Promise<WebhookResult> {
  const identityHeader = authenticate(delivery, settings)
  const event = parsePaymentEvent(delivery.body)
  const eventId = eventIdentity(identityHeader, event, delivery.body)
  if (event.currency !== undefined && event.currency.toUpperCase() !== settings.currency) {
    // ISO 4217 codes are compared without case: providers such as Stripe send `usd`.
    throw new DomainError(
      'CURRENCY_MISMATCH',
      `Payment currency ${JSON.stringify(event.currency)} does not match the store currency ${JSON.stringify(settings.currency)}`,
    )
  }
  return applyPaymentEvent(db, eventId, event)
}

/**
 * Verifies the delivery's signature and says which header carries its identity.
 *
 * Two styles: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`) and the
 * original `X-Webhook-Signature` over the body alone. When `webhook-signature` is present (and not
 * empty) the Standard Webhooks headers decide and `X-Webhook-Signature`/`X-Event-Id` are ignored;
 * without it, a stray `webhook-id` or `webhook-timestamp` is ignored and the original style applies.
 * Neither signature header: 401.
 */
function authenticate(delivery: Delivery, settings: WebhookSettings): { name: string; raw: string | undefined } {
  const header = (name: string) => firstRawHeader(delivery.rawHeaders, name)
  const standardSignature = header('webhook-signature')
  if (standardSignature) {
    const id = header('webhook-id')
    verifyStandardSignature(
      { id, timestamp: header('webhook-timestamp'), signature: standardSignature },
      delivery.body,
      settings.secrets,
      settings.toleranceSeconds,
    )
    // Signed together with the body: this identity cannot be detached from it.
    return { name: 'webhook-id', raw: id }
  }
  verifySignature(header('x-webhook-signature'), delivery.body, settings.secrets)
  // Not covered by this style's signature: whoever holds a signed body can choose it.
  return { name: 'x-event-id', raw: header('x-event-id') }
}

type ParsedEvent = PaymentEvent & { type: string }

/** Reads the (already authenticated) raw body: JSON, an object, the documented fields. */
function parsePaymentEvent(body: Buffer): ParsedEvent {
  let payload: unknown
  try {
    payload = parseJson(body.toString('utf8'))
  } catch {
    throw new DomainError('INVALID_PAYLOAD', 'Invalid JSON payload')
  }
  // Optional fields sent as null mean "not given", as with FastAPI's Optional[...] = None.
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    const fields = payload as Record<string, unknown>
    for (const key of OPTIONAL_FIELDS) if (fields[key] === null) delete fields[key]
  }
  if (!validatePaymentEvent(payload)) {
    throw new RequestValidationError(toValidationIssues('body', validatePaymentEvent.errors ?? []))
  }
  const event = payload as PaymentEvent
  const type = event.event ?? event.event_type
  if (type === undefined) {
    throw new RequestValidationError([{ loc: ['body', 'event'], msg: 'Field required', type: 'missing' }])
  }
  return { ...event, type }
}

/** The identity header (webhook-id or X-Event-Id), else the body's event_id or id, else a hash of the raw body. */
function eventIdentity(header: { name: string; raw: string | undefined }, event: PaymentEvent, body: Buffer): string {
  const fromHeader = header.raw === undefined ? undefined : identityFromHeader(header.raw, header.name)
  if (fromHeader !== undefined) return fromHeader
  const fromBody = event.event_id ?? event.id
  if (fromBody !== undefined) return String(fromBody)
  return `sha256:${createHash('sha256').update(body).digest('hex')}`
}

/**
 * Applies one delivery. The event record and the order change commit together; when the outcome
 * is an error the transaction rolls back, so the provider's retry is evaluated afresh.
 */
async function applyPaymentEvent(db: Db, eventId: string, event: ParsedEvent): Promise<WebhookResult> {
  return inTransaction(db, async (trx) => {
    const orderId = event.order_id
    const firstDelivery = await events.recordEvent(
      trx,
      { event_id: eventId, event_type: event.type, order_id: orderId },
      new Date().toISOString(),
    )
    if (!firstDelivery) {
      const previous = await events.findEvent(trx, eventId)
      // An identity is one event: reused for another order or type, it is a conflict, not a repeat.
      if (previous && (previous.order_id !== orderId || previous.event_type !== event.type)) {
        throw new DomainError('EVENT_ID_CONFLICT', 'Event id already used for a different event')
      }
      return { status: 'duplicate', event_id: eventId, order_id: previous?.order_id ?? orderId }
    }
    if (event.type !== PAYMENT_SUCCEEDED) {
      return { status: 'ignored', event_id: eventId, order_id: orderId, reason: `Unhandled event type: ${event.type}` }
    }

    const order = await lockOrder(trx, orderId)
    if (!order) throw notFound.order()
    if (order.status === 'PAID' || order.status === 'SHIPPED') {
      return { status: 'ignored', event_id: eventId, order_id: orderId, reason: `Order already ${order.status}` }
    }
    if (order.status === 'CANCELED') {
      throw new DomainError('ORDER_CANCELED', 'Cannot mark a canceled order as paid')
    }
    // Checked under the order's lock, so it holds even before the sweep has expired the order.
    if (isPastHold(order)) throw new DomainError('ORDER_CANCELED', 'Order expired: it can no longer be paid')
    const totalCents = order.total_cents
    if (event.amount !== undefined && !(hasAtMostTwoDecimals(event.amount) && toCents(event.amount) === totalCents)) {
      throw new DomainError(
        'PAYMENT_AMOUNT_MISMATCH',
        `Payment amount ${event.amount} does not match order total ${fromCents(totalCents).toFixed(2)}`,
      )
    }
    await moveOrder(trx, order, 'PAID')
    return { status: 'processed', event_id: eventId, order_id: orderId, new_status: 'PAID' }
  })
}
