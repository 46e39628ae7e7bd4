/** Every failure the domain can report, with the HTTP status it maps to. */
const statusByCode = {
  PRODUCT_NOT_FOUND: 404,
  ORDER_NOT_FOUND: 404,
  SKU_TAKEN: 409,
  INSUFFICIENT_STOCK: 409,
  PRODUCT_HAS_ACTIVE_ORDERS: 400,
  INVALID_STATUS_TRANSITION: 400,
  ORDER_NOT_CANCELABLE: 400,
  MISSING_SIGNATURE: 401,
  INVALID_SIGNATURE: 403,
  INVALID_PAYLOAD: 400,
  PAYMENT_AMOUNT_MISMATCH: 422,
  ORDER_CANCELED: 409,
  CONCURRENT_UPDATE: 409,
  API_KEY_REQUIRED: 401,
  INSUFFICIENT_SCOPE: 403,
  EVENT_ID_CONFLICT: 409,
  WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE: 403,
  CURRENCY_MISMATCH: 422,
  STOCK_CHANGED: 409,
  WEBHOOK_ENDPOINT_NOT_FOUND: 404,
  WEBHOOK_DELIVERY_NOT_FOUND: 404,
  WEBHOOK_ENDPOINT_DISABLED: 409,
} as const

export type DomainErrorCode = keyof typeof statusByCode

export class DomainError extends Error {
  override name = 'DomainError'
  readonly statusCode: number

  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message)
    this.statusCode = statusByCode[code]
  }
}

/** One item of a FastAPI-shaped validation error list. */
export interface ValidationIssue {
  loc: (string | number)[]
  msg: string
  type: string
}

/** Request input that failed validation outside Fastify's schema step (the raw-body webhook). */
export class RequestValidationError extends Error {
  override name = 'RequestValidationError'
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.map((issue) => `${issue.loc.join('.')}: ${issue.msg}`).join('; '))
  }
}

export const notFound = {
  product: () => new DomainError('PRODUCT_NOT_FOUND', 'Product not found'),
  order: () => new DomainError('ORDER_NOT_FOUND', 'Order not found'),
  webhookEndpoint: () => new DomainError('WEBHOOK_ENDPOINT_NOT_FOUND', 'Webhook endpoint not found'),
  webhookDelivery: () => new DomainError('WEBHOOK_DELIVERY_NOT_FOUND', 'Webhook delivery not found'),
}
