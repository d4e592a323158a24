// The writer worker of a connection: queued messages are batched, framed and sealed in place into
// pooled output buffers, then written under the scheduler's quota and the socket's backpressure.

import type { Socket } from 'node:net'
import { type ChunkCipher, MAC_BYTES } from '../crypto/index.js'
import type { BoundedQueue } from '../io/bounded-queue.js'
import type { Clock } from '../io/clock.js'
import { QueueClosedError } from '../io/errors.js'
import type { MemoryBudget } from '../io/memory-budget.js'
import type { IoHandle } from '../io/scheduler.js'
import type { MessageRegistry, P2pMessage } from '../wire/index.js'
import type { BufferPool } from './buffer-pool.js'
import { ConnectionClosedError } from './errors.js'
import { WriteStallWatch } from './write-stall.js'

/** Bytes a batch of queued messages may fill before it is written to the socket. */
const BATCH_BYTES = 128 * 1024
/**
 * Bytes written to the socket and not yet confirmed by their write callback before the writer
 * waits (until half are): a few batches in flight keep the kernel busy while the next is sealed,
 * and the bound keeps the output buffers in flight within the pool's spares (no allocation).
 */
const SOCKET_WRITE_HIGH_WATER = 1024 * 1024
const SOCKET_WRITE_LOW_WATER = SOCKET_WRITE_HIGH_WATER / 2
/** With an upload limit, a batch is granted and written in slices this big, so shares stay fine-grained. */
export const LIMITED_WRITE_SLICE = 16 * 1024
/** A chunk's u16 length and MAC. */
const CHUNK_OVERHEAD = 2 + MAC_BYTES

/** Shared empty list: an idle writer allocates none (replaced before any push). */
const NO_MESSAGES: never[] = []

/**
 * `length` bytes of `buffer` from `start`, as a plain Uint8Array for sodium: a Buffer's
 * `subarray` builds a Buffer through its species, about 4× the cost, once per chunk.
 */
const view = (buffer: Buffer, start: number, length: number): Uint8Array =>
  new Uint8Array(buffer.buffer, buffer.byteOffset + start, length)

export interface ConnectionWriterParts<A> {
  readonly socket: Socket
  readonly cipher: ChunkCipher
  readonly registry: MessageRegistry<A>
  readonly io: IoHandle
  /** The connection's outgoing queue, which this writer empties. */
  readonly outgoing: BoundedQueue<P2pMessage<A>>
  readonly buffers: BufferPool
  readonly budget: MemoryBudget | undefined
  /** Largest plaintext per chunk. */
  readonly chunkSize: number
  /** Bytes granted and written at a time (Infinity: a batch at once). */
  readonly writeSlice: number
  /** The write-stall timeout (Infinity: never) and what to do when it passes. */
  readonly writeStallTimeoutMs: number
  /** The clock of the write-stall watch. */
  readonly clock: Clock
  readonly onStall: (stalledMs: number) => void
  /** A write failed: the connection closes. */
  readonly onError: (err: unknown) => void
}

/**
 * Empties one outgoing queue into one socket. It runs while the queue has messages and returns
 * when it is empty, so an idle connection holds no suspended task. Bytes written and not yet
 * confirmed by the socket count in the memory budget until their write callback.
 */
export class ConnectionWriter<A> {
  readonly #socket: Socket
  readonly #cipher: ChunkCipher
  readonly #registry: MessageRegistry<A>
  readonly #io: IoHandle
  readonly #outgoing: BoundedQueue<P2pMessage<A>>
  readonly #buffers: BufferPool
  readonly #budget: MemoryBudget | undefined
  readonly #chunkSize: number
  readonly #writeSlice: number
  readonly #writeStall: WriteStallWatch
  readonly #onError: (err: unknown) => void

  #stopped = false
  #running = false
  #messagesSent = 0
  /** Bytes written to the socket whose write callback has not come yet, and the writer waiting on them. */
  #unconfirmed = 0
  #writeConfirmed: (() => void) | undefined
  #idleWaiters: Array<() => void> | undefined
  /** The batch and its frame sizes, reused by every run (one run at a time). */
  #batch: Array<P2pMessage<A>> = NO_MESSAGES
  #frameSizes: number[] = NO_MESSAGES

