/**
 * The public HTTP API, same origin, through fetch. The API key (when the service runs with
 * API_KEYS) lives in sessionStorage only: it is gone when the tab closes.
 */
import type { OrderStatus } from '../../src/shared/vocabulary'

// The service's own lists of order statuses and event types (one module, no imports).
export { EVENT_TYPES, ORDER_STATUSES, type OrderStatus } from '../../src/shared/vocabulary'

const KEY_STORAGE = 'orders-inventory-admin-key'

export const storedKey = (): string | null => sessionStorage.getItem(KEY_STORAGE)
export const storeKey = (key: string | null): void => {
  if (key) sessionStorage.setItem(KEY_STORAGE, key)
  else sessionStorage.removeItem(KEY_STORAGE)
}

/** One entry of a 422 answer: `{loc: ["body", "price"], msg}`. */
export interface FieldProblem {
  loc: (string | number)[]
  msg: string
}

/** A request that did not succeed: the API's `detail`, or what went wrong before it answered. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Validation problems by field name (the last `loc` entry), from a 422. */
    readonly fields: Record<string, string> = {},
  ) {
    super(message)
  }
}

/** Called when the API answers 401: the key is missing, wrong or was revoked. */
let onUnauthorized: () => void = () => {}
export const whenUnauthorized = (handler: () => void) => {
  onUnauthorized = handler
}

export interface Answer<T> {
  body: T
  headers: Headers
}

export async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  const key = storedKey()
  let response: Response
  try {
    response = await fetch(path, {
      method,
      headers: {
        accept: 'application/json',
        ...(body !== undefined && { 'content-type': 'application/json' }),
        ...(key && { authorization: `Bearer ${key}` }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch {
    throw new ApiError(0, 'The service did not answer: check that it is running and reachable, then retry.')
  }
  const text = await response.text()
  let parsed: unknown = undefined
  if (text && (response.headers.get('content-type') ?? '').includes('json')) {
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = undefined
    }
  }
  if (response.ok) return { body: parsed as T, headers: response.headers }
  if (response.status === 401) onUnauthorized()
  throw toError(response.status, parsed, text)
}

function toError(status: number, body: unknown, text: string): ApiError {
  const detail = (body as { detail?: unknown } | undefined)?.detail
  if (Array.isArray(detail)) {
    const fields: Record<string, string> = {}
    const loose: string[] = []
    for (const problem of detail as FieldProblem[]) {
      const field = problem.loc?.length > 1 ? String(problem.loc[problem.loc.length - 1]) : undefined
      if (field && problem.loc[0] === 'body')
        fields[field] = fields[field] ? `${fields[field]}; ${problem.msg}` : problem.msg
      else loose.push(`${problem.loc?.join('.')}: ${problem.msg}`)
    }
    const summary = loose.length > 0 ? loose.join('; ') : 'Some fields are not valid: see the messages next to them.'
    return new ApiError(status, summary, fields)
  }
  if (typeof detail === 'string') {
    if (status === 503) return new ApiError(status, `${detail} (the service is up but cannot serve this now).`)
    return new ApiError(status, detail)
  }
  return new ApiError(status, `The service answered ${status}${text ? `: ${text.slice(0, 200)}` : ''}.`)
}

export const get = <T>(path: string, headers?: Record<string, string>) => call<T>('GET', path, undefined, headers)

/** A page of a list: its items, the total when the API sent one, and the next page's path. */
export interface Page<T> {
  items: T[]
  total: number | undefined
  next: string | undefined
}

export async function getPage<T>(path: string): Promise<Page<T>> {
  const { body, headers } = await get<T[]>(path)
  const total = headers.get('x-total-count')
  return { items: body, total: total === null ? undefined : Number(total), next: nextLink(headers.get('link')) }
}

/** The path and query of the `rel="next"` link (the API may send an absolute or a relative URL). */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined
  for (const part of header.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part)
    if (match?.[1]) {
      const url = new URL(match[1], location.origin)
      return url.pathname + url.search
    }
  }
  return undefined
}

/** Builds `path?query` from the values that are set. */
export function withQuery(path: string, query: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value))
  const text = search.toString()
  return text ? `${path}?${text}` : path
}

export type Scope = 'read' | 'orders' | 'admin'
export interface Access {
  name: string | null
  scope: Scope
}

export interface Product {
  id: number
  sku: string
  name: string
  price: number
  stock: number
  low_stock_threshold: number | null
  created_at: string
  updated_at: string
}

export interface OrderLine {
  product_id: number
  quantity: number
  unit_price: number
  total: number
}

export interface Order {
  id: number
  product_id: number | null
  quantity: number
  status: OrderStatus
  total: number
  items: OrderLine[]
  expires_at: string | null
  cancel_reason: string | null
  created_at: string
  updated_at: string
}

export interface Movement {
  id: number
  product_id: number
  delta: number
  stock_after: number
  reason: string
  order_id: number | null
  reference: string | null
  actor: string | null
  created_at: string
}

export interface ServiceEvent {
  id: string
  type: string
  timestamp: string
  data: Record<string, unknown>
}

export interface Endpoint {
  id: number
  url: string
  events: string[]
  description: string | null
  enabled: boolean
  disabled_reason?: string | null
  created_at: string
  secret?: string
}

export interface Delivery {
  id: number
  endpoint_id: number
  event_id: string
  event_type: string
  status: 'pending' | 'succeeded' | 'failed'
  attempts: number
  next_attempt_at: string | null
  last_status_code: number | null
  last_error: string | null
  created_at: string
  updated_at: string
}

export interface Attempt {
  attempt: number
  started_at: string
  duration_ms: number
  status_code: number | null
  error: string | null
  response_excerpt: string | null
}

export interface DeliveryWithAttempts extends Delivery {
  attempt_log: Attempt[]
}
