import { randomBytes } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import { freePort } from './processes.js'

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  method: string
  /** The path and query. */
  url: string
  headers: IncomingHttpHeaders
  /** The body exactly as it arrived (UTF-8). */
  body: string
  /** Date.now() when the whole body had arrived. */
  arrivedAt: number
  /** Date.now() when the answer was sent or the client gave up; undefined while in flight. */
  finishedAt: number | undefined
  /** Requests in flight when this one arrived, itself included. */
  inFlightAtArrival: number
  /** The status answered; undefined when none was (hanging, or the client went away first). */
  answeredStatus: number | undefined
}

/** How to answer one request. */
export interface Answer {
  status?: number
  headers?: Record<string, string>
  body?: string
  /** Waits this long before answering. */
  delayMs?: number
  /** Never answers (until the client gives up or the receiver closes). */
  hang?: boolean
  /** Answers 302 with this Location. */
  redirectTo?: string
}

export type Script = (request: ReceivedRequest, index: number) => Answer

export interface Receiver {
  /** http://127.0.0.1:<port>/<path>: the receiver's own address. */
  url: string
  port: number
  /** The path every URL of this receiver starts with (random, see startReceiver). */
  path: string
  /** Every request so far, in arrival order. */
  requests: ReceivedRequest[]
  /** Requests being answered now. */
  inFlight(): number
  /** How each next request is answered (by default 200 `ok`). */
  respond(script: Script): void
  /** Waits until `predicate` holds for the requests (polling), up to `timeoutMs`. */
  waitFor(predicate: (requests: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<void>
  /** Stops listening and drops every connection (hanging ones too). */
  close(): Promise<void>
}

/**
 * A real HTTP server on 127.0.0.1 (a free port, or `port`) that records what webhooks it gets.
 * Only requests under its own random path count: a port is soon reused, and other test runs on
 * the machine may still be retrying deliveries to an earlier server on the same port. Those get a
 * 404 and are not recorded.
 */
export async function startReceiver(
  options: { port?: number; path?: string; script?: Script } = {},
): Promise<Receiver> {
  const path = options.path ?? `/r-${randomBytes(6).toString('hex')}`
  const requests: ReceivedRequest[] = []
  const open = new Set<ServerResponse>()
  let script: Script = options.script ?? (() => ({}))
  const timers = new Set<NodeJS.Timeout>()

  const server = createServer((req, res) => {
    if (!(req.url === path || req.url?.startsWith(`${path}/`))) {
      req.resume()
      res.writeHead(404).end()
      return
    }
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      open.add(res)
      const received: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        arrivedAt: Date.now(),
        finishedAt: undefined,
        inFlightAtArrival: open.size,
        answeredStatus: undefined,
      }
      const index = requests.push(received) - 1
      res.on('close', () => {
        open.delete(res)
        received.finishedAt = Date.now()
      })
      const answer = script(received, index)
      if (answer.hang) return
      const send = () => {
        if (res.destroyed) return
        const status = answer.redirectTo ? 302 : (answer.status ?? 200)
        const headers = { ...answer.headers, ...(answer.redirectTo && { location: answer.redirectTo }) }
        received.answeredStatus = status
        res.writeHead(status, headers).end(answer.body ?? 'ok')
      }
      if (answer.delayMs) {
        const timer = setTimeout(() => {
          timers.delete(timer)
          send()
        }, answer.delayMs)
        timers.add(timer)
      } else send()
    })
  })
  const port = options.port ?? (await freePort())
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })

  return {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    path,
    requests,
    inFlight: () => open.size,
    respond: (next) => void (script = next),
    waitFor: async (predicate, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs
      while (!predicate(requests)) {
        if (Date.now() > deadline) {
          const seen = requests.map((r) => `${r.headers['webhook-id']} -> ${r.answeredStatus}`).join(', ')
          throw new Error(`The receiver did not get what was expected within ${timeoutMs} ms; it got: ${seen}`)
        }
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer)
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
    },
  }
}
