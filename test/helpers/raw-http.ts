import { once } from 'node:events'
import { connect } from 'node:net'

export interface RawResponse {
  status: number
  /** Header names in lower case; a repeated header keeps its last value. */
  headers: Record<string, string>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any
}

/**
 * One TCP connection to a server, driven byte by byte: a test decides when each part of a request
 * is sent (a head cut in two, a body that stalls half-way), which no HTTP client lets it do.
 */
export async function openRawConnection(port: number) {
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  let received = ''
  let closed = false
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')))
  // A reset ends the connection like a close: the test judges by what arrived before it.
  socket.on('error', () => {})
  const ended = new Promise<void>((done) => socket.once('close', () => ((closed = true), done())))

  /** The first response on the connection once it has fully arrived; fails after `ms`, saying what came. */
  async function response(ms = 10_000): Promise<RawResponse> {
    const deadline = Date.now() + ms
    for (;;) {
      const parsed = parseResponse(received)
      if (parsed) return parsed
      if (closed || Date.now() > deadline) {
        throw new Error(
          `no complete response ${closed ? 'before the connection closed' : `in ${ms} ms`}: ${JSON.stringify(received)}`,
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  return {
    write: (text: string) =>
      new Promise<void>((done, fail) => socket.write(text, (error) => (error ? fail(error) : done()))),
    response,
    /** Resolves when the connection is closed, by either side. */
    ended,
    destroy: () => socket.destroy(),
  }
}

function parseResponse(text: string): RawResponse | undefined {
  const headEnd = text.indexOf('\r\n\r\n')
  if (headEnd < 0) return undefined
  const [statusLine, ...lines] = text.slice(0, headEnd).split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  const length = Number(headers['content-length'] ?? 0)
  const body = text.slice(headEnd + 4)
  if (Buffer.byteLength(body, 'latin1') < length) return undefined
  const content = Buffer.from(body, 'latin1').subarray(0, length).toString('utf8')
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1]),
    headers,
    body: content && String(headers['content-type']).includes('json') ? JSON.parse(content) : content || undefined,
  }
}
