import { connect, createServer, type Socket } from 'node:net'

/**
 * A TCP proxy between the service and its database server, so a test can take the database away
 * (`cut`: connections are reset; `blackhole`: connections are accepted and never answered;
 * `stall`: open connections stay open but nothing passes any more, as with a frozen server) and
 * bring it back (`restore`: with fresh connections; `resume`: the stalled ones carry on and
 * deliver what they held) without touching the real server.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  let mode: 'up' | 'cut' | 'blackhole' | 'stall' = 'up'
  const open = new Set<Socket>()
  let held: [Socket, Buffer][] = []
  const frozen = new Set<Socket>()
  const track = (socket: Socket) => {
    open.add(socket)
    socket.once('close', () => open.delete(socket))
    socket.on('error', () => socket.destroy())
  }
  const server = createServer((client) => {
    track(client)
    if (mode === 'cut') return client.destroy()
    if (mode === 'blackhole' || mode === 'stall') return
    const upstream = connect(target.port, target.host)
    track(upstream)
    // While stalled, bytes wait here; `resume` delivers them late, as a server waking up would.
    const forward = (to: Socket) => (chunk: Buffer) =>
      mode === 'up' && !frozen.has(to) ? to.write(chunk) : held.push([to, chunk])
    client.on('data', forward(upstream))
    upstream.on('data', forward(client))
    client.once('close', () => upstream.destroy())
    upstream.once('close', () => client.destroy())
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  const dropAll = () => open.forEach((socket) => socket.destroy())
  return {
    port: address.port,
    cut: () => {
      mode = 'cut'
      dropAll()
    },
    stall: () => {
      mode = 'stall'
    },
    /** The connections open now go silent for good (half-open, as after a failover); new ones work. */
    freezeOpenConnections: () => {
      open.forEach((socket) => frozen.add(socket))
    },
    resume: () => {
      mode = 'up'
      for (const [to, chunk] of held) if (!to.destroyed) to.write(chunk)
      held = []
    },
    blackhole: () => {
      mode = 'blackhole'
      dropAll()
    },
    restore: () => {
      mode = 'up'
      held = []
      dropAll()
    },
    close: () => {
      dropAll()
      return new Promise<void>((done) => server.close(() => done()))
    },
  }
}
