// Incremental decoding of a sequence of values from chunks as they arrive, with exactly the
// results of whole-buffer decoding for any split of the input, in amortized linear time.
import { InvalidArgumentError } from '../errors/index.js'
import type { Encoding } from './encoding.js'
import { DecodeError, within } from './errors.js'
import { NEED_MORE, Reader } from './reader.js'

const EMPTY = Buffer.alloc(0)

/**
 * Decodes consecutive `enc` values from a byte stream fed in chunks.
 *
 * - `push(chunk)` queues a chunk (not copied; do not mutate it afterwards);
 * - `next()` returns the next complete value, or undefined until enough bytes arrived;
 * - `end()` declares the end of the input: a partial value left is then a DecodeError.
 *
 * Values and errors are the same as decoding the concatenated input value after value with
 * `decodePrefix`; error offsets count from the first byte ever pushed. After a DecodeError the
 * decoder is failed and `next()` keeps throwing it.
 *
 * Cost: when a value runs past the buffered bytes, the decoder records how many bytes it needs
 * (after a length prefix: the whole block) and does not retry before they are buffered. A value
 * lying in one chunk is decoded in place (its byte strings alias that chunk); one spanning
 * chunks is gathered by a single copy into a fresh buffer of the needed size (only the bytes
 * gathered for an earlier, shorter attempt, such as a length prefix, are copied again).
 */
export class StreamDecoder<T> implements Iterable<T> {
  private readonly enc: Encoding<T>
  private chunks: Buffer[] = []
  /** Index in `chunks` of the first chunk holding unread bytes, and the offset in it. */
  private head = 0
  private headOffset = 0
  private buffered = 0
  /** Bytes from the start of the next value required before the next attempt. */
  private needed = 1
  /** Stream offset of the first buffered byte. */
  private consumed = 0
  private failure: DecodeError | undefined
  private ended = false

  constructor(enc: Encoding<T>) {
    if (enc.kind === 'variable') {
      throw new InvalidArgumentError(
        `StreamDecoder: ${enc.name} extends to the end of its input; wrap it in dynamicSize`,
      )
    }
    if (enc.maxSize === 0) throw new InvalidArgumentError(`StreamDecoder: ${enc.name} takes no bytes`)
    this.enc = enc
  }

  /** Bytes received and not yet decoded. */
  get bufferedBytes(): number {
    return this.buffered
  }

  /** Queues a chunk of input. The chunk is kept as is (not copied) until decoded. */
  push(chunk: Buffer): void {
    if (this.ended) throw new InvalidArgumentError('StreamDecoder: push after end()')
    if (chunk.length === 0) return
    this.chunks.push(chunk)
    this.buffered += chunk.length
  }

  /** Declares that no more input will come. */
  end(): void {
    this.ended = true
  }

  /** The next complete value, or undefined if more input is needed (or the input ended cleanly). */
  next(): T | undefined {
    if (this.failure !== undefined) throw this.failure
    for (;;) {
      if (this.buffered < this.needed) {
        if (this.ended && this.buffered > 0) this.failAtEnd()
        return undefined
      }
      // buffered >= needed >= 1, so the head chunk exists (the `!` below and in failAtEnd).
      if (this.chunks[this.head]!.length - this.headOffset < this.needed) this.merge(this.needed)
      const chunk = this.chunks[this.head]!
      const start = this.headOffset
      const r = new Reader(chunk, start, chunk.length, { origin: this.consumed - start, streaming: true })
      try {
        const value = this.enc.read(r)
        if (r.pos === start)
          throw new InvalidArgumentError(`StreamDecoder: ${this.enc.name} decoded a value from no bytes`)
        this.advance(r.pos - start)
        this.needed = 1
        return value
      } catch (err) {
        if (err !== NEED_MORE) this.raise(within(err, this.enc.name))
        this.needed = r.needed - start
      }
    }
  }

  /** Yields the values available now. */
  *[Symbol.iterator](): Iterator<T> {
    for (let v = this.next(); v !== undefined; v = this.next()) yield v
  }

  private raise(err: unknown): never {
    if (err instanceof DecodeError) this.failure = err
    throw err
  }

  /** The input ended inside a value: fail exactly as whole-buffer decoding of the rest does. */
  private failAtEnd(): never {
    if (this.chunks[this.head]!.length - this.headOffset < this.buffered) this.merge(this.buffered)
    const chunk = this.chunks[this.head]!
    const start = this.headOffset
    const r = new Reader(chunk, start, start + this.buffered, { origin: this.consumed - start })
    try {
      this.enc.read(r)
    } catch (err) {
      this.raise(within(err, this.enc.name))
    }
    return this.raise(
      new DecodeError(this.consumed + this.buffered, 'short_input', 'the input ended inside a value').within(
        this.enc.name,
      ),
    )
  }

  /** Drops `n` decoded bytes from the front of the queue. */
  private advance(n: number): void {
    this.buffered -= n
    this.consumed += n
    let off = this.headOffset + n
    // The loop condition keeps head in range.
    while (this.head < this.chunks.length && off >= this.chunks[this.head]!.length) {
      off -= this.chunks[this.head]!.length
      this.chunks[this.head] = EMPTY
      this.head++
    }
    this.headOffset = off
    if (this.head === this.chunks.length) {
      this.chunks = []
      this.head = 0
    } else if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head)
      this.head = 0
    }
  }

  /**
   * Gathers the first `size` buffered bytes into one fresh buffer that becomes the head chunk.
   * Requires the head chunk to hold fewer than `size` bytes (so it is wholly consumed).
   */
  private merge(size: number): void {
    const out = Buffer.allocUnsafe(size)
    let filled = 0
    let i = this.head
    let off = this.headOffset
    for (;;) {
      // filled < size <= buffered: a chunk with unread bytes remains at index i.
      const c = this.chunks[i]!
      const n = Math.min(c.length - off, size - filled)
      c.copy(out, filled, off, off + n)
      filled += n
      if (off + n < c.length) {
        this.chunks[i] = c.subarray(off + n)
        break
      }
      this.chunks[i] = EMPTY
      i++
      off = 0
      if (filled === size) break
    }
    this.chunks[i - 1] = out
    this.head = i - 1
    this.headOffset = 0
  }
}