  constructor(parts: ConnectionWriterParts<A>) {
    this.#socket = parts.socket
    this.#cipher = parts.cipher
    this.#registry = parts.registry
    this.#io = parts.io
    this.#outgoing = parts.outgoing
    this.#buffers = parts.buffers
    this.#budget = parts.budget
    this.#chunkSize = parts.chunkSize
    this.#writeSlice = parts.writeSlice
    this.#writeStall = new WriteStallWatch(parts.writeStallTimeoutMs, parts.onStall, parts.clock)
    this.#onError = parts.onError
  }

  get messagesSent(): number {
    return this.#messagesSent
  }

  /** Bytes handed to the socket and not yet written by it. */
  get unconfirmedBytes(): number {
    return this.#unconfirmed
  }

  /** Queues `message`, waiting while the queue is full (which arms the write-stall watch). */
  enqueue(message: P2pMessage<A>): Promise<void> {
    const queued = this.#outgoing.push(message, this.#registry.sizeOf(message))
    if (this.#outgoing.waitingPushes > 0) this.#writeStall.refused()
    this.start()
    return queued
  }

  /** Queues `message` if it fits now; false (and the write-stall watch armed) when it does not. */
  tryEnqueue(message: P2pMessage<A>): boolean {
    if (!this.#outgoing.tryPush(message, this.#registry.sizeOf(message))) {
      this.#writeStall.refused()
      return false
    }
    this.start()
    return true
  }

  /** Starts a run if none is going. */
  start(): void {
    if (this.#running || this.#stopped) return
    this.#running = true
    // After the current synchronous run, so that messages queued together go out in one batch.
    queueMicrotask(this.#runTask)
  }

  /** Resolves once no run is going and the queue is empty (or the writer stopped). */
  idle(): Promise<void> {
    if (!this.#running && this.#outgoing.length === 0) return Promise.resolve()
    return new Promise((resolve) => {
      this.#idleWaiters ??= []
      this.#idleWaiters.push(resolve)
    })
  }

  /**
   * Stops for good (the connection closed): nothing more is written, the bytes the socket held
   * leave the budget (later write callbacks release nothing), and `idle()` waiters resolve.
   */
  stop(): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#writeStall.progressed()
    this.#budget?.release(this.#unconfirmed)
    this.#notifyIdle()
  }

  readonly #runTask = (): void => {
    void this.#run()
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters
    this.#idleWaiters = undefined
    if (waiters) for (const resolve of waiters) resolve()
  }

  async #run(): Promise<void> {
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
        let buffer = this.#buffers.takeOutput(wireBytes)
        this.#sealBatch(batch, frameSizes, buffer)
        if (wireBytes * 4 <= buffer.length && this.#socket.writableLength > 0) {
          // The socket is backed up, so this batch will wait: keep a copy of its size rather
          // than a whole output buffer (a peer that stops reading would pin one per batch).
          const small = Buffer.allocUnsafe(wireBytes)
          buffer.copy(small, 0, 0, wireBytes)
          this.#buffers.giveBackOutput(buffer)
          buffer = small
        }
        const written = buffer
        for (let start = 0; start < wireBytes; start += this.#writeSlice) {
          const end = Math.min(wireBytes, start + this.#writeSlice)
          const quota = this.#io.requestWrite(end - start)
          if (quota) await quota
          if (this.#stopped) return
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
      if (!(err instanceof QueueClosedError) && !(err instanceof ConnectionClosedError)) this.#onError(err)
    } finally {
      // Synchronous from the last empty tryShift: no message can have slipped in unseen.
      batch.length = 0 // drop the references to the messages sent
      this.#running = false
      this.#notifyIdle()
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

  /** A batch's write callback: its buffer goes back to the pool; a waiting run may go on. */
  #batchWritten(buffer: Buffer, size: number): void {
    this.#buffers.giveBackOutput(buffer)
    this.#unconfirmed -= size
    if (!this.#stopped) this.#budget?.release(size)
    if (this.#unconfirmed <= SOCKET_WRITE_LOW_WATER) this.#writeConfirmed?.()
  }

  /** Resolves once confirmed writes bring the bytes in flight down to the low water, or at close. */
  #writesConfirmed(): Promise<void> {
    if (this.#stopped || this.#socket.destroyed) return Promise.resolve()
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
