// Cuts the bytes read from a connection into its chunks (u16 length, then MAC and ciphertext),
// carrying a chunk cut between two reads: no socket, no timer, no decryption, for reuse and tests.
import { MAC_BYTES, MacError } from '../crypto/index.js'
import { DecodeError } from '../wire/index.js'

/** Bytes of a chunk's length prefix. */
export const CHUNK_LENGTH_BYTES = 2
/** The longest chunk body a u16 length can announce. */
export const MAX_CHUNK_BODY = 0xffff

/**
 * Called with the reader's owner and each whole chunk's body (MAC and ciphertext), in order. The
 * view is valid during the call only (it may alias the read or a carry reused afterwards). Returns
 * false to stop the feed after this chunk (a paused or closed reader); an exception propagates
 * out of `feed`.
 */
export type ChunkHandler<O> = (owner: O, body: Uint8Array) => boolean

/** Where carries come from and go back to (a BufferPool). */
export interface CarryPool {
  takeCarry(): Buffer
  giveBackCarry(buffer: Buffer): void
}

export interface ChunkReaderOptions {
  /** Bodies shorter are refused with a MacError (default MAC_BYTES: a chunk holds at least its MAC). */
  readonly minBody?: number
  /** Bodies longer are refused with a DecodeError `length_over_bound` (default and at most 0xffff). */
  readonly maxBody?: number
}

/**
 * `length` bytes of `bytes` from `start`, as a plain Uint8Array: a Buffer's `subarray` builds a
 * Buffer through its species, about 4× the cost, once per chunk.
 */
const view = (bytes: Uint8Array, start: number, length: number): Uint8Array =>
  new Uint8Array(bytes.buffer, bytes.byteOffset + start, length)

/**
 * One direction's chunk stream. `feed` takes every read in order; a chunk lying whole in a read
 * is handed on as a view of it (no copy), one cut by a read's end is copied into a carry taken
 * from the pool at the cut and given back once the chunk is handled, so an idle reader holds none.
 */
export class ChunkReader<O = undefined> {
  readonly #onChunk: ChunkHandler<O>
  readonly #owner: O
  readonly #carries: CarryPool
  readonly #minBody: number
  readonly #maxBody: number
  /** Bytes of the stream consumed before the current read (for the offsets of errors). */
  #position = 0
  /** The chunk cut by a read's end (its length included), while one is. */
  #carry: Buffer | undefined
  #carryFill = 0
  /** Bytes of the carried chunk, its length included; 0 while the length itself is cut. */
  #carryEnd = 0
  /** Where the carried chunk starts in the stream. */
  #carryStart = 0

  /**
   * `onChunk` is called with `owner`: one function for all the readers of a kind, rather than a
   * closure per reader, keeps the call inlinable.
   */
  constructor(onChunk: ChunkHandler<O>, owner: O, carries: CarryPool, options: ChunkReaderOptions = {}) {
    this.#onChunk = onChunk
    this.#owner = owner
    this.#carries = carries
    this.#minBody = options.minBody ?? MAC_BYTES
    this.#maxBody = Math.min(options.maxBody ?? MAX_CHUNK_BODY, MAX_CHUNK_BODY)
    if (!(this.#minBody >= 0 && this.#minBody <= this.#maxBody))
      throw new RangeError(`chunk body bounds ${this.#minBody}..${this.#maxBody} are not 0 <= min <= max`)
  }

  /** Bytes of a cut chunk held until the next read (0 when none is cut). */
  get carriedBytes(): number {
    return this.#carry === undefined ? 0 : this.#carryFill
  }

  /**
   * Hands on every chunk that `bytes` (from `start`) completes and carries the rest. Returns
   * where in `bytes` it stopped: `bytes.length` when all is used, less when the handler returned
   * false (feed the rest later). Throws, and reads nothing after, at a length out of bounds.
   */
  feed(bytes: Buffer, start = 0): number {
    const end = bytes.length
    const base = this.#position - start
    let off = start
    if (this.#carry !== undefined) {
      off = this.#fillCarry(bytes, off)
      if (this.#carry !== undefined || !this.#carryHandled) {
        this.#position = base + off
        return off
      }
    }
    while (off < end) {
      if (end - off < CHUNK_LENGTH_BYTES) break
      const length = bytes.readUInt16BE(off)
      if (length < this.#minBody || length > this.#maxBody) this.#refuse(length, base + off)
      if (end - off - CHUNK_LENGTH_BYTES < length) break
      off += CHUNK_LENGTH_BYTES + length
      if (!this.#onChunk(this.#owner, view(bytes, off - length, length))) {
        this.#position = base + off
        return off
      }
    }
    if (off < end) this.#startCarry(bytes, off, base + off)
    this.#position = base + end
    return end
  }

  /** Drops a carried chunk (the connection closed): its carry goes back to the pool. */
  reset(): void {
    const carry = this.#carry
    this.#carry = undefined
    if (carry !== undefined) this.#carries.giveBackCarry(carry)
  }

  /** What the handler returned for the chunk a carry completed. */
  #carryHandled = true

  #startCarry(bytes: Buffer, off: number, position: number): void {
    const carry = this.#carries.takeCarry()
    this.#carryFill = bytes.copy(carry, 0, off)
    this.#carryEnd = this.#carryFill >= CHUNK_LENGTH_BYTES ? CHUNK_LENGTH_BYTES + carry.readUInt16BE(0) : 0
    this.#carryStart = position
    this.#carry = carry
  }

  /** Completes the carried chunk from `bytes`; returns the offset in `bytes` after what it used. */
  #fillCarry(bytes: Buffer, start: number): number {
    const carry = this.#carry!
    let off = start
    if (this.#carryEnd === 0) {
      carry[1] = bytes[off++]!
      this.#carryFill = CHUNK_LENGTH_BYTES
      const length = carry.readUInt16BE(0)
      if (length < this.#minBody || length > this.#maxBody) {
        this.reset()
        this.#refuse(length, this.#carryStart)
      }
      this.#carryEnd = CHUNK_LENGTH_BYTES + length
    }
    const n = Math.min(this.#carryEnd - this.#carryFill, bytes.length - off)
    bytes.copy(carry, this.#carryFill, off, off + n)
    this.#carryFill += n
    off += n
    if (this.#carryFill === this.#carryEnd) {
      this.#carry = undefined
      try {
        this.#carryHandled = this.#onChunk(
          this.#owner,
          view(carry, CHUNK_LENGTH_BYTES, this.#carryEnd - CHUNK_LENGTH_BYTES),
        )
      } finally {
        this.#carries.giveBackCarry(carry)
      }
    }
    return off
  }

  #refuse(length: number, position: number): never {
    if (length < this.#minBody)
      throw new MacError(`a chunk of ${length} bytes is shorter than its ${MAC_BYTES}-byte MAC`)
    throw new DecodeError(
      position,
      'length_over_bound',
      `a chunk of ${length} bytes exceeds the bound ${this.#maxBody}`,
      'chunk',
    )
  }
}
