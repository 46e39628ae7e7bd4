import { createHash } from 'node:crypto'
import type { Db } from '../../db/types.js'
import { DomainError, notFound, RequestValidationError } from '../../shared/errors.js'
import { parseJson } from '../../shared/json.js'
import { fromCents, hasAtMostTwoDecimals, toCents } from '../../shared/money.js'
import { compileBodyValidator, toValidationIssues } from '../../shared/validation.js'
import { lockOrder } from '../orders/repository.js'
import { moveOrder } from '../orders/service.js'
import * as events from './repository.js'
import { PaymentEvent, type WebhookResult } from './schemas.js'
import { verifySignature } from './signature.js'

const PAYMENT_SUCCEEDED = 'payment.succeeded'
const OPTIONAL_FIELDS = ['event', 'event_type', 'amount', 'currency', 'payment_id', 'event_id', 'id']
const validatePaymentEvent = compileBodyValidator(PaymentEvent)

export interface Delivery {
  /** The raw request body: the signature covers these exact bytes. */
  body: Buffer
  signature: string | undefined
  eventIdHeader: string | undefined
}

/** One webhook delivery: authenticate it, read it, then apply it once. */
export async function receivePaymentWebhook(
  db: Db,
  secrets: readonly string[],
  delivery: Delivery,
): Promise<WebhookResult> {
  verifySignature(delivery.signature, delivery.body, secrets)
  const event = parsePaymentEvent(delivery.body)
  const eventId = eventIdentity(delivery.eventIdHeader, event, delivery.body)
  return applyPaymentEvent(db, eventId, event)
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

/** X-Event-Id, else the body's event_id or id, else a hash of the raw body. */
function eventIdentity(header: string | undefined, event: PaymentEvent, body: Buffer): string {
  // Node hands header bytes over as latin1 and joins repeated headers with ", ": undo both.
  const fromHeader = header
    ? Buffer.from(header.split(',')[0] ?? '', 'latin1')
        .toString('utf8')
        .trim()
    : ''
  if (fromHeader) {
    if (fromHeader.length > 200) {
      throw new RequestValidationError([
        { loc: ['header', 'x-event-id'], msg: 'String should have at most 200 characters', type: 'string_too_long' },
      ])
    }
    return fromHeader
  }
  const fromBody = event.event_id ?? event.id
  if (fromBody !== undefined) return String(fromBody)
  return `sha256:${createHash('sha256').update(body).digest('hex')}`
}

/**
 * Applies one delivery. The event record and the order change commit together; when the outcome
 * is an error the transaction rolls back, so the provider's retry is evaluated afresh.
 */
async function applyPaymentEvent(db: Db, eventId: string, event: ParsedEvent): Promise<WebhookResult> {
  return db.transaction().execute(async (trx) => {
    const orderId = event.order_id
    const firstDelivery = await events.recordEvent(
      trx,
      { event_id: eventId, event_type: event.type, order_id: orderId },
      new Date().toISOString(),
    )
    if (!firstDelivery) {
      const previous = await events.findEvent(trx, eventId)
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
    const totalCents = order.unit_price_cents * order.quantity
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
