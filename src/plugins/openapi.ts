import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export const API_TITLE = 'Orders & Inventory Microservice'

const require = createRequire(import.meta.url)

export interface OpenApiOptions {
  version: string
}

/**
 * The OpenAPI document is generated from the route schemas. Swagger UI (/docs) and ReDoc
 * (/redoc) are served with their assets from node_modules, so the pages work offline.
 */
async function openApiPlugin(app: FastifyInstance, { version }: OpenApiOptions) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: API_TITLE,
        version,
        description: [
          'Keeps a product catalogue, takes orders that reserve stock atomically (never oversold),',
          'and learns from the payment provider through an HMAC-signed webhook that an order is paid.',
          '',
          'Errors are `{"detail": "..."}`; request-validation errors (422) carry a FastAPI-style list',
          '`[{"loc": [...], "msg": "...", "type": "..."}]`. Lists are bare arrays with `X-Total-Count`',
          'and `Link` headers.',
        ].join('\n'),
      },
      tags: [
        { name: 'Products', description: 'The catalogue and its stock' },
        { name: 'Orders', description: 'Orders reserve stock when placed and return it when canceled' },
        {
          name: 'Inventory',
          description: 'The stock ledger: every change of stock is a movement; adjustments and reconciliation',
        },
        {
          name: 'Events',
          description:
            'Every change of orders, products and stock, written with the change itself (a transactional outbox)',
        },
        {
          name: 'Webhook endpoints',
          description:
            'Where events are delivered: signed (Standard Webhooks), retried on a schedule, every attempt logged',
        },
        { name: 'Webhooks', description: 'Signed notifications from the payment provider' },
        { name: 'General', description: 'Service information, liveness and readiness' },
      ],
      components: {
        securitySchemes: {
          webhookSignature: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Webhook-Signature',
            description: '`sha256=<hex>`: HMAC-SHA256 of the raw body under WEBHOOK_SECRET',
          },
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description:
              '`Authorization: Bearer <key>`, needed only when the service runs with API_KEYS (`NAME:SCOPE:KEY` entries). Scopes: `read` (every GET), `orders` (read, plus placing, changing and canceling orders), `admin` (everything). Each operation lists the scope it needs (`x-scope`); none or an unknown key gives 401, too small a scope 403.',
          },
        },
      },
    },
  })

  // Swagger UI's own routes are declared public here, as every route of ours is next to itself.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, scope: 'public' }
    })
    await docs.register(swaggerUi, {
      routePrefix: '/docs',
      uiConfig: { docExpansion: 'list', deepLinking: true, validatorUrl: null, layout: 'BaseLayout' },
      theme: { title: `${API_TITLE} - Swagger UI` },
      // A policy with the hashes of Swagger UI's inline code; without upgrade-insecure-requests, which
      // would send the page's own requests to https:// on a plain-HTTP host.
      staticCSP: true,
      transformStaticCSP: (header: string) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
      // Swagger UI reads the same document that /openapi.json serves.
      transformSpecificationClone: true,
    })
  })

  app.get('/openapi.json', { schema: { hide: true }, config: { scope: 'public' } }, async () => app.swagger())

  const redocBundle = readFileSync(require.resolve('redoc/bundles/redoc.standalone.js'))
  app.get(
    '/redoc/redoc.standalone.js',
    { schema: { hide: true }, config: { scope: 'public' } },
    async (_request, reply) =>
      reply
        .type('application/javascript; charset=utf-8')
        .header('Cache-Control', 'public, max-age=86400')
        .send(redocBundle),
  )
  // Kept out of the page so that a strict Content-Security-Policy (script-src 'self') allows it.
  app.get('/redoc/init.js', { schema: { hide: true }, config: { scope: 'public' } }, async (_request, reply) =>
    reply
      .type('application/javascript; charset=utf-8')
      .send("Redoc.init('/openapi.json', { expandResponses: '200,201' }, document.getElementById('redoc'))\n"),
  )
  app.get('/redoc', { schema: { hide: true }, config: { scope: 'public' } }, async (_request, reply) =>
    reply.type('text/html').header('Content-Security-Policy', redocPolicy).send(redocPage),
  )
}

// ReDoc's footer links a logo on Redocly's CDN: the policy keeps the page from fetching it, so the
// page makes no request outside the service (it hides the image when it fails to load). ReDoc
// injects its styles inline and runs its search index in a blob: worker.
const redocPolicy = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "script-src 'self'",
  "worker-src 'self' blob:",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'self'",
].join('; ')

const redocPage = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${API_TITLE} - ReDoc</title>
  <style>body { margin: 0; padding: 0; } img[alt="redocly logo"] { display: none; }</style>
</head>
<body>
  <div id="redoc"></div>
  <script src="/redoc/redoc.standalone.js"></script>
  <script src="/redoc/init.js"></script>
</body>
</html>
`

export default fp(openApiPlugin, { name: 'openapi' })
