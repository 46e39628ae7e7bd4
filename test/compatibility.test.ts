import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { buildProduct, createProduct } from './helpers/builders.js'
import { listen } from './helpers/http.js'

let api: TestApp
let baseUrl: string
let port: number
beforeAll(async () => {
  api = await startTestApp({ HEADERS_TIMEOUT_MS: '1000' })
  baseUrl = (await listen(api.app)).baseUrl
  port = Number(new URL(baseUrl).port)
})
afterAll(() => api.close())

/** Sends raw bytes on a new connection; resolves with everything the server sent once it closes. */
function rawExchange(write: (socket: ReturnType<typeof connect>) => void): Promise<{ text: string; error?: string }> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    let error: string | undefined
    socket.on('data', (chunk) => (text += chunk.toString('latin1')))
    socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message))
    socket.on('close', () => done({ text, ...(error !== undefined && { error }) }))
    socket.on('connect', () => write(socket))
  })
}

describe('FastAPI clients', () => {
  it('when a JSON body comes without Content-Type (requests.post(data=json.dumps(...))), then it is read as JSON', async () => {
    const body = JSON.stringify(buildProduct({ sku: 'NO-CT-1' }))
    const created = await rawExchange((socket) =>
      socket.write(
        `POST /products HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      ),
    )
    expect(created.text).toMatch(/^HTTP\/1\.1 201 /)
    expect((await api.request('GET', '/products?limit=1000')).body.map((p: { sku: string }) => p.sku)).toContain(
      'NO-CT-1',
    )
  })

  it('when a body without Content-Type is not JSON, then 422 JSON decode error; other types stay 415', async () => {
    const bad = await rawExchange((socket) =>
      socket.write('POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello'),
    )
    expect(bad.text).toMatch(/^HTTP\/1\.1 422 /)
    expect(bad.text).toContain('JSON decode error')
    const typed = await api.request('POST', '/orders', '{"product_id": 1, "quantity": 1}', {
      'content-type': 'text/plain',
    })
    expect(typed.status).toBe(415)
  })

  it('when GET /health, then it names the service', async () => {
    expect((await api.request('GET', '/health')).body).toMatchObject({
      status: 'healthy',
      service: 'orders-inventory',
    })
  })

  it('when an oversized body is sent in chunks, then the client can send it all and still read the 413', async () => {
    for (const framing of ['chunked', 'content-length'] as const) {
      // A client that writes its whole body before reading the answer (Python's requests, curl),
      // and goes on writing after the service has answered: it must never be reset half-way.
      const result = await new Promise<{ text: string; error?: string; sent: number }>((done) => {
        const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
        let text = ''
        let error: string | undefined
        let sent = 0
        socket.on('data', (chunk) => (text += chunk.toString('latin1')))
        socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message))
        socket.on('close', () => done({ text, sent, ...(error !== undefined && { error }) }))
        socket.on('connect', () => {
          const chunked = framing === 'chunked'
          const chunk = 'x'.repeat(64 * 1024)
          socket.write(
            'POST /products HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
              (chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${64 * chunk.length}`) +
              '\r\n\r\n',
          )
          const send = () => {
            if (socket.destroyed) return
            if (sent === 64) return socket.end(chunked ? '0\r\n\r\n' : '')
            sent += 1
            const data = chunked ? `${chunk.length.toString(16)}\r\n${chunk}\r\n` : chunk
            socket.write(data, () => setTimeout(send, 1))
          }
          send()
        })
      })
      expect(result.text, framing).toMatch(/^HTTP\/1\.1 413 /)
      expect(result.text, framing).toContain('"detail"')
      expect(result.error, framing).toBeUndefined()
      expect(result.sent, framing).toBe(64)
    }
  })

  it('when a connection sends nothing, then it is closed after HEADERS_TIMEOUT_MS instead of being held', async () => {
    const started = Date.now()
    const silent = await rawExchange(() => {})
    expect(silent.text === '' || silent.text.startsWith('HTTP/1.1 408')).toBe(true)
    // Closed by the service (the test's own timeout is 30 s), not held for Node's default minute.
    expect(Date.now() - started).toBeLessThan(25_000)
  })

  it('when the service starts with the defaults, then a connection has at most 30 s to send its request head', async () => {
    const defaults = await startTestApp()
    try {
      expect(defaults.app.server.headersTimeout).toBeLessThanOrEqual(30_000)
    } finally {
      await defaults.close()
    }
  })
})

describe('keyset paging with an offset', () => {
  it('when after_id comes with a non-zero offset or skip, then 422 names the parameter; offset=0 is harmless', async () => {
    for (let i = 0; i < 4; i++) await createProduct(api)
    for (const [query, name] of [
      ['after_id=0&offset=2&limit=2', 'offset'],
      ['after_id=0&skip=1', 'skip'],
    ] as const) {
      for (const path of ['/products', '/orders']) {
        const response = await api.request('GET', `${path}?${query}`)
        expect(response.status, `${path}?${query}`).toBe(422)
        expect(response.body.detail).toEqual([expect.objectContaining({ loc: ['query', name], type: 'value_error' })])
      }
    }
    const page = await api.request('GET', '/products?after_id=0&offset=0&limit=2')
    expect(page.status).toBe(200)
    expect(String(page.headers.link)).not.toContain('offset')
  })
})

describe('large prices', () => {
  it('when prices reach 10,000,000,000.00, then they are kept exactly, and beyond it 422', async () => {
    for (const price of [1_234_567.89, 987_654_321.01, 9_999_999_999.99, 10_000_000_000]) {
      const response = await api.request('POST', '/products', buildProduct({ price }))
      expect(response.status, String(price)).toBe(201)
      expect(response.text).toContain(`"price":${price}`)
      expect((await api.request('GET', `/products/${response.body.id}`)).body.price).toBe(price)
    }
    const over = await api.request('POST', '/products', buildProduct({ price: 10_000_000_000.01 }))
    expect(over.status).toBe(422)
    expect(over.body.detail[0].loc).toEqual(['body', 'price'])
  })

  it('when an order total stays within 9,999,999,999,999.99, then it is exact; past it, 422 and no stock is taken', async () => {
    const product = await createProduct(api, { price: 9_999_999_999.99, stock: 5000 })
    const placed = await api.request('POST', '/orders', { product_id: product.id, quantity: 1000 })
    expect(placed.status).toBe(201)
    expect(placed.text).toContain('"total":9999999999990')
    const edge = await createProduct(api, { price: 9_999_999_999.99, stock: 5000 })
    const over = await api.request('POST', '/orders', { product_id: edge.id, quantity: 1001 })
    expect(over.status).toBe(422)
    expect(over.body.detail).toEqual([
      { loc: ['body', 'quantity'], msg: 'The order total would exceed 9999999999999.99', type: 'value_error' },
    ])
    expect((await api.request('GET', `/products/${edge.id}`)).body.stock).toBe(5000)
    const cents = await createProduct(api, { price: 1_234_567.89, stock: 10 })
    const exact = await api.request('POST', '/orders', { product_id: cents.id, quantity: 7 })
    expect(exact.text).toContain('"total":8641975.23')
  })
})
