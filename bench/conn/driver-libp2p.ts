// The js-libp2p 3 baseline: TCP + Noise + Yamux with default settings, one stream per
// connection on a benchmark protocol, carrying u32-length-prefixed messages.
import './promise-with-resolvers.js'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Connection, Libp2p, Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { BenchConnection, Dialer, Driver, Listener, ListenOptions } from './driver.js'
import { BenchConnectionError } from './errors.js'
import { FrameDecoder, framed } from './framing.js'

const PROTOCOL = '/dune-bench/conn/1.0.0'
/** Above anything the benchmark opens, so that no libp2p limit refuses or prunes its connections. */
const CONNECTION_LIMIT = 100_000

/**
 * One libp2p connection and its single stream. The stream API takes one buffer per send,
 * so header and message are copied into one frame (one copy; Noise copies again anyway).
 */
class Libp2pConnection implements BenchConnection {
  private closed = false
  private error: Error | undefined
  private drained: Promise<void> | undefined

  constructor(
    private readonly stream: Stream,
    private readonly connection: Connection,
  ) {
    stream.addEventListener(
      'close',
      (event: StreamCloseEvent) => {
        this.closed = true
        this.error = event.error
      },
      { once: true },
    )
  }

  send(message: Buffer): Promise<void> | undefined {
    if (this.closed) return Promise.reject(this.closedError())
    if (this.stream.send(framed(message))) return undefined
    this.drained ??= new Promise<void>((resolve, reject) => {
      const settle = (): void => {
        this.stream.removeEventListener('drain', settle)
        this.stream.removeEventListener('close', settle)
        this.drained = undefined
        if (this.closed) reject(this.closedError())
        else resolve()
      }
      this.stream.addEventListener('drain', settle)
      this.stream.addEventListener('close', settle)
    })
    return this.drained
  }

  onMessage(callback: (message: Buffer) => void): void {
    const decoder = new FrameDecoder(callback)
    this.stream.addEventListener('message', (event: StreamMessageEvent) => {
      try {
        const data = event.data
        if (data instanceof Uint8Array) decoder.push(data)
        else for (const chunk of data) decoder.push(chunk)
      } catch (err) {
        this.stream.abort(err as Error)
      }
    })
  }

  onClose(callback: (error?: Error) => void): void {
    if (this.closed) callback(this.error)
    else this.stream.addEventListener('close', () => callback(this.error), { once: true })
  }

  async close(): Promise<void> {
    try {
      await this.connection.close()
    } catch (err) {
      this.connection.abort(err as Error)
    }
  }

  private closedError(): BenchConnectionError {
    return new BenchConnectionError('libp2p stream closed', { cause: this.error })
  }
}

function createNode(listenAddresses: string[]): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: listenAddresses },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: CONNECTION_LIMIT,
      maxIncomingPendingConnections: CONNECTION_LIMIT,
      inboundConnectionThreshold: CONNECTION_LIMIT,
      maxParallelDials: CONNECTION_LIMIT,
      maxDialQueueLength: CONNECTION_LIMIT,
    },
    connectionMonitor: { enabled: false },
  })
}

async function listen({ host, onConnection }: ListenOptions): Promise<Listener> {
  const node = await createNode([`/ip4/${host}/tcp/0`])
  await node.handle(
    PROTOCOL,
    (stream, connection) => {
      onConnection(new Libp2pConnection(stream, connection))
    },
    { maxInboundStreams: 1 },
  )
  const address = node.getMultiaddrs()[0]
  if (address === undefined) throw new BenchConnectionError('libp2p node has no listen address')
  return {
    address: address.toString(),
    async close() {
      await node.stop()
    },
  }
}

async function createDialer(): Promise<Dialer> {
  const node = await createNode([])
  return {
    async dial(address: string): Promise<BenchConnection> {
      const connection = await node.dial(multiaddr(address), { force: true })
      try {
        return new Libp2pConnection(await connection.newStream(PROTOCOL), connection)
      } catch (err) {
        connection.abort(err as Error)
        throw err
      }
    },
    async close() {
      await node.stop()
    },
  }
}

export const libp2pDriver: Driver = { name: 'libp2p', listen, createDialer }
