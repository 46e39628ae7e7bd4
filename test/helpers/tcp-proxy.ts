import { connect, createServer, type Socket } from 'node:net'

/**
 * A TCP proxy between the service and its database server, so a test can take the database away
 * (`cut`: connections are reset; `blackhole`: connections are accepted and never answered) and
 * bring it back (`restore`) without touching the real server.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  let mode: 'up' | 'cut' | 'blackhole' = 'up'
  const open = new Set<Socket>()
  const track = (socket: Socket) => {
    open.add(socket)
    socket.once('close', () => open.delete(socket))
    socket.on('error', () => socket.destroy())
  }
  const server = createServer((client) => {
    track(client)
    if (mode === 'cut') return client.destroy()
    if (mode === 'blackhole') return
    const upstream = connect(target.port, target.host)
    track(upstream)
    client.pipe(upstream).pipe(client)
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
    blackhole: () => {
      mode = 'blackhole'
      dropAll()
    },
    restore: () => {
      mode = 'up'
      dropAll()
    },
    close: () => {
      dropAll()
      return new Promise<void>((done) => server.close(() => done()))
    },
  }
}
