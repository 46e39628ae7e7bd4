import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect as connectTcp } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type NatsConnection } from 'nats'
import { freePort } from './processes.js'

/** The machine's NATS (JetStream on): shared by every test run, so each test uses streams of its own. */
export const MACHINE_NATS_URL = 'nats://127.0.0.1:4222'

const NATS_SERVER = '/usr/sbin/nats-server'

/** A private nats-server with JetStream, that a test may kill and start again on the same port and store. */
export interface PrivateNats {
  url: string
  port: number
  /** Starts it (again): same port, same store directory, so the streams it had come back. */
  start(): Promise<void>
  /** SIGKILL, as a crash or a pulled cable would: no goodbye to the clients. */
  kill(): Promise<void>
  /** Stops it and deletes its store. */
  remove(): Promise<void>
  output(): string
}

/** A nats-server on a free loopback port with its own store in a temp folder; `started: false` only prepares it. */
export async function privateNats({ started = true }: { started?: boolean } = {}): Promise<PrivateNats> {
  const port = await freePort()
  const storeDir = await mkdtemp(join(tmpdir(), 'nats-store-'))
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  let output = ''

  const kill = async () => {
    if (!child) return
    child.kill('SIGKILL')
    await exited
    child = undefined
  }
  const server: PrivateNats = {
    url: `nats://127.0.0.1:${port}`,
    port,
    start: async () => {
      if (child) return
      const spawned = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      spawned.stdout?.on('data', (chunk) => (output += chunk))
      spawned.stderr?.on('data', (chunk) => (output += chunk))
      exited = new Promise((done) => spawned.once('exit', () => done()))
      child = spawned
      await waitForNats(port, () => output)
    },
    kill,
    remove: async () => {
      await kill()
      await rm(storeDir, { recursive: true, force: true })
    },
    output: () => output,
  }
  if (started) await server.start()
  return server
}

/** Waits until a NATS server answers on `port` with its INFO line (at most 20 s). */
async function waitForNats(port: number, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (await answersInfo(port)) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`nats-server did not answer on port ${port}:\n${output()}`)
}

function answersInfo(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connectTcp(port, '127.0.0.1')
    const finish = (answer: boolean) => {
      socket.destroy()
      done(answer)
    }
    socket.setTimeout(1000, () => finish(false))
    socket.once('data', (chunk) => finish(chunk.toString().startsWith('INFO ')))
    socket.once('error', () => finish(false))
  })
}

/** A message as a JetStream consumer reads it back. */
export interface StreamMessage {
  streamSeq: number
  subject: string
  data: string
  msgId: string | undefined
}

/** Every message of `stream`, in stream order, read with an ordered consumer. */
export async function readStream(nc: NatsConnection, stream: string): Promise<StreamMessage[]> {
  const manager = await nc.jetstreamManager()
  const total = (await manager.streams.info(stream)).state.messages
  const consumer = await nc.jetstream().consumers.get(stream)
  const messages: StreamMessage[] = []
  while (messages.length < total) {
    const batch = await consumer.fetch({ max_messages: total - messages.length, expires: 2000 })
    let got = 0
    for await (const message of batch) {
      got += 1
      messages.push({
        streamSeq: message.seq,
        subject: message.subject,
        data: new TextDecoder().decode(message.data),
        msgId: message.headers?.get('Nats-Msg-Id'),
      })
    }
    if (got === 0) throw new Error(`read ${messages.length} of the ${total} messages of ${stream}`)
  }
  return messages
}

/** A client connection for a test, closed by the caller. */
export function natsClient(url: string): Promise<NatsConnection> {
  return connect({ servers: url, timeout: 5000 })
}
