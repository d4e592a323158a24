// Exact-size reads over a socket during the handshake. Bytes the peer pipelined after the
// last handshake chunk are handed over to the connection's reader by `detach()`.
import type { Socket } from 'node:net'
import { InvalidArgumentError } from '../errors/index.js'
import { readsIntoSharedBuffer } from './shared-read.js'

const EMPTY = Buffer.alloc(0)

/** Raised inside the handshake when the socket ends or fails before enough bytes came. */
export class SocketEndedError extends Error {
  constructor(cause?: unknown) {
    super(cause instanceof Error ? `socket failed: ${cause.message}` : 'socket ended', { cause })
  }
}

export class HandshakeReader {
  private readonly socket: Socket
  private chunks: Buffer[] = []
  private buffered = 0
  private wanted = 0
  private waiter: { resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined
  private ended: Error | undefined
  /** The socket reads into a shared buffer: what is kept must be copied. */
  private readonly copyReads: boolean

  private readonly onData = (data: Buffer): void => {
    this.chunks.push(this.copyReads ? Buffer.from(data) : data)
    this.buffered += data.length
    this.settle()
  }
  private readonly onEnd = (): void => this.fail(new SocketEndedError())
  private readonly onError = (err: Error): void => this.fail(new SocketEndedError(err))

  constructor(socket: Socket) {
    this.socket = socket
    this.copyReads = readsIntoSharedBuffer(socket)
    socket.on('data', this.onData)
    socket.on('end', this.onEnd)
    socket.on('close', this.onEnd)
    socket.on('error', this.onError)
  }

  /** Resolves with exactly `n` bytes, or rejects with SocketEndedError. One read at a time. */
  read(n: number): Promise<Buffer> {
    if (this.waiter) throw new Error('HandshakeReader: concurrent read')
    if (this.buffered >= n) return Promise.resolve(this.take(n))
    if (this.ended) return Promise.reject(this.ended)
    return new Promise((resolve, reject) => {
      this.wanted = n
      this.waiter = { resolve, reject }
    })
  }

  /** Stops listening and returns the bytes read past the handshake (possibly empty). */
  detach(): Buffer {
    this.socket.off('data', this.onData)
    this.socket.off('end', this.onEnd)
    this.socket.off('close', this.onEnd)
    this.socket.off('error', this.onError)
    const [first] = this.chunks
    const rest =
      first !== undefined && this.chunks.length === 1 ? first : Buffer.concat(this.chunks, this.buffered)
    this.chunks = []
    this.buffered = 0
    return rest
  }

  private settle(): void {
    const waiter = this.waiter
    if (waiter && this.buffered >= this.wanted) {
      this.waiter = undefined
      waiter.resolve(this.take(this.wanted))
    }
  }

  private fail(err: Error): void {
    if (this.ended) return
    this.ended = err
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.reject(err)
  }

  private take(n: number): Buffer {
    if (n === 0) return EMPTY
    const first = this.chunks[0]
    if (first === undefined || n > this.buffered)
      throw new InvalidArgumentError(`HandshakeReader: ${n} bytes taken, ${this.buffered} buffered`)
    let out: Buffer
    if (first.length >= n) {
      out = first.subarray(0, n)
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
    } else {
      out = Buffer.allocUnsafe(n)
      let filled = 0
      while (filled < n) {
        const chunk = this.chunks[0]
        if (chunk === undefined) break // n <= buffered: the chunks hold n bytes
        const k = Math.min(chunk.length, n - filled)
        chunk.copy(out, filled, 0, k)
        filled += k
        if (k === chunk.length) this.chunks.shift()
        else this.chunks[0] = chunk.subarray(k)
      }
    }
    this.buffered -= n
    return out
  }
}
