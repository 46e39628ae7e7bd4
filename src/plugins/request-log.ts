import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyServerOptions, RawRequestDefaultExpression } from 'fastify'
import fp from 'fastify-plugin'

// A caller's request id is kept when it is a reasonable token, so a trace can cross services.
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/

/** X-Request-Id from the caller when it looks like one, else a new UUID. */
export function requestIdOf(request: RawRequestDefaultExpression): string {
  const given = request.headers['x-request-id']
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
}

/** Secrets never reach the logs, whatever logs a request or an error. */
export const logRedaction: NonNullable<Exclude<FastifyServerOptions['logger'], boolean>>['redact'] = {
  paths: [
    'req.headers.authorization',
    'req.headers["x-webhook-signature"]',
    'req.headers.cookie',
    'headers.authorization',
    'headers["x-webhook-signature"]',
    'err.config.password',
    'password',
    'secret',
  ],
  censor: '[redacted]',
}

/**
 * One JSON line per request, written when the response is sent: request id, method, route
 * template, URL, status and duration. Fastify's own two lines per request are turned off in app.ts.
 * Every response carries its X-Request-Id.
 */
async function requestLogPlugin(app: FastifyInstance) {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id)
  })
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode
    // Nothing is built for a line that would not be written (LOG_LEVEL=warn and above).
    const logger = request.log as unknown as { isLevelEnabled(level: string): boolean }
    if (!logger.isLevelEnabled(status >= 500 ? 'error' : 'info')) return
    const line = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      url: request.url,
      status,
      duration_ms: Math.round(reply.elapsedTime * 100) / 100,
      client: request.ip,
      ...(request.apiKeyName !== undefined && { api_key: request.apiKeyName }),
    }
    if (status >= 500) request.log.error(line, 'request')
    else request.log.info(line, 'request')
  })
}

export default fp(requestLogPlugin, { name: 'request-log' })
