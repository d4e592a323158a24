// The buffers connections reuse instead of allocating per batch or per chunk: the writers' output
// buffers, the chunk readers' carries and the plaintext scratch; one instance serves many connections.
import { MAX_CHUNK_PLAINTEXT } from '../crypto/index.js'

/** Size of a pooled output buffer: a batch of queued messages is sealed into one. */
export const OUTPUT_BUFFER_BYTES = 256 * 1024
/** Size of a carry: the largest chunk on the wire, its u16 length included. */
export const CARRY_BYTES = 2 + 0xffff
/**
 * Without a spare, a small batch gets a buffer of its own size (from Node's pool below 4 KiB):
 * many connections writing a message each in one tick (a Disconnect to every peer at close, a
 * gossip round) would otherwise allocate 256 KiB per connection.
 */
export const SMALL_BATCH_BYTES = 16 * 1024

export interface BufferPoolOptions {
  /** Output buffers kept for reuse once written (default 16: 4 MiB). */
  readonly maxSpareOutputs?: number
  /** Carries kept for reuse once their chunk is read (default 8: 512 KiB). */
  readonly maxSpareCarries?: number
}

/**
 * Spare buffers shared by the connections given this pool. A buffer is taken for one use and
 * given back after it (an output buffer at its write callback, a carry once its chunk is read),
 * so bulk traffic allocates nothing per batch or chunk and idle connections hold none. The
 * scratch is lent for synchronous uses only: no two overlap, so one serves every connection.
 */
export class BufferPool {
  readonly #maxSpareOutputs: number
  readonly #maxSpareCarries: number
  readonly #spareOutputs: Buffer[] = []
  readonly #spareCarries: Buffer[] = []
  #scratch: Buffer | undefined

  constructor(options: BufferPoolOptions = {}) {
    this.#maxSpareOutputs = options.maxSpareOutputs ?? 16
    this.#maxSpareCarries = options.maxSpareCarries ?? 8
    if (!(this.#maxSpareOutputs >= 0) || !(this.#maxSpareCarries >= 0))
      throw new RangeError('a buffer pool keeps a count >= 0 of spares')
  }

  /** Spare output buffers and carries held now (for tests and diagnostics). */
  get spares(): { readonly outputs: number; readonly carries: number } {
    return { outputs: this.#spareOutputs.length, carries: this.#spareCarries.length }
  }

  /**
   * A buffer of at least `size` bytes for a batch: a spare if `size` fits one, else a buffer of
   * its own (exactly `size` for a small batch, at least OUTPUT_BUFFER_BYTES otherwise).
   */
  takeOutput(size: number): Buffer {
    return (
      (size <= OUTPUT_BUFFER_BYTES ? this.#spareOutputs.pop() : undefined) ??
      (size <= SMALL_BATCH_BYTES
        ? Buffer.allocUnsafe(size)
        : Buffer.allocUnsafeSlow(Math.max(size, OUTPUT_BUFFER_BYTES)))
    )
  }

  /** A written output buffer: kept if it has the spares' size and there is room. */
  giveBackOutput(buffer: Buffer): void {
    if (buffer.length === OUTPUT_BUFFER_BYTES && this.#spareOutputs.length < this.#maxSpareOutputs)
      this.#spareOutputs.push(buffer)
  }

  /** A CARRY_BYTES buffer for a chunk cut between two reads. */
  takeCarry(): Buffer {
    return this.#spareCarries.pop() ?? Buffer.allocUnsafeSlow(CARRY_BYTES)
  }

  /** A carry whose chunk has been read. */
  giveBackCarry(buffer: Buffer): void {
    if (buffer.length === CARRY_BYTES && this.#spareCarries.length < this.#maxSpareCarries)
      this.#spareCarries.push(buffer)
  }

  /** The scratch, at least `size` bytes, for one synchronous use (the next call may return it again). */
  scratch(size: number): Buffer {
    let scratch = this.#scratch
    if (scratch === undefined || scratch.length < size) {
      scratch = Buffer.allocUnsafe(Math.max(size, MAX_CHUNK_PLAINTEXT))
      this.#scratch = scratch
    }
    return scratch
  }
}

let processPool: BufferPool | undefined

/**
 * The pool of connections whose creator passes none: one per process, made at first use. A
 * creator of many connections (a pool of peers, a test) may own its own and pass it instead.
 */
export function processBufferPool(): BufferPool {
  processPool ??= new BufferPool()
  return processPool
}
