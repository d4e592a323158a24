// Opens the chunks of a connection into its frames (u32 size, then a P2P message's body): each
// chunk is decrypted straight into the frame it belongs to, a large frame's size peeked at first.
import { type ChunkCipher, MAC_BYTES, MacError } from '../crypto/index.js'
import { DecodeError } from '../wire/index.js'
import type { BufferPool } from './buffer-pool.js'

/** Bytes of a frame's size prefix. */
export const FRAME_PREFIX = 4
/**
 * Chunks of fewer plaintext bytes are opened into a buffer of their own (or the scratch) and
 * their frames copied out: copying a few KiB costs less than a keystream block to peek at the size.
 */
const PEEK_MIN_PLAINTEXT = 4096

/**
 * Called with the reader's owner and each whole frame (its size prefix included), a buffer of its
 * own that the reader keeps no reference to. Returns false to stop reading the current chunk (the
 * connection closed).
 */
export type FrameHandler<O> = (owner: O, frame: Buffer) => boolean

/**
 * One direction's frame assembly over the chunk cipher. `open` takes each chunk body in order;
 * a frame spanning chunks is filled across calls. Throws MacError for a chunk that does not
 * verify and DecodeError for a frame size of 0 or above `maxFrameSize`.
 */
export class FrameReader<O = undefined> {
  readonly #cipher: ChunkCipher
  readonly #maxFrameSize: number
  readonly #buffers: BufferPool
  readonly #onFrame: FrameHandler<O>
  readonly #owner: O
  readonly #onEmptyChunk: (() => void) | undefined
  /** The frame being filled, once its size is known, and its bytes filled so far. */
  #frame: Buffer | undefined
  #frameFill = 0
  /** The first bytes of a frame whose u32 size is cut by a chunk boundary (rare: tiny chunks). */
  #sizePrefix: Buffer | undefined

  constructor(
    cipher: ChunkCipher,
    maxFrameSize: number,
    buffers: BufferPool,
    onFrame: FrameHandler<O>,
    owner: O,
    onEmptyChunk?: () => void,
  ) {
    this.#owner = owner
    this.#cipher = cipher
    this.#maxFrameSize = maxFrameSize
    this.#buffers = buffers
    this.#onFrame = onFrame
    this.#onEmptyChunk = onEmptyChunk
  }

  /** Drops a partly filled frame (the connection closed). */
  reset(): void {
    this.#frame = undefined
    this.#frameFill = 0
    this.#sizePrefix = undefined
  }

  /**
   * Decrypts one chunk straight into the frame it belongs to. At the first chunk of a large
   * frame the frame's size is read from the keystream (unauthenticated, only to size the
   * buffer); `open` then verifies the MAC while decrypting into the new frame. Small chunks and
   * anything unusual (a bad size, several frames in one chunk) take the general path through
   * the scratch buffer.
   */
  open(boxed: Uint8Array): void {
    if (boxed.length < MAC_BYTES)
      throw new MacError(`a chunk of ${boxed.length} bytes is shorter than its MAC`)
    const plainLength = boxed.length - MAC_BYTES
    if (plainLength === 0) {
      this.#cipher.open(boxed, this.#buffers.scratch(0), 0)
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
    } else if (this.#frameFill === 0 && plainLength >= PEEK_MIN_PLAINTEXT) {
      const peeked = this.#buffers.scratch(FRAME_PREFIX)
      if (this.#cipher.peekPlaintext(boxed, peeked, FRAME_PREFIX)) {
        const size = peeked.readUInt32BE(0)
        if (size > 0 && size <= this.#maxFrameSize && FRAME_PREFIX + size >= plainLength) {
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
    }
    if (!frame && this.#frameFill === 0 && plainLength < PEEK_MIN_PLAINTEXT) {
      // A small chunk that starts a frame (each message starts a chunk): opened into a buffer
      // of its own, which is the frame when the chunk holds exactly one, with no scratch copy.
      const fresh = Buffer.allocUnsafe(plainLength)
      this.#cipher.open(boxed, fresh, 0)
      if (plainLength > FRAME_PREFIX) {
        const size = fresh.readUInt32BE(0)
        if (FRAME_PREFIX + size === plainLength && size <= this.#maxFrameSize) {
          this.#frameDone(fresh)
          return
        }
      }
      this.#splitPlaintext(fresh, plainLength)
      return
    }
    const plain = this.#buffers.scratch(plainLength)
    this.#cipher.open(boxed, plain, 0)
    this.#splitPlaintext(plain, plainLength)
  }

  /** Spreads decrypted bytes over the current frame and the frames that start after it. */
  #splitPlaintext(plain: Buffer, length: number): void {
    let off = 0
    while (off < length) {
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
      if (this.#frameFill === frame.length && !this.#frameDone(frame)) return
    }
  }

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
    if (size > this.#maxFrameSize) {
      throw new DecodeError(
        offset,
        'length_over_bound',
        `a P2P message of ${size} bytes exceeds the largest registered (${this.#maxFrameSize})`,
        'p2p_message',
      )
    }
    const frame = Buffer.allocUnsafe(FRAME_PREFIX + size)
    this.#frame = frame
    return frame
  }

  #frameDone(frame: Buffer): boolean {
    this.#frame = undefined
    this.#frameFill = 0
    return this.#onFrame(this.#owner, frame)
  }
}
