// Bounds-checked cursor over a Buffer that every Encoding reads from: tracks the position and
// the nested ends of dynamic-size blocks, and turns every overrun into a DecodeError.
import { InvalidArgumentError } from '../errors/index.js'
import { DecodeError, type DecodeErrorReason } from './errors.js'

/**
 * Thrown (not an Error, no stack) by a streaming Reader when the buffered bytes end before the
 * value does; `Reader.needed` then tells how many bytes from the reader's start are required.
 * Internal to the wire layer: StreamDecoder catches it.
 */
export const NEED_MORE: unique symbol = Symbol('dune-p2p.wire.need-more')

export interface ReaderOptions {
  /** Absolute input offset of `buf[0]`, so errors report offsets in the caller's input. Default 0. */
  readonly origin?: number
  /**
   * Streaming mode: the data may continue past `end`. A read running past `end` outside any
   * block throws NEED_MORE instead of a 'short_input' DecodeError. Default false.
   */
  readonly streaming?: boolean
}

/**
 * A cursor over `buf[start..end)`. Reads advance `pos`; `end` is the end of the innermost
 * dynamic-size block (or of the data). Byte strings returned by `bytes` alias `buf`.
 */
export class Reader {
  readonly buf: Buffer
  /** Index in `buf` of the next byte to read. */
  pos: number
  /** Index in `buf` where the innermost block (or the data) ends. */
  end: number
  /** In streaming mode, after NEED_MORE: the index in `buf` up to which bytes are required. */
  needed = 0
  private readonly origin: number
  private readonly streaming: boolean
  private depth = 0

  constructor(buf: Buffer, start = 0, end = buf.length, options: ReaderOptions = {}) {
    this.buf = buf
    this.pos = start
    this.end = end
    this.origin = options.origin ?? 0
    this.streaming = options.streaming ?? false
  }

  /** Absolute input offset of the buffer index `index`. */
  offsetOf(index: number): number {
    return this.origin + index
  }

  /** Throws a DecodeError at buffer index `at` (default: the current position). */
  fail(reason: DecodeErrorReason, detail: string, at: number = this.pos): never {
    throw new DecodeError(this.origin + at, reason, detail)
  }

  /** Reserves the next `n` bytes and returns the index of the first; fails when they are missing. */
  take(n: number): number {
    const p = this.pos
    if (p + n > this.end) this.short(n)
    this.pos = p + n
    return p
  }

  private short(n: number): never {
    if (this.streaming && this.depth === 0) {
      this.needed = this.pos + n
      throw NEED_MORE
    }
    const left = this.end - this.pos
    return this.fail(
      'short_input',
      `needs ${n} byte${n === 1 ? '' : 's'}, ${left} remain${left === 1 ? 's' : ''}`,
    )
  }

  /** Bytes left before the end of the innermost block. Not meaningful at the top of a stream. */
  get remaining(): number {
    if (this.streaming && this.depth === 0) {
      throw new InvalidArgumentError(
        'Reader: the end of a stream is unknown (an encoding of kind "variable" was streamed)',
      )
    }
    return this.end - this.pos
  }

  // In the fixed-width reads below, take(n) has checked that bytes p..p+n-1 lie inside the
  // buffer, so each indexed byte is defined (the `!` costs nothing at run time).
  u8(): number {
    return this.buf[this.take(1)]!
  }

  i8(): number {
    return (this.buf[this.take(1)]! << 24) >> 24
  }

  u16(): number {
    const p = this.take(2)
    const b = this.buf
    return (b[p]! << 8) | b[p + 1]!
  }

  i16(): number {
    const p = this.take(2)
    const b = this.buf
    return (((b[p]! << 8) | b[p + 1]!) << 16) >> 16
  }

  u32(): number {
    const p = this.take(4)
    const b = this.buf
    return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!)
  }

  i32(): number {
    const p = this.take(4)
    const b = this.buf
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
  }

  i64(): bigint {
    return this.buf.readBigInt64BE(this.take(8))
  }

  /** The next `n` bytes as a view into the input (no copy: it aliases the input buffer). */
  bytes(n: number): Buffer {
    const p = this.take(n)
    return this.buf.subarray(p, p + n)
  }

  /**
   * Enters a block of `length` bytes starting at the current position (its length prefix has
   * been read and checked against its bound). Returns the token to pass to `leaveBlock`.
   */
  enterBlock(length: number): number {
    const saved = this.end
    const blockEnd = this.pos + length
    if (blockEnd > saved) {
      if (this.streaming && this.depth === 0) {
        this.needed = blockEnd
        throw NEED_MORE
      }
      this.fail('short_input', `block of ${length} bytes, only ${saved - this.pos} remain`)
    }
    this.end = blockEnd
    this.depth++
    return saved
  }

  /** Leaves the innermost block, which must have been read entirely. */
  leaveBlock(saved: number): void {
    if (this.pos !== this.end) {
      this.fail('trailing_bytes', `${this.end - this.pos} unread bytes at the end of a block`)
    }
    this.end = saved
    this.depth--
  }
}
