// An authenticated connection (Octez's P2p_socket.connection): a TCP socket with its channel
// cipher, I/O scheduling and two byte-bounded message queues run by a reader and a writer worker.
import type { Socket } from 'node:net'
import { type ChunkCipher, MAC_BYTES, MAX_CHUNK_PLAINTEXT, MacError } from '../crypto/index.js'
import { InvalidArgumentError } from '../errors/index.js'
import { BoundedQueue } from '../io/bounded-queue.js'
import { QueueClosedError } from '../io/errors.js'
import type { MemoryBudget } from '../io/memory-budget.js'
import { pullIterator } from '../io/pull-iterator.js'
import type { IoHandle, IoScheduler } from '../io/scheduler.js'
import { DecodeError, type MessageRegistry, type P2pMessage } from '../wire/index.js'
import { type CloseReason, ConnectionClosedError, socketErrorReason } from './errors.js'
import type { AuthenticatedPeer, HandshakeResult } from './handshake.js'
import { readsIntoSharedBuffer } from './shared-read.js'
import type { NegotiatedVersion } from './versions.js'
import { WriteStallWatch } from './write-stall.js'

/** Tunables of one connection. Queue sizes are in bytes of encoded frames. */
export interface ConnectionOptions {
  /** Bound of the incoming queue; when full, the socket stops being read. Default unbounded. */
  readonly incomingQueueBytes?: number
  /** Bound of the outgoing queue; `send` waits and `trySend` fails while it is full. */
  readonly outgoingQueueBytes?: number
  /** Largest plaintext per chunk we write (default and maximum 65517). */
  readonly chunkSize?: number
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

/** Bytes a batch of queued messages may fill before it is written to the socket. */
const BATCH_BYTES = 128 * 1024
/**
 * Bytes written to the socket and not yet confirmed by their write callback before the writer
 * waits (until half are): a few batches in flight keep the kernel busy while the next is sealed,
 * and the bound keeps the output buffers in flight within the shared spares (no allocation).
 */
const SOCKET_WRITE_HIGH_WATER = 1024 * 1024
const SOCKET_WRITE_LOW_WATER = SOCKET_WRITE_HIGH_WATER / 2

/** With an upload limit, a batch is granted and written in slices this big, so shares stay fine-grained. */
const LIMITED_WRITE_SLICE = 16 * 1024
const CHUNK_OVERHEAD = 2 + MAC_BYTES
const FRAME_PREFIX = 4

/**
 * Output buffers of the writers, shared by every connection and reused once the socket has
 * written them (its write callback), so bulk sending allocates nothing per batch. Idle
 * connections hold none.
 */
const OUTPUT_BUFFER_BYTES = 256 * 1024
const spareOutputBuffers: Buffer[] = []
/**
 * Without a spare, a small batch gets a buffer of its own size (from Node's pool below 4 KiB):
 * many connections writing a message each in one tick (a Disconnect to every peer at close, a
 * gossip round) would otherwise allocate 256 KiB per connection.
 */
const SMALL_BATCH_BYTES = 16 * 1024
const takeOutputBuffer = (size: number): Buffer =>
  (size <= OUTPUT_BUFFER_BYTES ? spareOutputBuffers.pop() : undefined) ??
  (size <= SMALL_BATCH_BYTES
    ? Buffer.allocUnsafe(size)
    : Buffer.allocUnsafeSlow(Math.max(size, OUTPUT_BUFFER_BYTES)))
const giveBackOutputBuffer = (buffer: Buffer): void => {
  if (buffer.length === OUTPUT_BUFFER_BYTES && spareOutputBuffers.length < 16) spareOutputBuffers.push(buffer)
}

/**
 * Buffers for a chunk cut by a socket read, shared by every connection: taken at the cut and
 * given back once the chunk is decrypted, so bulk reading allocates none per chunk. Idle
 * connections hold none.
 */
const CARRY_BYTES = 2 + 0xffff
const spareCarries: Buffer[] = []
const takeCarry = (): Buffer => spareCarries.pop() ?? Buffer.allocUnsafeSlow(CARRY_BYTES)
const giveBackCarry = (buffer: Buffer): void => {
  if (spareCarries.length < 8) spareCarries.push(buffer)
}

/** Plaintext scratch shared by every connection: each use is synchronous, so no two overlap. */
let scratch = Buffer.allocUnsafe(MAX_CHUNK_PLAINTEXT)
const scratchOf = (size: number): Buffer => {
  if (scratch.length < size) scratch = Buffer.allocUnsafe(size)
  return scratch
}

/** Shared empty lists: an idle connection allocates none (each is replaced before any push). */
const NO_OVERFLOW: never[] = []
const NO_MESSAGES: never[] = []

/** Where the reader peeks at a frame's size (shared: each use is synchronous). */
const peekedSize = Buffer.alloc(FRAME_PREFIX)
/**
 * Chunks of fewer plaintext bytes are opened into the scratch buffer and their frames copied
 * out: copying a few KiB costs less than computing a keystream block to peek at the size.
 */
const PEEK_MIN_PLAINTEXT = 4096

/**
 * `length` bytes of `buffer` from `start`, as a plain Uint8Array for sodium: a Buffer's
 * `subarray` builds a Buffer through its species, about 4× the cost, once per chunk.
 */
const view = (buffer: Buffer, start: number, length: number): Uint8Array =>
  new Uint8Array(buffer.buffer, buffer.byteOffset + start, length)

const PAUSED_BY_QUEUE = 1
const PAUSED_BY_SCHEDULER = 2

export class Connection<A, M = unknown> {
  readonly peer: AuthenticatedPeer<M>
  readonly version: NegotiatedVersion
  readonly #socket: Socket
  readonly #cipher: ChunkCipher
  readonly #registry: MessageRegistry<A>
  readonly #io: IoHandle
  readonly #incoming: BoundedQueue<P2pMessage<A>>
  readonly #outgoing: BoundedQueue<P2pMessage<A>>
  readonly #chunkSize: number
  readonly #closeTimeoutMs: number
  readonly #writeSlice: number
  /** The socket reads into a shared buffer: bytes kept past a read are copied. */
  readonly #copyReads: boolean
  readonly #establishedAt = Date.now()
  readonly #budget: MemoryBudget | undefined
  readonly #writeStall: WriteStallWatch
  readonly #onEmptyChunk: (() => void) | undefined

