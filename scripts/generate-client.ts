/**
 * `npm run client:generate`: writes client/schema.d.ts, the TypeScript types of the API, from the
 * OpenAPI document the service itself serves at /openapi.json. A test fails when the committed
 * file differs from what this produces, so the types cannot drift from the API.
 */
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript'
import * as prettier from 'prettier'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { parseCli } from './cli.js'

export const CLIENT_TYPES_PATH = resolve('client/schema.d.ts')

const HEADER = `/**
 * Types of the Orders & Inventory API, generated from its OpenAPI document by
 * \`npm run client:generate\` (openapi-typescript). Do not edit: regenerate.
 */
`

/** The service's OpenAPI document, from an app that never listens (in-memory SQLite). */
export async function openApiDocument(): Promise<OpenAPI3> {
  const app = await buildApp(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: 'sqlite::memory:' }))
  try {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' })
    return response.json() as OpenAPI3
  } finally {
    await app.close()
  }
}

export async function generateClientTypes(document: OpenAPI3): Promise<string> {
  const source = HEADER + astToString(await openapiTS(document, { alphabetize: true }))
  const options = await prettier.resolveConfig(CLIENT_TYPES_PATH)
  return prettier.format(source, { ...options, filepath: CLIENT_TYPES_PATH })
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  parseCli(
    `
usage: npm run client:generate

Writes client/schema.d.ts, the TypeScript types of the API, from the OpenAPI document the service
builds (no server, no database file needed). Run it after changing a route's schema; a test fails
while the committed file differs. Takes a few seconds.
`,
    {},
  )
  writeFileSync(CLIENT_TYPES_PATH, await generateClientTypes(await openApiDocument()))
  console.log(`wrote ${CLIENT_TYPES_PATH}`)
}
