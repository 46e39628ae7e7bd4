import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import FindMyWay, { type HTTPMethod } from 'find-my-way'
import { isConstraintViolation, isDatabaseUnavailable, isStorageFull } from '../db/errors.js'
import { DomainError, RequestValidationError, type ValidationIssue } from '../shared/errors.js'
import { toValidationIssues } from '../shared/validation.js'

/**
 * The one place where failures become HTTP: domain errors keep their status and message,
 * Fastify's own errors get the contract's bodies, and anything unexpected is a 500 whose
 * details stay in the log.
 */
async function errorsPlugin(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    // A body that failed to parse on an unknown route: the route is what is wrong.
    if (request.is404) return answerNoRoute(request, reply)
    const { status, body, retryAfter = 1 } = toHttp(error, request)
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ code: (error as { code?: string }).code, status }, error.message)
    if (status === 503) reply.header('Retry-After', String(retryAfter))
    return reply.code(status).send(body)
  })

  // Fastify answers an unknown method on a known path with 404; the contract wants 405 and Allow.
  const knownRoutes = FindMyWay({ ignoreTrailingSlash: true })
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const method of methods) {
      try {
        knownRoutes.on(method as HTTPMethod, route.url, () => undefined)
      } catch {
        // the same method and path can be registered twice (with and without a slash): once is enough
      }
    }
  })

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => answerNoRoute(request, reply))

  function answerNoRoute(request: FastifyRequest, reply: FastifyReply) {
    const path = request.url.split('?')[0] ?? '/'
    const allowed = (['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const).filter(
      (method) => knownRoutes.find(method, path) !== null,
    )
    if (allowed.length > 0) {
      return reply.code(405).header('Allow', allowed.join(', ')).send({ detail: 'Method Not Allowed' })
    }
    return reply.code(404).send({ detail: 'Not Found' })
  }
}

interface HttpFailure {
  status: number
  body: { detail: string | ValidationIssue[] }
  /** Seconds, for a 503; 1 unless said. */
  retryAfter?: number
}

// A full disk is not freed within a second: clients are asked to come back later (the instance's
// /ready says "storage full" meanwhile, see plugins/db.ts).
const STORAGE_FULL_RETRY_AFTER_S = 30

const missingBody: ValidationIssue[] = [{ loc: ['body'], msg: 'Field required', type: 'missing' }]

function toHttp(error: FastifyError, request: FastifyRequest): HttpFailure {
  if (error instanceof DomainError) return { status: error.statusCode, body: { detail: error.message } }
  if (error instanceof RequestValidationError) return { status: 422, body: { detail: error.issues } }
  if (error.validation) {
    if (error.validationContext === 'body' && request.body === undefined)
      return { status: 422, body: { detail: missingBody } }
    return { status: 422, body: { detail: toValidationIssues(error.validationContext ?? 'body', error.validation) } }
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 422, body: { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] } }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 422, body: { detail: missingBody } }
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { detail: 'Request body is too large' } }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: { detail: 'Unsupported media type: send Content-Type: application/json' } }
  }
  if (isStorageFull(error)) {
    return {
      status: 503,
      body: { detail: 'Database storage is full, please retry later' },
      retryAfter: STORAGE_FULL_RETRY_AFTER_S,
    }
  }
  if (isDatabaseUnavailable(error)) return { status: 503, body: { detail: 'Database unavailable, please retry' } }
  if (isConstraintViolation(error)) {
    return {
      status: 422,
      body: { detail: [{ loc: ['body'], msg: 'Value violates a data constraint', type: 'value_error' }] },
    }
  }
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) return { status, body: { detail: error.message } }
  return { status: 500, body: { detail: 'Internal Server Error' } }
}

export default fp(errorsPlugin, { name: 'errors' })
