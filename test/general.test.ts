import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compileBodyValidator } from '../src/shared/validation.js'
import { startTestApp, type TestApp } from './helpers/app.js'
import { createOrder, createProduct } from './helpers/builders.js'

let api: TestApp
beforeAll(async () => {
  api = await startTestApp()
})
afterAll(async () => {
  await api.close()
})

describe('service endpoints', () => {
  it('when GET /, then the service information with its links', async () => {
    const response = await api.request('GET', '/')
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({
      message: expect.any(String),
      version: expect.any(String),
      docs: '/docs',
      redoc: '/redoc',
      health: '/health',
    })
  })

  it('when GET /health, then healthy', async () => {
    const response = await api.request('GET', '/health')
    expect(response.status).toBe(200)
    expect(response.body.status).toBe('healthy')
  })

  it('when the database answers, then /ready is 200; when it is gone, then 503 with a detail', async () => {
    expect((await api.request('GET', '/ready')).status).toBe(200)
    const broken = await startTestApp()
    expect((await broken.request('GET', '/ready')).status).toBe(200)
    await broken.app.db.destroy()
    const response = await broken.request('GET', '/ready')
    expect(response.status).toBe(503)
    expect(response.body).toEqual({ detail: expect.any(String) })
    expect((await broken.request('GET', '/health')).status).toBe(200)
    await broken.close().catch(() => undefined)
  })

  it('when GET /metrics, then Prometheus text with request counts by route template', async () => {
    await api.request('GET', '/products/12345')
    const response = await api.request('GET', '/metrics')
    expect(response.status).toBe(200)
    expect(String(response.headers['content-type'])).toContain('text/plain')
    expect(response.text).toContain('# TYPE http_requests_total counter')
    expect(response.text).toMatch(
      /http_requests_total\{method="GET",route="\/products\/:product_id",status_code="404"\} \d+/,
    )
  })
})

