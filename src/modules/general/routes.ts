import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { described, errorResponse } from '../../shared/schemas.js'

export interface GeneralOptions {
  version: string
}

const Link = (path: string) => Type.String({ examples: [path] })
const ServiceInfo = Type.Object({
  message: Type.String({ examples: ['Orders & Inventory Microservice'] }),
  version: Type.String({ examples: ['1.0.0'] }),
  docs: Link('/docs'),
  redoc: Link('/redoc'),
  health: Link('/health'),
  openapi: Link('/openapi.json'),
  ready: Link('/ready'),
})

const Health = Type.Object({
  status: Type.String({ examples: ['healthy'] }),
  service: Type.String({ examples: ['orders-inventory'] }),
  version: Type.String({ examples: ['1.0.0'] }),
  uptime_seconds: Type.Number({ examples: [3600] }),
})
const Access = Type.Object(
  {
    name: Type.Unsafe<string | null>({
      type: ['string', 'null'],
      description: "The API key's name; null when the service runs without API_KEYS",
      examples: ['console'],
    }),
    scope: Type.Enum(['read', 'orders', 'admin'], {
      description: 'read: every GET; orders: read, plus placing, changing and canceling orders; admin: everything',
    }),
  },
  { examples: [{ name: 'console', scope: 'read' }] },
)
const Ready = Type.Object({ status: Type.String({ examples: ['ready'] }), database: Type.String({ examples: ['ok'] }) })

export const generalRoutes: FastifyPluginAsyncTypebox<GeneralOptions> = async (app, { version }) => {
  const startedAt = Date.now()

  app.get(
    '/access',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['General'],
        summary: "What the caller's API key may do (for a console deciding which actions to offer)",
        response: {
          200: described(Access, 'The key and its scope; without API_KEYS, everything is open: admin'),
        },
      },
    },
    async (request) => ({ name: request.apiKeyName ?? null, scope: request.apiKeyScope ?? 'admin' }),
  )

  app.get(
    '/',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['General'],
        summary: 'Service information',
        response: { 200: described(ServiceInfo, 'Links to the docs and health checks') },
      },
    },
    async () => ({
      message: 'Orders & Inventory Microservice',
      version,
      docs: '/docs',
      redoc: '/redoc',
      health: '/health',
      openapi: '/openapi.json',
      ready: '/ready',
    }),
  )

  app.get(
    '/health',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['General'],
        summary: 'Liveness (no database call)',
        response: { 200: described(Health, 'The process is up') },
      },
    },
    async () => ({
      status: 'healthy',
      service: 'orders-inventory',
      version,
      uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
    }),
  )

  app.get(
    '/ready',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['General'],
        summary: 'Readiness: the database answers and takes writes',
        response: {
          200: described(Ready, 'Ready to serve'),
          503: errorResponse('The database does not answer or its storage is full, or the service is shutting down'),
        },
      },
    },
    async (_request, reply) => {
      // A server shutting down asks its load balancer for no more traffic.
      if (app.shuttingDown) return reply.code(503).send({ detail: 'Shutting down' })
      const storageProblem = app.databaseStorageProblem()
      if (storageProblem) return reply.code(503).send({ detail: storageProblem })
      if (await app.isDatabaseReady()) return { status: 'ready', database: 'ok' }
      return reply.code(503).send({ detail: 'Database unavailable' })
    },
  )
}
