// The raw-TCP baseline: node:net sockets carrying u32-length-prefixed messages, with no
// encryption or authentication — the physical limit the other drivers are measured against.
import { connect, createServer, type Server, type Socket } from 'node:net'
import type { BenchConnection, Dialer, Driver, Listener, ListenOptions } from './driver.js'
import { BenchConnectionError } from './errors.js'
import { FrameDecoder, frameHeader } from './framing.js'

/**
 * One socket. Writes issued in the same tick are corked together and leave in one writev
 * when the tick ends, header and message without copying.
 */
class RawTcpConnection implements BenchConnection {
  private corked = false
  private closed = false
  private error: Error | undefined
  private drained: Promise<void> | undefined
  private readonly uncork = (): void => {
    this.corked = false
    this.socket.uncork()
  }

  constructor(private readonly socket: Socket) {
    socket.setNoDelay(true)
    socket.on('error', (err) => {
      this.error = err
    })
    socket.once('close', () => {
      this.closed = true
    })
  }

  send(message: Buffer): Promise<void> | undefined {
    if (this.closed) return Promise.reject(this.closedError())
    if (!this.corked) {
      this.corked = true
      this.socket.cork()
      process.nextTick(this.uncork)
    }
    this.socket.write(frameHeader(message.length))
    if (this.socket.write(message)) return undefined
    this.drained ??= new Promise<void>((resolve, reject) => {
      const settle = (): void => {
        this.socket.off('drain', settle)
        this.socket.off('close', settle)
        this.drained = undefined
        if (this.closed) reject(this.closedError())
        else resolve()
      }
      this.socket.on('drain', settle)
      this.socket.on('close', settle)
    })
    return this.drained
  }

  onMessage(callback: (message: Buffer) => void): void {
    const decoder = new FrameDecoder(callback)
    this.socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk)
      } catch (err) {
        this.socket.destroy(err as Error)
      }
    })
  }

  onClose(callback: (error?: Error) => void): void {
    if (this.closed) callback(this.error)
    else this.socket.once('close', () => callback(this.error))
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve()
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve())
      this.socket.end(() => this.socket.destroy())
    })
  }

  private closedError(): BenchConnectionError {
    return new BenchConnectionError('raw-tcp connection closed', { cause: this.error })
  }
}

/** Parses `host:port` (the addresses this driver's listeners give out). */
function parseAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':')
  const port = Number(address.slice(colon + 1))
  if (colon < 1 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new BenchConnectionError(`not a host:port address: ${address}`)
  }
  return { host: address.slice(0, colon), port }
}

/** Tracks open connections so that closing a node closes them. */
class ConnectionSet {
  private readonly open = new Set<RawTcpConnection>()

  add(connection: RawTcpConnection): RawTcpConnection {
    this.open.add(connection)
    connection.onClose(() => this.open.delete(connection))
    return connection
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.open].map((c) => c.close()))
  }
}

async function listen({ host, onConnection }: ListenOptions): Promise<Listener> {
  const connections = new ConnectionSet()
  const server: Server = createServer((socket) => onConnection(connections.add(new RawTcpConnection(socket))))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port: 0, backlog: 1024 }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const bound = server.address()
  if (bound === null || typeof bound === 'string')
    throw new BenchConnectionError('raw-tcp server has no port')
  return {
    address: `${host}:${bound.port}`,
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
      await connections.closeAll()
      await stopped
    },
  }
}

async function createDialer(): Promise<Dialer> {
  const connections = new ConnectionSet()
  return {
    dial(address: string): Promise<BenchConnection> {
      const { host, port } = parseAddress(address)
      return new Promise((resolve, reject) => {
        const socket = connect({ host, port, noDelay: true })
        socket.once('error', reject)
        socket.once('connect', () => {
          socket.off('error', reject)
          resolve(connections.add(new RawTcpConnection(socket)))
        })
      })
    },
    close: () => connections.closeAll(),
  }
}

export const rawTcpDriver: Driver = { name: 'raw-tcp', listen, createDialer }
