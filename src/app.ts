import { readFileSync } from 'node:fs'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify'
import type { Config } from './config.js'
import { registerModules } from './modules.js'
import access from './plugins/access.js'
import admin from './plugins/admin.js'
import catalogueCache from './plugins/catalogue-cache.js'
import catalogueListener from './plugins/catalogue-listener.js'
import db from './plugins/db.js'
import { clientErrorHandler } from './plugins/client-errors.js'
import connections from './plugins/connections.js'
import errors from './plugins/errors.js'
import eventBus from './plugins/event-bus.js'
import eventDispatcher from './plugins/event-dispatcher.js'
import idempotency from './plugins/idempotency.js'
import jsonBody from './plugins/json-body.js'
import ledgerCheck from './plugins/ledger-check.js'
import metrics from './plugins/metrics.js'
import openapi from './plugins/openapi.js'
import orderSweeper from './plugins/order-sweeper.js'
import outbox from './plugins/outbox.js'
import requestLog, { logRedaction, requestIdOf } from './plugins/request-log.js'
import security from './plugins/security.js'
import shutdown from './plugins/shutdown.js'
import { validatorCompiler } from './shared/validation.js'

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string
}

/** Builds the whole service without listening: the server and the tests share it. */
export async function buildApp(config: Config): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: logRedaction,
      // Readable lines for a developer at a terminal; JSON everywhere else.
      ...(config.env === 'development' && process.stdout.isTTY && { transport: { target: 'pino-pretty' } }),
    },
    // One line per request instead of Fastify's two, from request-log.ts.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: requestIdOf,
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimit,
    // A client that stops sending half-way through a request gets 408 instead of holding a socket.
    requestTimeout: config.requestTimeoutMs,
    http: {
      // A connection that sends no complete request head in time (not even a first byte) is
      // closed with 408, so idle sockets cannot pile up until the process runs out of files.
      // Node checks every connectionsCheckingInterval (30 s by default: too coarse for this).
      headersTimeout: Math.min(config.headersTimeoutMs, config.requestTimeoutMs),
      connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs),
    },
    // Longer than the load balancer's idle timeout: the balancer closes idle connections first, so
    // it never sends a request down a connection the service is closing.
    keepAliveTimeout: config.keepAliveTimeoutMs,
    // While shutting down, a request that still arrives on an open connection is served (with
    // Connection: close) rather than refused: close-with-grace bounds the wait (server.ts).
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    clientErrorHandler,
    // Errors raised by the router before any route runs (a malformed %-escape in the URL).
    frameworkErrors: (error, _request, reply) => {
      const detail = error.code === 'FST_ERR_BAD_URL' ? 'Malformed URL' : 'Bad Request'
      void (reply as FastifyReply).code(400).send({ detail })
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.setValidatorCompiler(validatorCompiler)

  if (config.usingDevWebhookSecret) {
    app.log.warn('WEBHOOK_SECRET is not set: using the development webhook secret (never in production)')
  }

  app.decorate('publicUrl', config.publicUrl)
  await app.register(errors)
  await app.register(connections)
  await app.register(shutdown)
  await app.register(requestLog)
  await app.register(security, { config })
  await app.register(access, { apiKeys: config.apiKeys })
  await app.register(jsonBody)
  await app.register(db, { database: config.database })
  await app.register(catalogueCache)
  await app.register(catalogueListener, { database: config.database })
  await app.register(idempotency, { config })
  await app.register(openapi, { version })
  await app.register(admin)
  await app.register(metrics)
  await registerModules(app, config, version)
  await app.register(orderSweeper)
  await app.register(outbox, { events: config.events })
  await app.register(eventDispatcher, { events: config.events })
  await app.register(eventBus, { events: config.events })
  await app.register(ledgerCheck, { intervalSeconds: config.reconciliationIntervalSeconds })
  return app
}
