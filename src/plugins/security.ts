import { timingSafeEqual } from 'node:crypto'
import cors from '@fastify/cors'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import helmet from 'helmet'
import { Redis } from 'ioredis'
import type { Config } from '../config.js'
import { DomainError } from '../shared/errors.js'

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** What API_KEYS protects, by method and route template: catalogue writes and order status changes. */
const NEEDS_API_KEY = new Set([
  'POST /products',
  'PUT /products/:product_id',
  'PATCH /products/:product_id',
  'DELETE /products/:product_id',
  'PUT /orders/:order_id',
  'DELETE /orders/:order_id',
])

const routeKey = (method: string, url: string | undefined) => `${method} ${url ?? ''}`

/**
 * Security headers (helmet), CORS when configured, rate limiting of writes, optional API keys.
 * Every choice that is off by default leaves the contract's curl examples working unchanged.
 */
async function securityPlugin(app: FastifyInstance, { config }: { config: Config }) {
  // helmet's middleware, built once: @fastify/helmet builds it again for every request, which cost
  // 5% of the CPU of a simple GET.
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      // The docs pages set their own policies (openapi.ts); plain HTTP on a LAN must keep working.
      directives: { upgradeInsecureRequests: null },
    },
    // Swagger UI and ReDoc load their own scripts and workers from the service.
    crossOriginEmbedderPolicy: false,
  })
  app.addHook('onRequest', (request, reply, done) =>
    securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined)),
  )

  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins.includes('*') ? true : [...config.corsOrigins],
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Content-Type', 'Authorization', 'X-Request-Id', 'X-Event-Id', 'X-Webhook-Signature'],
      exposedHeaders: ['X-Total-Count', 'Link', 'X-Request-Id', 'Retry-After'],
      maxAge: 600,
    })
  }

  if (config.rateLimit.max > 0) {
    const redis = config.rateLimit.redisUrl
      ? new Redis(config.rateLimit.redisUrl, {
          // Fail fast: a rate limiter must never be why a write hangs (skipOnError lets it through).
          connectTimeout: 500,
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
        })
      : undefined
    if (redis) {
      redis.on('error', (error) => app.log.warn({ err: error }, 'rate-limit store unavailable'))
      app.addHook('onClose', async () => {
        redis.disconnect()
      })
      // Start counting from the first request: wait (briefly) for the store before serving.
      const ready = await Promise.race([
        new Promise<boolean>((done) => redis.once('ready', () => done(true))),
        new Promise<boolean>((done) => setTimeout(() => done(false), 3000).unref()),
      ])
      if (!ready) app.log.warn('rate-limit store not reachable yet: writes are let through until it is')
    }
    await app.register(rateLimit, {
      global: true,
      max: config.rateLimit.max,
      timeWindow: config.rateLimit.windowMs,
      ...(redis && { redis, nameSpace: 'orders-inventory-rate-limit:' }),
      skipOnError: true,
      // Reads, docs and health checks are never limited; the webhook is authenticated by its HMAC
      // and a payment provider's burst of deliveries must not be refused.
      allowList: (request: FastifyRequest) =>
        !WRITES.has(request.method) || request.routeOptions.url === '/webhooks/payment',
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        message: `Too many requests: retry in ${context.after}`,
      }),
    })
  }

  if (config.apiKeys.length > 0) {
    const keys = config.apiKeys.map((key) => Buffer.from(key))
    app.addHook('onRequest', async (request, reply) => {
      if (!NEEDS_API_KEY.has(routeKey(request.method, request.routeOptions.url))) return
      const given = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1]
      if (given === undefined || !keys.some((key) => sameBytes(Buffer.from(given), key))) {
        reply.header('WWW-Authenticate', 'Bearer')
        throw new DomainError('API_KEY_REQUIRED', 'Missing or invalid API key')
      }
    })
  }

  // The OpenAPI document says which operations take the key (when the service is given keys).
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (!methods.some((method) => NEEDS_API_KEY.has(routeKey(method, route.url)))) return
    const schema = (route.schema ??= {}) as { security?: unknown; response?: Record<string, unknown> }
    schema.security = [{}, { apiKey: [] }]
    schema.response = {
      ...schema.response,
      401: {
        description: 'Missing or invalid API key (only when the service is configured with API_KEYS)',
        type: 'object',
        properties: { detail: { type: 'string' } },
        required: ['detail'],
      },
    }
  })
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

export default fp(securityPlugin, { name: 'security' })
