import cors from '@fastify/cors'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import helmet from 'helmet'
import { Redis } from 'ioredis'
import type { Config } from '../config.js'

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
/** A write waits at most this long for Redis before it is let through. */
const REDIS_COMMAND_TIMEOUT_MS = 500

/**
 * Security headers (helmet), CORS when configured, rate limiting of writes when configured (API
 * keys are access.ts). Every choice that is off by default leaves the contract's curl examples
 * working unchanged.
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
      allowedHeaders: [
        'Content-Type',
        'Authorization',
        'X-Request-Id',
        'X-Event-Id',
        'X-Webhook-Signature',
        'Idempotency-Key',
        'If-Match',
        'If-None-Match',
      ],
      exposedHeaders: ['X-Total-Count', 'Link', 'X-Request-Id', 'Retry-After', 'Idempotent-Replayed', 'ETag'],
      maxAge: 600,
    })
  }

  if (config.rateLimit.max > 0) {
    const redis = config.rateLimit.redisUrl
      ? new Redis(config.rateLimit.redisUrl, {
          // Fail fast: a rate limiter must never be why a write hangs (skipOnError lets it through).
          // Without commandTimeout, a Redis that accepts connections but stopped answering (frozen,
          // swapping, a half-open connection) would hold every write forever.
          connectTimeout: 500,
          commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
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
      // Each backend calling the service (the storefront, the back office) is one API key, often
      // behind one address: counting by key keeps one busy caller from throttling the others.
      keyGenerator: (request: FastifyRequest) =>
        request.apiKeyName === undefined ? `ip:${request.ip}` : `key:${request.apiKeyName}`,
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
}

export default fp(securityPlugin, { name: 'security' })
