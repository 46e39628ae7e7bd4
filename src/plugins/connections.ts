import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** A closing connection keeps reading (and dropping) what the client still sends, this long at most… */
const LINGER_MAX_MS = 30_000
/** …and no longer than this after the client's last byte (nginx's lingering_time and lingering_timeout). */
const LINGER_IDLE_MS = 2_000

const lingering = new WeakSet<Socket>()

/**
 * A lingering close, as nginx does. When the service answers before it has read the whole request
 * (413 for a body over the limit) it closes the connection; closing a socket whose client is still
 * sending makes the kernel answer the next bytes with a reset, and a reset can reach the client
 * before it has read the answer: it sees `EPIPE` or `ECONNRESET` instead of the 413. So the
 * socket is half-closed after the answer (FIN) and what the client still sends is read and
 * dropped until it stops, closes its side, or the limits above pass.
 */
function lingerBeforeClosing(request: IncomingMessage): void {
  const socket = request.socket
  if (lingering.has(socket)) return
  lingering.add(socket)
  // The rest of the body reaches the request stream (the HTTP parser reads the socket): it is
  // read from there and dropped, which also tells the lingering socket that the client is alive.
  let heard = () => {}
  request.on('data', () => heard())
  request.resume()
  // Node's HTTP server closes a connection it will not keep alive with destroySoon() once the
  // response is written: replace it, for this socket only.
  socket.destroySoon = () => {
    socket.end()
    const close = () => socket.destroy()
    const idle = setTimeout(close, LINGER_IDLE_MS)
    const total = setTimeout(close, LINGER_MAX_MS)
    heard = () => idle.refresh()
    // Closed once the answer is flushed and the client has sent all it meant to.
    let answered = socket.writableFinished
    let heardAll = request.readableEnded
    const closeWhenDone = () => answered && heardAll && close()
    socket.once('finish', () => ((answered = true), closeWhenDone()))
    for (const stream of [request, socket]) stream.once('end', () => ((heardAll = true), closeWhenDone()))
    socket.once('close', () => {
      clearTimeout(idle)
      clearTimeout(total)
    })
    closeWhenDone()
  }
}

/** How the service treats connections: a lingering close when it answers before the request is read. */
async function connectionsPlugin(app: FastifyInstance) {
  app.addHook('onSend', async (request, reply) => {
    if (request.raw.complete) return
    const closing = reply.statusCode === 413 || String(reply.getHeader('connection')).toLowerCase() === 'close'
    if (closing) lingerBeforeClosing(request.raw)
  })
}

export default fp(connectionsPlugin, { name: 'connections' })
