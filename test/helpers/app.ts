import type { FastifyInstance } from 'fastify'
import type { InjectOptions } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { createTestDatabase } from './database.js'

export const TEST_WEBHOOK_SECRET = 'test-webhook-secret'

export interface TestApp {
  app: FastifyInstance
  /** The database behind this app (SQLite file or PostgreSQL database): fresh for every test file. */
  databaseUrl: string
  request: (
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) => Promise<Reply>
  close: () => Promise<void>
}

export interface Reply {
  status: number
  headers: Record<string, string | string[] | number | undefined>
  // Response bodies are whatever the API answered; tests assert on their shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any
  text: string
}

/**
 * One app per test file on its own database (dropped by `close`), or on `reuse`'s database (left
 * in place); requests go through Fastify's HTTP stack.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  reuse?: { databaseUrl: string },
): Promise<TestApp> {
  const fresh = reuse ? undefined : await createTestDatabase()
  const databaseUrl = reuse?.databaseUrl ?? fresh!.url
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    DATABASE_URL: databaseUrl,
    ...env,
  })
  const app = await buildApp(config)
  await app.ready()

  const request: TestApp['request'] = async (method, url, body, headers = {}) => {
    const options: InjectOptions = { method, url, headers }
    if (body !== undefined)
      options.payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body)
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      options.headers = { ...headers, 'content-type': 'application/json' }
    }
    const response = await app.inject(options)
    let parsed: unknown = undefined
    if (response.body.length > 0 && String(response.headers['content-type'] ?? '').includes('json')) {
      parsed = JSON.parse(response.body)
    }
    return { status: response.statusCode, headers: response.headers, body: parsed, text: response.body }
  }

  return {
    app,
    databaseUrl,
    request,
    close: async () => {
      await app.close()
      await fresh?.drop()
    },
  }
}
