// An authenticated connection (Octez's P2p_socket.connection): a TCP socket, its I/O share and two
// byte-bounded message queues, between a reader (chunk-reader, frame-reader) and a writer worker.

import type { Socket } from 'node:net'
import { MAX_CHUNK_PLAINTEXT, MacError } from '../crypto/index.js'
import { InvalidArgumentError } from '../errors/index.js'
import { BoundedQueue } from '../io/bounded-queue.js'
import { type Clock, systemClock } from '../io/clock.js'
import { QueueClosedError } from '../io/errors.js'
import type { MemoryBudget } from '../io/memory-budget.js'
import { pullIterator } from '../io/pull-iterator.js'
import type { IoHandle, IoScheduler } from '../io/scheduler.js'
import { DecodeError, type MessageRegistry, type P2pMessage } from '../wire/index.js'
import { type BufferPool, processBufferPool } from './buffer-pool.js'
import { ChunkReader } from './chunk-reader.js'
import { ConnectionWriter, LIMITED_WRITE_SLICE } from './connection-writer.js'
import { type CloseReason, ConnectionClosedError, socketErrorReason } from './errors.js'
import { FRAME_PREFIX, FrameReader } from './frame-reader.js'
import type { AuthenticatedPeer, HandshakeResult } from './handshake.js'
import { readsIntoSharedBuffer } from './shared-read.js'
import type { NegotiatedVersion } from './versions.js'

/** Tunables of one connection. Queue sizes are in bytes of encoded frames. */
export interface ConnectionOptions {
  /** Bound of the incoming queue; when full, the socket stops being read. Default unbounded. */
  readonly incomingQueueBytes?: number
  /** Bound of the outgoing queue; `send` waits and `trySend` fails while it is full. */
  readonly outgoingQueueBytes?: number
  /** Largest plaintext per chunk we write (default and maximum 65517). */
  readonly chunkSize?: number | undefined
  /** How long a graceful close waits for queued messages to go out before cutting. */
  readonly closeTimeoutMs?: number
  /** The peer's score, read by the I/O scheduler to weigh this connection's share. */
  readonly score?: () => number
  /**
   * How long the outgoing queue may stay full with nothing leaving it before the connection is
   * closed (`write_stall`). Default: never.
   */
  readonly writeStallTimeoutMs?: number
  /** A budget shared with other connections: queued bytes and bytes in the socket count in it. */
  readonly budget?: MemoryBudget
  /** Called for each empty chunk (a MAC and no plaintext: legal on the wire, but useless). */
  readonly onEmptyChunk?: () => void
  /**
   * The spare buffers to reuse, shared with the creator's other connections. Default: the
   * process's pool (`processBufferPool()`).
   */
  readonly buffers?: BufferPool
  /** The clock of the establishment time, the close timeout and the write-stall watch (default systemClock). */
  readonly clock?: Clock | undefined
}

/** Traffic figures of one connection (wire bytes, chunk headers and MACs included). */
export interface ConnectionStats {
  readonly bytesSent: number
  readonly bytesReceived: number
  /** Moving averages in bytes/s. */
  readonly flowOut: number
  readonly flowIn: number
  readonly messagesSent: number
  readonly messagesReceived: number
  readonly incomingQueueBytes: number
  readonly outgoingQueueBytes: number
  readonly establishedAt: number
}

/** Shared empty lists: an idle connection allocates none (each is replaced before any push). */
const NO_OVERFLOW: never[] = []
const NO_MESSAGES: never[] = []

const PAUSED_BY_QUEUE = 1
const PAUSED_BY_SCHEDULER = 2

export class Connection<A, M = unknown> {
  readonly peer: AuthenticatedPeer<M>
  readonly version: NegotiatedVersion
  readonly #socket: Socket
  readonly #registry: MessageRegistry<A>
  readonly #io: IoHandle
  readonly #incoming: BoundedQueue<P2pMessage<A>>
  readonly #outgoing: BoundedQueue<P2pMessage<A>>
  readonly #closeTimeoutMs: number
  /** The socket reads into a shared buffer: bytes kept past a read are copied. */
  readonly #copyReads: boolean
  readonly #clock: Clock
  readonly #establishedAt: number
  readonly #budget: MemoryBudget | undefined
  /** The reader's stages: socket bytes to chunks, chunks to frames; and the writer worker. */
  readonly #chunks: ChunkReader<Connection<A, M>>
  readonly #frames: FrameReader<Connection<A, M>>
  readonly #writer: ConnectionWriter<A>

