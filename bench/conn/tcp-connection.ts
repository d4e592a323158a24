// What the drivers over plain node:net sockets share: a connection's close and backpressure
// bookkeeping, and listeners and dialers that wrap each socket in the driver's connection.
import { connect, createServer, type Server, type Socket } from 'node:net'
import type { BenchConnection, Dialer, Driver, Listener, ListenOptions } from './driver.js'
import { BenchConnectionError } from './errors.js'

/** A socket's close, error and 'drain' bookkeeping; subclasses frame the messages. */
export abstract class TcpConnection implements BenchConnection {
  protected closed = false
  private error: Error | undefined
  private waitingForDrain: Promise<void> | undefined

  constructor(
    protected readonly socket: Socket,
    private readonly driverName: string,
  ) {
    socket.setNoDelay(true)
    socket.on('error', (err) => {
      this.error = err
    })
    socket.once('close', () => {
      this.closed = true
    })
  }

  abstract send(message: Buffer): Promise<void> | undefined
  abstract onMessage(callback: (message: Buffer) => void): void

  onClose(callback: (error?: Error) => void): void {
    if (this.closed) callback(this.error)
    else this.socket.once('close', () => callback(this.error))
  }

  /** Sends what is still buffered in the connection before it ends (nothing by default). */
  protected flush(): void {}

  close(): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.flush()
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve())
      this.socket.end(() => this.socket.destroy())
    })
  }

  /** Resolves at the socket's next 'drain' (one promise for every waiting sender). */
  protected drained(): Promise<void> {
    this.waitingForDrain ??= new Promise<void>((resolve, reject) => {
      const settle = (): void => {
        this.socket.off('drain', settle)
        this.socket.off('close', settle)
        this.waitingForDrain = undefined
        if (this.closed) reject(this.closedError())
        else resolve()
      }
      this.socket.on('drain', settle)
      this.socket.on('close', settle)
    })
    return this.waitingForDrain
  }

  protected closedError(): BenchConnectionError {
    return new BenchConnectionError(`${this.driverName} connection closed`, { cause: this.error })
  }
}

/** Parses `host:port` (the addresses these drivers' listeners give out). */
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
  private readonly open = new Set<BenchConnection>()

  add(connection: BenchConnection): BenchConnection {
    this.open.add(connection)
    connection.onClose(() => this.open.delete(connection))
    return connection
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.open].map((c) => c.close()))
  }
}

/** Starts `server` on `host` at a free port; resolves to the port. */
export async function listenOnFreePort(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port: 0, backlog: 1024 }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const bound = server.address()
  if (bound === null || typeof bound === 'string') throw new BenchConnectionError(`no TCP port on ${host}`)
  return bound.port
}

/** A driver whose connections are `wrap(socket)` over plain TCP, set up by connect alone. */
export function tcpDriver(name: string, wrap: (socket: Socket) => BenchConnection): Driver {
  async function listen({ host, onConnection }: ListenOptions): Promise<Listener> {
    const connections = new ConnectionSet()
    const server: Server = createServer((socket) => onConnection(connections.add(wrap(socket))))
    const port = await listenOnFreePort(server, host)
    return {
      address: `${host}:${port}`,
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
            resolve(connections.add(wrap(socket)))
          })
        })
      },
      close: () => connections.closeAll(),
    }
  }

  return { name, listen, createDialer }
}