describe('routing', () => {
  it('when an unknown route is asked, then 404 Not Found', async () => {
    for (const url of ['/nope', '/products/1/stock', '/api/products']) {
      const response = await api.request('GET', url)
      expect(response.status).toBe(404)
      expect(response.body).toEqual({ detail: 'Not Found' })
    }
  })

  it('when a known path gets a wrong method, then 405 with Allow', async () => {
    const cases: [string, string][] = [
      ['DELETE', '/products'],
      ['POST', '/products/1'],
      ['PATCH', '/orders/1'],
      ['GET', '/webhooks/payment'],
      ['POST', '/health'],
    ]
    for (const [method, url] of cases) {
      const response = await api.request(method as 'GET', url)
      expect(response.status, `${method} ${url}`).toBe(405)
      expect(response.body).toEqual({ detail: 'Method Not Allowed' })
      expect(response.headers.allow).toBeTruthy()
    }
  })

  it('when an unknown route or wrong method gets a bad body, then the route decides (404/405), not the body', async () => {
    const json = { 'content-type': 'application/json' }
    expect((await api.request('POST', '/nope', '{bad', json)).status).toBe(404)
    expect((await api.request('POST', '/health', '{bad', json)).status).toBe(405)
    expect((await api.request('POST', '/nope', 'text', { 'content-type': 'text/plain' })).status).toBe(404)
  })

  it('when Node rejects the request line or headers, then the answer is still {"detail": ...}', async () => {
    const { connect } = await import('node:net')
    await api.app.listen({ host: '127.0.0.1', port: 0 })
    const address = api.app.server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    const raw = (request: string) =>
      new Promise<string>((resolve) => {
        let answer = ''
        const socket = connect(port, '127.0.0.1', () => socket.write(request))
        socket.on('data', (chunk) => (answer += chunk))
        socket.on('close', () => resolve(answer))
        socket.on('error', () => resolve(answer))
      })
    const badMethod = await raw('FOO /products HTTP/1.1\r\nHost: x\r\n\r\n')
    expect(badMethod).toMatch(/^HTTP\/1\.1 400/)
    expect(badMethod).toContain('{"detail":"Bad Request"}')
    const hugeHeader = await raw(`GET /products HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
    expect(hugeHeader).toMatch(/^HTTP\/1\.1 431/)
    expect(hugeHeader).toContain('"detail"')
  })

  it('when a route is called with a trailing slash, then the same result without a redirect', async () => {
    const product = await createProduct(api, { stock: 5 })
    const order = await createOrder(api, product.id)
    const pairs = ['/health', '/ready', '/products', `/products/${product.id}`, '/orders', `/orders/${order.id}`]
    for (const path of pairs) {
      const plain = await api.request('GET', path)
      const slashed = await api.request('GET', `${path}/`)
      expect(slashed.status, path).toBe(plain.status)
      if (!path.startsWith('/health')) expect(slashed.body, path).toEqual(plain.body)
    }
    const created = await api.request('POST', '/products/', {
      sku: `slash-${Date.now()}`,
      name: 'n',
      price: 1,
      stock: 2,
    })
    expect(created.status).toBe(201)
    expect((await api.request('PUT', `/products/${created.body.id}/`, { stock: 3 })).body.stock).toBe(3)
    expect((await api.request('POST', '/orders/', { product_id: created.body.id, quantity: 1 })).status).toBe(201)
    expect((await api.request('DELETE', `/products/${product.id}/`)).status).toBe(400)
  })
})

/** Every schema node of the OpenAPI document's operations: parameters, request and response bodies. */
function schemaNodes(doc: OpenApiDocument) {
  const nodes: { where: string; schema: SchemaNode; example?: unknown; exampleAt?: string }[] = []
  const walk = (schema: SchemaNode | undefined, where: string) => {
    if (!schema || typeof schema !== 'object') return
    nodes.push({ where, schema })
    for (const [name, property] of Object.entries(schema.properties ?? {})) walk(property, `${where}.${name}`)
    if (schema.items) walk(schema.items, `${where}[]`)
    for (const [i, branch] of (schema.anyOf ?? schema.oneOf ?? []).entries()) walk(branch, `${where}|${i}`)
  }
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const at = `${method.toUpperCase()} ${path}`
      for (const parameter of operation.parameters ?? []) {
        nodes.push({
          where: `${at} ${parameter.in} ${parameter.name}`,
          schema: parameter.schema,
          example: parameter.example,
        })
      }
      for (const content of Object.values(operation.requestBody?.content ?? {})) walk(content.schema, `${at} body`)
      for (const [status, answer] of Object.entries(operation.responses ?? {})) {
        for (const content of Object.values(answer.content ?? {})) walk(content.schema, `${at} ${status}`)
      }
    }
  }
  return nodes
}

interface SchemaNode {
  type?: string
  properties?: Record<string, SchemaNode>
  items?: SchemaNode
  anyOf?: SchemaNode[]
  oneOf?: SchemaNode[]
  enum?: unknown[]
  const?: unknown
  examples?: unknown[]
  example?: unknown
}
interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { in: string; name: string; schema: SchemaNode; example?: unknown }[]
        requestBody?: { content?: Record<string, { schema: SchemaNode }> }
        responses?: Record<string, { content?: Record<string, { schema: SchemaNode }> }>
      }
    >
  >
}

describe('documentation', () => {
  it('when Swagger UI builds sample values, then every field and parameter has a realistic example of its own', async () => {
    const doc = (await api.request('GET', '/openapi.json')).body as OpenApiDocument
    const withoutExample = schemaNodes(doc)
      .filter(({ schema }) => ['string', 'number', 'integer', 'boolean'].includes(schema.type ?? ''))
      .filter(
        ({ schema, example }) => example === undefined && schema.examples === undefined && schema.example === undefined,
      )
      .filter(({ schema }) => schema.enum === undefined && schema.const === undefined)
      .map(({ where }) => where)
    expect(withoutExample).toEqual([])
  })

  it('when the OpenAPI document gives an example, then it validates against its own schema', async () => {
    const doc = (await api.request('GET', '/openapi.json')).body as OpenApiDocument
    let checked = 0
    for (const { where, schema, example } of schemaNodes(doc)) {
      const examples = [...(schema.examples ?? []), ...(schema.example === undefined ? [] : [schema.example])]
      if (example !== undefined) examples.push(example)
      if (examples.length === 0) continue
      const validate = compileBodyValidator(schema)
      for (const value of examples) {
        checked += 1
        expect(validate(value), `${where}: ${JSON.stringify(value)} ${JSON.stringify(validate.errors)}`).toBe(true)
      }
    }
    expect(checked).toBeGreaterThan(100)
  })

  it('when /openapi.json is read, then it documents every route with tags, examples and status codes', async () => {
    const response = await api.request('GET', '/openapi.json')
    expect(response.status).toBe(200)
    const doc = response.body
    expect(doc.openapi).toMatch(/^3\./)
    expect(doc.info).toMatchObject({ title: 'Orders & Inventory Microservice', version: expect.any(String) })
    expect(doc.info.description.length).toBeGreaterThan(20)
    expect(doc.tags.map((t: { name: string }) => t.name)).toEqual(
      expect.arrayContaining(['Products', 'Orders', 'Webhooks', 'General']),
    )

    const expected: Record<string, Record<string, string[]>> = {
      '/products': { post: ['201', '409', '422'], get: ['200', '422'] },
      '/products/{product_id}': {
        get: ['200', '404', '422'],
        put: ['200', '404', '409', '422'],
        patch: ['200', '404', '409', '422'],
        delete: ['204', '400', '404', '422'],
      },
      '/orders': { post: ['201', '404', '409', '422'], get: ['200', '422'] },
      '/orders/{order_id}': {
        get: ['200', '404', '422'],
        put: ['200', '400', '404', '422'],
        delete: ['204', '400', '404', '422'],
      },
      '/webhooks/payment': { post: ['200', '400', '401', '403', '404', '409', '422'] },
      '/': { get: ['200'] },
      '/health': { get: ['200'] },
      '/ready': { get: ['200', '503'] },
      '/metrics': { get: ['200'] },
    }
    for (const [path, methods] of Object.entries(expected)) {
      for (const [method, codes] of Object.entries(methods)) {
        const operation = doc.paths[path]?.[method]
        expect(operation, `${method} ${path}`).toBeDefined()
        expect(Object.keys(operation.responses), `${method} ${path}`).toEqual(expect.arrayContaining(codes))
        expect(operation.tags.length, `${method} ${path}`).toBe(1)
      }
    }
    // Body routes also document 413 and 415; database routes 503.
    expect(Object.keys(doc.paths['/orders'].post.responses)).toEqual(expect.arrayContaining(['413', '415', '503']))
    const example = (path: string) => doc.paths[path].post.requestBody.content['application/json']
    expect(example('/products').example ?? example('/products').examples).toBeDefined()
    expect(example('/orders').example ?? example('/orders').examples).toBeDefined()
    expect(doc.paths['/products'].get.responses['200'].headers['X-Total-Count']).toBeDefined()
  })

  it('when /docs is opened, then Swagger UI comes with its assets from this service', async () => {
    const page = await api.request('GET', '/docs')
    const html = page.status === 302 ? (await api.request('GET', String(page.headers.location))).text : page.text
    expect(html).toContain('swagger-ui')
    expect(html).not.toMatch(/https?:\/\/(?!localhost)[a-z0-9.-]+\.[a-z]{2,}\/[^"']*\.(js|css)/i)
    for (const asset of [
      '/docs/static/swagger-ui-bundle.js',
      '/docs/static/swagger-ui.css',
      '/docs/static/swagger-initializer.js',
    ]) {
      const response = await api.request('GET', asset)
      expect(response.status, asset).toBe(200)
    }
  })

  it('when /redoc is opened, then ReDoc loads its bundle from this service and reads /openapi.json', async () => {
    const page = await api.request('GET', '/redoc')
    expect(page.status).toBe(200)
    expect(String(page.headers['content-type'])).toContain('text/html')
    expect(page.text).toContain('<script src="/redoc/redoc.standalone.js">')
    expect(page.text).not.toMatch(/src="https?:/)
    const bundle = await api.request('GET', '/redoc/redoc.standalone.js')
    expect(bundle.status).toBe(200)
    expect(bundle.text.length).toBeGreaterThan(100_000)
    expect((await api.request('GET', '/redoc/init.js')).text).toContain("'/openapi.json'")
  })
})