  /** Writer state: bytes written to the socket whose write callback has not come yet, and the writer waiting on them. */
  #unconfirmed = 0
  #writeConfirmed: (() => void) | undefined
  // Reader state: an incomplete chunk (header included) and an incomplete frame.
  #carry: Buffer | undefined
  #carryFill = 0
  /** Wire bytes of the carried chunk (its length included); 0 while its length is itself cut. */
  #carryEnd = 0
  #frame: Buffer | undefined
  #frameFill = 0
  #paused = 0
  #backlog: Buffer | undefined
  /** Messages decoded while the incoming queue was full, in order (at most one chunk's worth). */
  #overflow: Array<{ message: P2pMessage<A>; size: number }> = NO_OVERFLOW

  #messagesSent = 0
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
    this.#cipher = handshake.cipher
    this.#registry = registry
    this.#io = scheduler.register({
      ...(options.score ? { score: options.score } : {}),
      resumeRead: () => this.#unpause(PAUSED_BY_SCHEDULER),
    })
    this.#chunkSize = Math.min(options.chunkSize ?? MAX_CHUNK_PLAINTEXT, MAX_CHUNK_PLAINTEXT)
    if (!(this.#chunkSize >= 16))
      throw new InvalidArgumentError(`chunkSize must be at least 16, got ${options.chunkSize}`)
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 2000
    this.#copyReads = readsIntoSharedBuffer(handshake.socket)
    this.#writeSlice = scheduler.maxUploadSpeed === undefined ? Number.POSITIVE_INFINITY : LIMITED_WRITE_SLICE
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
    this.#writeStall = new WriteStallWatch(options.writeStallTimeoutMs ?? Number.POSITIVE_INFINITY, (ms) =>
      this.#terminate({ kind: 'write_stall', stalledMs: ms, queuedBytes: this.#outgoing.bytes }),
    )
    this.#onEmptyChunk = options.onEmptyChunk
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
    const queued = this.#outgoing.push(message, this.#registry.sizeOf(message)).catch((err) => {
      throw err instanceof QueueClosedError ? this.#closedError() : err
    })
    if (this.#outgoing.waitingPushes > 0) this.#writeStall.refused()
    this.#startWriter()
    return queued
  }

  /** Queues `message` if it fits now; false (nothing queued) when the queue is full or closed. */
  trySend(message: P2pMessage<A>): boolean {
    if (!this.isOpen) return false
    if (!this.#outgoing.tryPush(message, this.#registry.sizeOf(message))) {
      this.#writeStall.refused()
      return false
    }
    this.#startWriter()
    return true
  }

  /**
   * The next received message (Disconnect is handled here and never returned). After the
   * connection closes, the messages already received are still returned, then it rejects with
   * ConnectionClosedError carrying the reason.
   */
  async receive(): Promise<P2pMessage<A>> {
    const ready = this.#incoming.tryShift() ?? this.#undelivered.shift()
    if (ready !== undefined) return ready
    try {
      return await this.#incoming.shift()
    } catch (err) {
      const late = this.#undelivered.shift()
      if (late !== undefined) return late
      throw err instanceof QueueClosedError ? this.#closedError() : err
    }
  }

  /** A received message if one is waiting, else undefined. */
  tryReceive(): P2pMessage<A> | undefined {
    return this.#incoming.tryShift() ?? this.#undelivered.shift()
  }

  /** The received messages until the connection closes (no generator: one settled promise per ready message). */
  [Symbol.asyncIterator](): AsyncIterator<P2pMessage<A>> {
    return pullIterator(
      () => this.tryReceive(),
      () => this.receive(),
      (err) => err instanceof ConnectionClosedError,
    )
  }

  /** Bytes this connection holds: both queues, and what the socket has not yet written. */
  get queuedBytes(): number {
    return this.#incoming.bytes + this.#outgoing.bytes + this.#unconfirmed
  }

  stats(): ConnectionStats {
    const io = this.#io.stats()
    return {
      bytesSent: io.bytesOut,
      bytesReceived: io.bytesIn,
      flowOut: io.flowOut,
      flowIn: io.flowIn,
      messagesSent: this.#messagesSent,
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
    const timer = setTimeout(() => this.#terminate(reason), this.#closeTimeoutMs)
    try {
      // Without flush, queued messages are dropped on purpose: the caller asked for it.
      if (!flush) this.#outgoing.drain()
      const queued = this.#outgoing.push({ kind: 'disconnect' }, 0)
      this.#startWriter()
      await queued
      await this.#writerIdle()
      await new Promise<void>((resolve) => this.#socket.end(resolve))
    } catch {
      // closed meanwhile: the reason already set wins
    } finally {
      clearTimeout(timer)
      this.#terminate(reason)
    }
  }

  #writerIdleWaiters: Array<() => void> | undefined
  #writerRunning = false
  #writerIdle(): Promise<void> {
    if (!this.#writerRunning && this.#outgoing.length === 0) return Promise.resolve()
    return new Promise((resolve) => {
      this.#writerIdleWaiters ??= []
      this.#writerIdleWaiters.push(resolve)
    })
  }

  #notifyWriterIdle(): void {
    const waiters = this.#writerIdleWaiters
    this.#writerIdleWaiters = undefined
    if (waiters) for (const resolve of waiters) resolve()
  }

  #terminate(reason: CloseReason): void {
    if (this.#closeReason) return
    this.#closeReason = reason
    this.#socket.off('data', this.#onData)
    this.#socket.destroy()
    this.#io.close()
    this.#writeStall.progressed()
    // What the socket held is gone with it; later write callbacks release nothing.
    this.#budget?.release(this.#unconfirmed)
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
    this.#notifyWriterIdle()
    this.#carry = undefined
    this.#frame = undefined
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
    let off = 0
    const end = data.length
    try {
      if (this.#carry) {
        off = this.#fillCarry(data)
        if (this.#carry) return
      }
      while (off < end) {
        if (this.#closeReason) return
        if (this.#paused & PAUSED_BY_QUEUE) {
          this.#backlog = this.#copyReads ? Buffer.from(data.subarray(off)) : data.subarray(off)
          return
        }
        if (end - off < 2) {
          this.#startCarry(data, off)
          return
        }
        const length = data.readUInt16BE(off)
        if (end - off - 2 < length) {
          this.#startCarry(data, off)
          return
        }
        this.#onChunk(view(data, off + 2, length))
        off += 2 + length
      }
    } catch (err) {
      this.#failRead(err)
    }
  }

  #startCarry(data: Buffer, off: number): void {
    const carry = takeCarry()
    this.#carryFill = data.copy(carry, 0, off)
    this.#carryEnd = this.#carryFill >= 2 ? 2 + carry.readUInt16BE(0) : 0
    this.#carry = carry
  }

  /** Completes the carried chunk from `data`; returns the offset in `data` after what it used. */
  #fillCarry(data: Buffer): number {
    const carry = this.#carry!
    let off = 0
    if (this.#carryEnd === 0) {
      carry[1] = data[0]!
      off = 1
      this.#carryFill = 2
      this.#carryEnd = 2 + carry.readUInt16BE(0)
    }
    const n = Math.min(this.#carryEnd - this.#carryFill, data.length - off)
    data.copy(carry, this.#carryFill, off, off + n)
    this.#carryFill += n
    off += n
    if (this.#carryFill === this.#carryEnd) {
      this.#carry = undefined
      try {
        this.#onChunk(view(carry, 2, this.#carryEnd - 2))
      } finally {
        giveBackCarry(carry)
      }
    }
    return off
  }

  /**
   * Decrypts one chunk straight into the frame it belongs to. At the first chunk of a large
   * frame the frame's size is read from the keystream (unauthenticated, only to size the
   * buffer); `open` then verifies the MAC while decrypting into the new frame. Small chunks and
   * anything unusual (a bad size, several frames in one chunk) take the general path through
   * the scratch buffer.
   */
  #onChunk(boxed: Uint8Array): void {
    if (boxed.length < MAC_BYTES)
      throw new MacError(`a chunk of ${boxed.length} bytes is shorter than its MAC`)
    const plainLength = boxed.length - MAC_BYTES
    if (plainLength === 0) {
      this.#cipher.open(boxed, scratch, 0)
      this.#onEmptyChunk?.()
      return
    }
    const frame = this.#frame
    if (frame) {
      if (plainLength <= frame.length - this.#frameFill) {
        this.#cipher.open(boxed, frame, this.#frameFill)
        this.#frameFill += plainLength
        if (this.#frameFill === frame.length) this.#frameDone(frame)
        return
      }
    } else if (
      this.#frameFill === 0 &&
      plainLength >= PEEK_MIN_PLAINTEXT &&
      this.#cipher.peekPlaintext(boxed, peekedSize, FRAME_PREFIX)
    ) {
      const size = peekedSize.readUInt32BE(0)
      if (size > 0 && size <= this.#registry.maxFrameSize && FRAME_PREFIX + size >= plainLength) {
        const fresh = Buffer.allocUnsafe(FRAME_PREFIX + size)
        this.#cipher.open(boxed, fresh, 0)
        if (plainLength === fresh.length) this.#frameDone(fresh)
        else {
          this.#frame = fresh
          this.#frameFill = plainLength
        }
        return
      }
    }
    if (!frame && this.#frameFill === 0 && plainLength < PEEK_MIN_PLAINTEXT) {
      // A small chunk that starts a frame (each message starts a chunk): opened into a buffer
      // of its own, which is the frame when the chunk holds exactly one, with no scratch copy.
      const fresh = Buffer.allocUnsafe(plainLength)
      this.#cipher.open(boxed, fresh, 0)
      if (plainLength > FRAME_PREFIX) {
        const size = fresh.readUInt32BE(0)
        if (FRAME_PREFIX + size === plainLength && size <= this.#registry.maxFrameSize) {
          this.#frameDone(fresh)
          return
        }
      }
      this.#splitPlaintext(fresh, plainLength)
      return
    }
    const plain = scratchOf(plainLength)
    this.#cipher.open(boxed, plain, 0)
    this.#splitPlaintext(plain, plainLength)
  }

  /** Spreads decrypted bytes over the current frame and the frames that start after it. */
  #splitPlaintext(plain: Buffer, length: number): void {
    let off = 0
    while (off < length && !this.#closeReason) {
      let frame = this.#frame
      if (!frame) {
        // A frame starts here; its u32 size may itself be cut (tiny chunks).
        if (this.#frameFill > 0 || length - off < FRAME_PREFIX) {
          off = this.#fillSizePrefix(plain, off, length)
          if (!this.#frame) continue
          frame = this.#frame
        } else {
          frame = this.#newFrame(plain.readUInt32BE(off), off)
          plain.copy(frame, 0, off, off + FRAME_PREFIX)
          this.#frameFill = FRAME_PREFIX
          off += FRAME_PREFIX
        }
      }
      const n = Math.min(frame.length - this.#frameFill, length - off)
      plain.copy(frame, this.#frameFill, off, off + n)
      this.#frameFill += n
      off += n
      if (this.#frameFill === frame.length) this.#frameDone(frame)
    }
  }

  /** The first bytes of a frame whose u32 size is cut by a chunk boundary (rare: tiny chunks). */
  #sizePrefix: Buffer | undefined
  #fillSizePrefix(plain: Buffer, off: number, length: number): number {
    if (this.#sizePrefix === undefined) this.#sizePrefix = Buffer.allocUnsafe(FRAME_PREFIX)
    const prefix = this.#sizePrefix
    while (this.#frameFill < FRAME_PREFIX && off < length) prefix[this.#frameFill++] = plain[off++]!
    if (this.#frameFill === FRAME_PREFIX) {
      const frame = this.#newFrame(prefix.readUInt32BE(0), off)
      prefix.copy(frame, 0)
      this.#sizePrefix = undefined
    }
    return off
  }

  #newFrame(size: number, offset: number): Buffer {
    if (size === 0) throw new DecodeError(offset, 'empty_frame', 'a P2P message of size 0', 'p2p_message')
    if (size > this.#registry.maxFrameSize) {
      throw new DecodeError(
        offset,
        'length_over_bound',
        `a P2P message of ${size} bytes exceeds the largest registered (${this.#registry.maxFrameSize})`,
        'p2p_message',
      )
    }
    const frame = Buffer.allocUnsafe(FRAME_PREFIX + size)
    this.#frame = frame
    return frame
  }

  #frameDone(frame: Buffer): void {
    this.#frame = undefined
    this.#frameFill = 0
    const message = this.#registry.decodeBody(frame, FRAME_PREFIX, frame.length)
    if (message.kind === 'disconnect') {
      this.#terminate({ kind: 'peer_disconnect' })
      return
    }
    this.#messagesReceived++
    if (this.#overflow.length > 0 || !this.#incoming.tryPush(message, frame.length)) {
      if (this.#overflow === NO_OVERFLOW) this.#overflow = []
      this.#overflow.push({ message, size: frame.length })
      if (!(this.#paused & PAUSED_BY_QUEUE)) {
        this.#pause(PAUSED_BY_QUEUE)
        void this.#flushOverflow()
      }
    }
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

  // ---- writer worker: outgoing queue -> frames -> sealed chunks -> socket ----

  /**
   * Starts the writer worker if it is not running. It runs while the outgoing queue has
   * messages and returns when it is empty, so an idle connection holds no suspended task.
   */
  #startWriter(): void {
    if (this.#writerRunning || this.#closeReason) return
    this.#writerRunning = true
    // After the current synchronous run, so that messages queued together go out in one batch.
    queueMicrotask(this.#runWriterTask)
  }

  readonly #runWriterTask = (): void => {
    void this.#runWriter()
  }

  /** The writer's batch and its frame sizes, reused by every run (one writer runs at a time). */
  #batch: Array<P2pMessage<A>> = NO_MESSAGES
  #frameSizes: number[] = NO_MESSAGES

  async #runWriter(): Promise<void> {
    const queue = this.#outgoing
    if (this.#batch === NO_MESSAGES) {
      this.#batch = []
      this.#frameSizes = []
    }
    const batch = this.#batch
    /** Frame sizes of the batch, computed once for its wire size and reused to seal it. */
    const frameSizes = this.#frameSizes
    try {
      for (let next = queue.tryShift(); next !== undefined; next = queue.tryShift()) {
        batch.length = 0
        frameSizes.length = 0
        let wireBytes = 0
        for (let message: P2pMessage<A> | undefined = next; message !== undefined; ) {
          const frameSize = this.#registry.sizeOf(message)
          batch.push(message)
          frameSizes.push(frameSize)
          wireBytes += this.#wireSize(frameSize)
          message = wireBytes < BATCH_BYTES ? queue.tryShift() : undefined
        }
        this.#writeStall.progressed()
        let buffer = takeOutputBuffer(wireBytes)
        this.#sealBatch(batch, frameSizes, buffer)
        if (wireBytes * 4 <= buffer.length && this.#socket.writableLength > 0) {
          // The socket is backed up, so this batch will wait: keep a copy of its size rather
          // than a whole output buffer (a peer that stops reading would pin one per batch).
          const small = Buffer.allocUnsafe(wireBytes)
          buffer.copy(small, 0, 0, wireBytes)
          giveBackOutputBuffer(buffer)
          buffer = small
        }
        const written = buffer
        for (let start = 0; start < wireBytes; start += this.#writeSlice) {
          const end = Math.min(wireBytes, start + this.#writeSlice)
          const quota = this.#io.requestWrite(end - start)
          if (quota) await quota
          if (this.#closeReason) return
          const last = end === wireBytes
          if (last) {
            this.#unconfirmed += wireBytes
            this.#budget?.reserve(wireBytes)
          }
          this.#socket.write(
            buffer.subarray(start, end),
            last ? () => this.#batchWritten(written, wireBytes) : undefined,
          )
        }
        this.#messagesSent += batch.length
        if (this.#unconfirmed > SOCKET_WRITE_HIGH_WATER) await this.#writesConfirmed()
      }
    } catch (err) {
      if (!(err instanceof QueueClosedError) && !(err instanceof ConnectionClosedError)) {
        this.#terminate(socketErrorReason(err))
      }
    } finally {
      // Synchronous from the last empty tryShift: no message can have slipped in unseen.
      batch.length = 0 // drop the references to the messages sent
      this.#writerRunning = false
      this.#notifyWriterIdle()
    }
  }

  #wireSize(frameSize: number): number {
    return frameSize + Math.ceil(frameSize / this.#chunkSize) * CHUNK_OVERHEAD
  }

  /**
   * Writes each frame straight into the output buffer where its first chunk's plaintext goes,
   * moves the later pieces apart to leave room for each chunk's length and MAC, then seals
   * every piece in place: no scratch copy of the message.
   */
  #sealBatch(batch: ReadonlyArray<P2pMessage<A>>, frameSizes: readonly number[], out: Buffer): void {
    const chunkSize = this.#chunkSize
    let pos = 0
    for (let m = 0; m < batch.length; m++) {
      const message = batch[m]!
      const frameSize = frameSizes[m]!
      const pieces = Math.ceil(frameSize / chunkSize)
      const start = pos + CHUNK_OVERHEAD
      this.#registry.writeFrame(message, out, start)
      for (let j = pieces - 1; j >= 1; j--) {
        const from = start + j * chunkSize
        out.copyWithin(from + j * CHUNK_OVERHEAD, from, from + Math.min(chunkSize, frameSize - j * chunkSize))
      }
      for (let j = 0; j < pieces; j++) {
        const length = Math.min(chunkSize, frameSize - j * chunkSize)
        const chunk = pos + j * (chunkSize + CHUNK_OVERHEAD)
        out.writeUInt16BE(length + MAC_BYTES, chunk)
        this.#cipher.seal(view(out, chunk + CHUNK_OVERHEAD, length), out, chunk + 2)
      }
      pos += frameSize + pieces * CHUNK_OVERHEAD
    }
  }

  /** A batch's write callback: its buffer goes back to the spares; a waiting writer may go on. */
  #batchWritten(buffer: Buffer, size: number): void {
    giveBackOutputBuffer(buffer)
    this.#unconfirmed -= size
    if (this.#closeReason === undefined) this.#budget?.release(size)
    if (this.#unconfirmed <= SOCKET_WRITE_LOW_WATER) this.#writeConfirmed?.()
  }

  /** Resolves once confirmed writes bring the bytes in flight down to the low water, or at close. */
  #writesConfirmed(): Promise<void> {
    if (this.#closeReason || this.#socket.destroyed) return Promise.resolve()
    return new Promise((resolve) => {
      const done = (): void => {
        this.#writeConfirmed = undefined
        this.#socket.off('close', done)
        resolve()
      }
      this.#writeConfirmed = done
      this.#socket.on('close', done)
    })
  }
}
