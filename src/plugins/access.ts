import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { ApiKey, ApiKeyScope } from '../config.js'
import { DomainError } from '../shared/errors.js'
import { errorResponse } from '../shared/schemas.js'

/** Who may call a route: `public` needs no key; the others need a key of at least that scope. */
export type RouteScope = 'public' | ApiKeyScope

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Declared next to each route. A route that declares nothing needs an `admin` key: a new
     * route forgotten here is closed, never open by accident.
     */
    scope?: RouteScope
  }
  interface FastifyRequest {
    /** The name of the API key that authenticated the request (never the key itself). */
    apiKeyName: string | undefined
    /** That key's scope; undefined without API_KEYS (everything is open then). */
    apiKeyScope: ApiKeyScope | undefined
  }
  interface FastifyInstance {
    /** Every route's method, URL and effective scope, in registration order. */
    routeScopes: { method: string; url: string; scope: RouteScope }[]
  }
}

const RANK: Record<ApiKeyScope, number> = { read: 1, orders: 2, admin: 3 }
const DEFAULT_SCOPE: RouteScope = 'admin'

const scopeText: Record<ApiKeyScope, string> = {
  read: '`read` (any key)',
  orders: '`orders` or `admin`',
  admin: '`admin`',
}

/** The scope a route ends up with. */
export const scopeOf = (config: { scope?: RouteScope } | undefined): RouteScope => config?.scope ?? DEFAULT_SCOPE

const digest = (value: string) => createHash('sha256').update(value).digest()

/**
 * API keys with scopes (API_KEYS: `NAME:SCOPE:KEY`). With keys configured, every route that is
 * not `public` needs `Authorization: Bearer <key>` of a sufficient scope: 401 without a known
 * key, 403 when its scope is too small. CORS preflights (OPTIONS) never carry credentials and
 * pass. The key's name goes into the request log and keys the rate limit. The OpenAPI document
 * shows each operation's scope whether or not keys are configured.
 */
async function accessPlugin(app: FastifyInstance, { apiKeys }: { apiKeys: readonly ApiKey[] }) {
  app.decorateRequest('apiKeyName', undefined)
  app.decorateRequest('apiKeyScope', undefined)
  app.decorate('routeScopes', [])

  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    // Read when asked: an encapsulated plugin's own onRoute hook (the docs pages') runs after this one.
    for (const method of methods) {
      app.routeScopes.push({
        method,
        url: route.url,
        get scope() {
          return scopeOf(route.config)
        },
      })
    }
    const scope = scopeOf(route.config)
    if (scope !== 'public') documentScope(route, scope, apiKeys.length > 0)
  })

  if (apiKeys.length === 0) return

  // Keys are compared as SHA-256 digests: equal lengths for timingSafeEqual, and every key is
  // compared (no early exit), so timing tells nothing about which keys exist.
  const known = apiKeys.map((key) => ({ ...key, digest: digest(key.key) }))
  const identify = (request: FastifyRequest): ApiKey | undefined => {
    const given = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1]
    if (given === undefined) return undefined
    const candidate = digest(given)
    let found: ApiKey | undefined
    for (const key of known) if (timingSafeEqual(candidate, key.digest)) found = key
    return found
  }

  app.addHook('onRequest', async (request, reply) => {
    if (request.is404 || request.method === 'OPTIONS') return
    const scope = scopeOf(request.routeOptions.config)
    if (scope === 'public') return
    const key = identify(request)
    if (!key) {
      reply.header('WWW-Authenticate', 'Bearer')
      throw new DomainError('API_KEY_REQUIRED', 'Missing or invalid API key')
    }
    request.apiKeyName = key.name
    request.apiKeyScope = key.scope
    if (RANK[key.scope] < RANK[scope]) throw new DomainError('INSUFFICIENT_SCOPE', 'Insufficient scope')
  })
}

/** The operation's security requirement, its scope and its 401/403 answers, in the OpenAPI document. */
function documentScope(route: RouteOptions, scope: ApiKeyScope, keysConfigured: boolean): void {
  const schema = (route.schema ?? {}) as { hide?: boolean; description?: string; response?: object }
  if (schema.hide) return
  const note = `Scope: ${scopeText[scope]} when the service runs with API_KEYS.`
  // A copy: route schemas are module constants, shared by every app built in the process.
  route.schema = {
    ...schema,
    // OpenAPI 3.1 lets a non-OAuth requirement list the roles it needs. Without API_KEYS the key
    // is optional (the empty requirement), as the service then runs open.
    security: keysConfigured ? [{ apiKey: [scope] }] : [{}, { apiKey: [scope] }],
    'x-scope': scope,
    description: schema.description ? `${schema.description}\n\n${note}` : note,
    response: {
      ...schema.response,
      401: errorResponse('Missing or invalid API key (only when the service runs with API_KEYS)'),
      403: errorResponse('Insufficient scope: the API key may not call this operation'),
    },
  } as RouteOptions['schema']
}

export default fp(accessPlugin, { name: 'access' })
