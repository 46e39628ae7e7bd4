import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import { guardedLookup, isNonPublicAddress } from '../../shared/url-safety.js'

/*
 * One webhook attempt over HTTP: a POST of the stored event, answered or not within the timeout.
 * - The whole attempt (DNS, connection, headers, the start of the body) is bounded by `timeoutMs`.
 * - Redirects are not followed: a 3xx is an answer like any other non-2xx (a failed attempt), so a
 *   receiver cannot send the service to an address it would not have accepted as an endpoint.
 * - Unless private URLs are allowed, the connection's own DNS lookup refuses non-public addresses
 *   (guardedLookup), and an IP literal (which Node connects to without a lookup) is checked first.
 * - At most EXCERPT_CHARS of the answer are read and kept; the rest is not read.
 */

const EXCERPT_CHARS = 1024
const PRIVATE_HINT = 'allowed only with WEBHOOK_ALLOW_PRIVATE_URLS=true'

export interface AttemptRequest {
  url: string
  body: string
  headers: Record<string, string>
  timeoutMs: number
  allowPrivateUrls: boolean
  /** Aborted when the instance shuts down: the attempt is then given up without counting. */
  shutdown: AbortSignal
  agents: { http: http.Agent; https: https.Agent }
}

export interface AttemptResult {
  startedAt: string
  durationMs: number
  /** The receiver's status; null when none came. */
  statusCode: number | null
  /** Why the attempt failed, in one sentence; null on a 2xx. */
  error: string | null
  /** The start of the answer's body. */
  excerpt: string | null
  /** The answer's Retry-After header. */
  retryAfter: string | undefined
  /** True when the shutdown cut it short: nothing is recorded. */
  abandoned: boolean
}

/** Makes one attempt. Never rejects: every failure is an AttemptResult with its error. */
export function attemptDelivery(request: AttemptRequest): Promise<AttemptResult> {
  const startedAt = new Date().toISOString()
  const started = performance.now()
  const result = (fields: Partial<AttemptResult>): AttemptResult => ({
    startedAt,
    durationMs: Math.round(performance.now() - started),
    statusCode: null,
    error: null,
    excerpt: null,
    retryAfter: undefined,
    abandoned: false,
    ...fields,
  })

  let url: URL
  try {
    url = new URL(request.url)
  } catch {
    return Promise.resolve(result({ error: 'The endpoint URL is not valid' }))
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.resolve(result({ error: 'The endpoint URL must use http or https' }))
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  if (!request.allowPrivateUrls && isIP(host) && isNonPublicAddress(host)) {
    return Promise.resolve(
      result({ error: `Blocked: ${host} is a loopback, private or link-local address (${PRIVATE_HINT})` }),
    )
  }

  if (request.shutdown.aborted) return Promise.resolve(result({ abandoned: true, error: 'The instance shut down' }))
  // One controller per attempt, aborted by its own timer or by the shutdown (whose listener is
  // removed again, so the long-lived shutdown signal holds nothing of finished attempts).
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, request.timeoutMs)
  const onShutdown = () => controller.abort()
  request.shutdown.addEventListener('abort', onShutdown, { once: true })
  const https_ = url.protocol === 'https:'
  return new Promise((resolve) => {
    let settled = false
    const settle = (fields: Partial<AttemptResult>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      request.shutdown.removeEventListener('abort', onShutdown)
      resolve(result(fields))
    }
    // Set once the status has come: from then on the attempt is answered, whatever cuts the body short.
    let answered: (() => void) | undefined
    const failed = (error: Error) => {
      if (answered) return answered()
      if (timedOut) return settle({ error: `No answer within ${request.timeoutMs} ms` })
      if (request.shutdown.aborted) return settle({ abandoned: true, error: 'The instance shut down' })
      if ((error as { code?: string }).code === 'EBLOCKEDADDRESS') {
        return settle({ error: `Blocked: ${error.message} (${PRIVATE_HINT})` })
      }
      settle({ error: `Request failed: ${error.message || (error as { code?: string }).code || String(error)}` })
    }

    const outgoing = (https_ ? https : http).request(
      url,
      {
        method: 'POST',
        headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
        signal: controller.signal,
        agent: https_ ? request.agents.https : request.agents.http,
        ...(!request.allowPrivateUrls && { lookup: guardedLookup as never }),
      },
      (response) => {
        const statusCode = response.statusCode ?? 0
        const retryAfter = response.headers['retry-after']
        let excerpt = ''
        answered = () => {
          const ok = statusCode >= 200 && statusCode < 300
          settle({
            statusCode,
            excerpt: excerpt.slice(0, EXCERPT_CHARS),
            retryAfter,
            error: ok ? null : answerProblem(statusCode, response.headers.location),
          })
        }
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          excerpt += chunk
          if (excerpt.length >= EXCERPT_CHARS) {
            answered!()
            // Enough read: the rest of a large (or endless) answer is not waited for.
            response.destroy()
          }
        })
        response.on('end', answered)
        // Cut short (timeout or shutdown while the body streams): the status has come, and counts.
        response.on('close', answered)
        response.on('error', answered)
      },
    )
    outgoing.on('error', failed)
    outgoing.end(request.body)
  })
}

function answerProblem(statusCode: number, location: string | undefined): string {
  if (statusCode >= 300 && statusCode < 400) {
    return `The endpoint answered ${statusCode} (redirects are not followed${location ? `; Location: ${location.slice(0, 200)}` : ''})`
  }
  if (statusCode === 410) return 'The endpoint answered 410 Gone'
  return `The endpoint answered ${statusCode}`
}