  /** Why reading is paused (PAUSED_BY_* flags), and the bytes read meanwhile. */
  #paused = 0
  #backlog: Buffer | undefined
  /** Messages decoded while the incoming queue was full, in order (at most one chunk's worth). */
  #overflow: Array<{ message: P2pMessage<A>; size: number }> = NO_OVERFLOW

  #messagesReceived = 0
  #closing: Promise<void> | undefined
  /** Set by a graceful close, so the peer's answering EOF does not overwrite it. */
  #localReason: CloseReason | undefined
  #closeReason: CloseReason | undefined
  /** Messages received before the close, still to be read (set at close). */
  #undelivered: Array<P2pMessage<A>> = NO_MESSAGES
  readonly #closed: Promise<CloseReason>
  #resolveClosed!: (reason: CloseReason) => void

  constructor(
    handshake: HandshakeResult<M>,
    registry: MessageRegistry<A>,
    scheduler: IoScheduler,
    options: ConnectionOptions = {},
  ) {
    this.peer = handshake.peer
    this.version = handshake.version
    this.#socket = handshake.socket
    this.#registry = registry
    this.#io = scheduler.register({
      ...(options.score ? { score: options.score } : {}),
      resumeRead: () => this.#unpause(PAUSED_BY_SCHEDULER),
    })
    const chunkSize = Math.min(options.chunkSize ?? MAX_CHUNK_PLAINTEXT, MAX_CHUNK_PLAINTEXT)
    if (!(chunkSize >= 16))
      throw new InvalidArgumentError(`chunkSize must be at least 16, got ${options.chunkSize}`)
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 2000
    this.#clock = options.clock ?? systemClock
    this.#establishedAt = this.#clock.now()
    this.#copyReads = readsIntoSharedBuffer(handshake.socket)
    this.#budget = options.budget
    const budget = this.#budget ? { budget: this.#budget } : {}
    this.#incoming = new BoundedQueue({
      capacity: options.incomingQueueBytes ?? Number.POSITIVE_INFINITY,
      ...budget,
    })
    this.#outgoing = new BoundedQueue({
      capacity: options.outgoingQueueBytes ?? Number.POSITIVE_INFINITY,
      ...budget,
    })
    const buffers = options.buffers ?? processBufferPool()
    this.#chunks = new ChunkReader<Connection<A, M>>(Connection.#onChunk, this, buffers)
    this.#frames = new FrameReader<Connection<A, M>>(
      handshake.cipher,
      registry.maxFrameSize,
      buffers,
      Connection.#onFrame,
      this,
      options.onEmptyChunk,
    )
    this.#writer = new ConnectionWriter({
      socket: handshake.socket,
      cipher: handshake.cipher,
      registry,
      io: this.#io,
      outgoing: this.#outgoing,
      buffers,
      budget: this.#budget,
      chunkSize,
      writeSlice: scheduler.maxUploadSpeed === undefined ? Number.POSITIVE_INFINITY : LIMITED_WRITE_SLICE,
      writeStallTimeoutMs: options.writeStallTimeoutMs ?? Number.POSITIVE_INFINITY,
      clock: this.#clock,
      onStall: (ms) =>
        this.#terminate({ kind: 'write_stall', stalledMs: ms, queuedBytes: this.#outgoing.bytes }),
      onError: (err) => this.#terminate(socketErrorReason(err)),
    })
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve
    })

    const socket = this.#socket
    socket.setNoDelay(true)
    socket.on('data', this.#onData)
    const onEnd = (): void => this.#terminate(this.#localReason ?? { kind: 'eof' })
    socket.on('end', onEnd)
    socket.on('close', onEnd)
    socket.on('error', (error) => this.#terminate(socketErrorReason(error)))
    if (handshake.leftover.length > 0) this.#onData(handshake.leftover)
  }

  /** The peer's id in base58 (`id…`). */
  get peerId(): string {
    return this.peer.peerIdB58
  }

  /** Resolves with the reason once the connection is closed, whoever closed it. */
  get closed(): Promise<CloseReason> {
    return this.#closed
  }

  /** Why the connection closed, once it has. */
  get closeReason(): CloseReason | undefined {
    return this.#closeReason
  }

  get isOpen(): boolean {
    return this.#closeReason === undefined && this.#closing === undefined
  }

  /** Queues `message`, waiting while the outgoing queue is full. Rejects once the connection closes. */
  send(message: P2pMessage<A>): Promise<void> {
    if (!this.isOpen) return Promise.reject(this.#closedError())
    return this.#writer.enqueue(message).catch((err) => {
      throw err instanceof QueueClosedError ? this.#closedError() : err
    })
  }

  /** Queues `message` if it fits now; false (nothing queued) when the queue is full or closed. */
  trySend(message: P2pMessage<A>): boolean {
    return this.isOpen && this.#writer.tryEnqueue(message)
  }

  /**
   * The next received message (Disconnect is handled here and never returned). After the
   * connection closes, the messages already received are still returned, then it rejects with
   * ConnectionClosedError carrying the reason.
   */
  async receive(): Promise<P2pMessage<A>> {
    const message = this.tryReceive() ?? (await this.#receiveOrEnd())
    if (message === undefined) throw this.#closedError()
    return message
  }

  /** The next received message, or `undefined` once the connection closed and all were read. */
  async #receiveOrEnd(): Promise<P2pMessage<A> | undefined> {
    return (await this.#incoming.shiftOrEnd()) ?? this.#undelivered.shift()
  }

  /** A received message if one is waiting, else undefined. */
  tryReceive(): P2pMessage<A> | undefined {
    return this.#incoming.tryShift() ?? this.#undelivered.shift()
  }

  /** The received messages until the connection closes (no generator: one settled promise per ready message). */
  [Symbol.asyncIterator](): AsyncIterator<P2pMessage<A>> {
    // The end is `undefined`, not a ConnectionClosedError: a close costs the loop no Error.
    return pullIterator(
      () => this.tryReceive(),
      () => this.#receiveOrEnd(),
    )
  }

  /** Bytes this connection holds: both queues, and what the socket has not yet written. */
  get queuedBytes(): number {
    return this.#incoming.bytes + this.#outgoing.bytes + this.#writer.unconfirmedBytes
  }

  stats(): ConnectionStats {
    const io = this.#io.stats()
    return {
      bytesSent: io.bytesOut,
      bytesReceived: io.bytesIn,
      flowOut: io.flowOut,
      flowIn: io.flowIn,
      messagesSent: this.#writer.messagesSent,
      messagesReceived: this.#messagesReceived,
      incomingQueueBytes: this.#incoming.bytes,
      outgoingQueueBytes: this.#outgoing.bytes,
      establishedAt: this.#establishedAt,
    }
  }

  /**
   * Closes gracefully: the messages already queued go out, then Disconnect, then the socket is
   * ended (cut after closeTimeoutMs). With `flush: false`, Disconnect goes out at once.
   */
  close(reason: CloseReason = { kind: 'local' }, options: { flush?: boolean } = {}): Promise<void> {
    if (this.#closing) return this.#closing
    if (this.#closeReason) return Promise.resolve()
    this.#localReason = reason
    this.#closing = this.#gracefulClose(reason, options.flush ?? true)
    return this.#closing
  }

  /** Closes at once without Disconnect (a protocol violation, a kick). */
  destroy(reason: CloseReason = { kind: 'local' }): void {
    this.#terminate(reason)
  }

  async #gracefulClose(reason: CloseReason, flush: boolean): Promise<void> {
    const timer = this.#clock.setTimeout(() => this.#terminate(reason), this.#closeTimeoutMs)
    try {
      // Without flush, queued messages are dropped on purpose: the caller asked for it.
      if (!flush) this.#outgoing.drain()
      const queued = this.#outgoing.push({ kind: 'disconnect' }, 0)
      this.#writer.start()
      await queued
      await this.#writer.idle()
      await new Promise<void>((resolve) => this.#socket.end(resolve))
    } catch {
      // closed meanwhile: the reason already set wins
    } finally {
      this.#clock.clearTimeout(timer)
      this.#terminate(reason)
    }
  }

  #terminate(reason: CloseReason): void {
    if (this.#closeReason) return
    this.#closeReason = reason
    this.#socket.off('data', this.#onData)
    this.#socket.destroy()
    this.#io.close()
    // What the socket held is gone with it; later write callbacks release nothing.
    this.#writer.stop()
    // A peer dropped for abuse gets none of its last messages read; the others' still are.
    const discard = reason.kind === 'flood' || reason.kind === 'memory_budget'
    const received = this.#incoming.drain()
    this.#undelivered = discard ? [] : received
    if (!discard) for (const { message } of this.#overflow) this.#undelivered.push(message)
    this.#overflow = NO_OVERFLOW
    // The reason, not an Error: the queues make theirs only if someone waits (readers get #closedError()).
    this.#incoming.close(reason)
    this.#outgoing.close(reason)
    // Closed first, so no waiting push takes the room: unsent messages free their budget.
    this.#outgoing.drain()
    this.#chunks.reset()
    this.#frames.reset()
    this.#backlog = undefined
    this.#resolveClosed(reason)
  }

  #closedError(): ConnectionClosedError {
    return new ConnectionClosedError(this.#closeReason ?? { kind: 'local', detail: 'closing' })
  }

  // ---- reader worker: socket bytes -> chunks -> frames -> incoming queue ----

  readonly #onData = (data: Buffer): void => {
    if (this.#closeReason) return
    if (!this.#io.consumedRead(data.length) && !this.#closeReason) this.#pause(PAUSED_BY_SCHEDULER)
    if (this.#paused & PAUSED_BY_QUEUE) {
      this.#backlog = this.#backlog
        ? Buffer.concat([this.#backlog, data])
        : this.#copyReads
          ? Buffer.from(data)
          : data
      return
    }
    this.#consume(data)
  }

  #consume(data: Buffer): void {
    try {
      const stopped = this.#chunks.feed(data)
      if (stopped < data.length && !this.#closeReason) {
        // Paused by a full queue: the rest waits (copied out of a shared read buffer).
        this.#backlog = this.#copyReads ? Buffer.from(data.subarray(stopped)) : data.subarray(stopped)
      }
    } catch (err) {
      this.#failRead(err)
    }
  }

  /**
   * Each whole chunk: opened into frames; reading goes on unless that paused or closed it. One
   * function for every connection (not a closure each), so that the readers' calls inline.
   */
  static #onChunk<A, M>(self: Connection<A, M>, body: Uint8Array): boolean {
    self.#frames.open(body)
    return !(self.#paused & PAUSED_BY_QUEUE) && self.#closeReason === undefined
  }

  /** Each whole frame: decoded into the incoming queue (or the overflow, pausing the reads). */
  static #onFrame<A, M>(self: Connection<A, M>, frame: Buffer): boolean {
    const message = self.#registry.decodeBody(frame, FRAME_PREFIX, frame.length)
    if (message.kind === 'disconnect') {
      self.#terminate({ kind: 'peer_disconnect' })
      return false
    }
    self.#messagesReceived++
    if (self.#overflow.length > 0 || !self.#incoming.tryPush(message, frame.length)) {
      if (self.#overflow === NO_OVERFLOW) self.#overflow = []
      self.#overflow.push({ message, size: frame.length })
      if (!(self.#paused & PAUSED_BY_QUEUE)) {
        self.#pause(PAUSED_BY_QUEUE)
        void self.#flushOverflow()
      }
    }
    return true
  }

  async #flushOverflow(): Promise<void> {
    try {
      while (this.#overflow.length > 0) {
        const { message, size } = this.#overflow[0]!
        await this.#incoming.push(message, size)
        this.#overflow.shift()
      }
    } catch {
      return // closed: #terminate moved the overflow to #undelivered
    }
    const backlog = this.#backlog
    this.#backlog = undefined
    this.#paused &= ~PAUSED_BY_QUEUE
    if (backlog) this.#consume(backlog)
    if (this.#overflow.length === 0 && !(this.#paused & PAUSED_BY_QUEUE)) this.#unpause(0)
  }

  #pause(flag: number): void {
    if (this.#paused === 0) this.#socket.pause()
    this.#paused |= flag
  }

  #unpause(flag: number): void {
    this.#paused &= ~flag
    if (this.#paused === 0 && !this.#closeReason) this.#socket.resume()
  }

  #failRead(err: unknown): void {
    if (err instanceof MacError) this.#terminate({ kind: 'mac_error', error: err })
    else if (err instanceof DecodeError) this.#terminate({ kind: 'decode_error', error: err })
    else this.#terminate(socketErrorReason(err))
  }
}
