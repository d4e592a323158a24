// The raw-TCP baseline: node:net sockets carrying u32-length-prefixed messages, with no
// encryption or authentication — the physical limit the other drivers are measured against.
import type { Socket } from 'node:net'
import type { BenchConnection, Driver } from './driver.js'
import { FrameDecoder, frameHeader } from './framing.js'
import { TcpConnection, tcpDriver } from './tcp-connection.js'

/**
 * One socket. Writes issued in the same tick are corked together and leave in one writev
 * when the tick ends, header and message without copying.
 */
class RawTcpConnection extends TcpConnection {
  private corked = false
  private readonly uncork = (): void => {
    this.corked = false
    this.socket.uncork()
  }

  send(message: Buffer): Promise<void> | undefined {
    if (this.closed) return Promise.reject(this.closedError())
    if (!this.corked) {
      this.corked = true
      this.socket.cork()
      process.nextTick(this.uncork)
    }
    this.socket.write(frameHeader(message.length))
    return this.socket.write(message) ? undefined : this.drained()
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
}

export const rawTcpDriver: Driver = tcpDriver(
  'raw-tcp',
  (socket: Socket): BenchConnection => new RawTcpConnection(socket, 'raw-tcp'),
)
