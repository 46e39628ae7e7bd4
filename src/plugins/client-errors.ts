import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'

/**
 * Requests that Node's HTTP parser rejects before Fastify sees them (an unknown method, a bad
 * header, a header section over the limit, a timeout) still get the contract's `{"detail": ...}`.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
  const body = JSON.stringify({ detail: STATUS_CODES[status] ?? 'Bad Request' })
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy(error)
}
