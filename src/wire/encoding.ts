// The Encoding<T> interface every wire format implements, and the entry points that run one:
// encode (one exact allocation), encodeInto (caller's buffer), decode/decodePrefix (bounded reads).
import { EncodeError, within } from './errors.js'
import { Reader } from './reader.js'

/**
 * How an encoding delimits itself (as in Octez's data-encoding):
 * - 'fixed': always `maxSize` bytes;
 * - 'dynamic': self-delimiting (carries its own length or is made of such parts);
 * - 'variable': extends to the end of the enclosing block (or input): only valid last in a
 *   block, and not streamable on its own.
 */
export type EncodingKind = 'fixed' | 'dynamic' | 'variable'

/**
 * A binary format for values of type T.
 * - `sizeOf(v)` is the exact encoded size; it may reject a value early (EncodeError).
 * - `write(v, buf, offset)` writes exactly `sizeOf(v)` bytes at `offset` and returns the offset
 *   after them; it validates `v` (EncodeError) and requires `sizeOf(v)` bytes of room.
 * - `read(r)` reads one value at `r.pos`; bad input only ever throws DecodeError.
 */
export interface Encoding<T> {
  /** Name used in error paths, e.g. 'connection_message'. */
  readonly name: string
  readonly kind: EncodingKind
  /** Upper bound of the encoded size in bytes (the size itself for 'fixed'). */
  readonly maxSize: number
  sizeOf(v: T): number
  write(v: T, buf: Buffer, offset: number): number
  read(r: Reader): T
}

/** The value type of an encoding. */
export type ValueOf<E> = E extends Encoding<infer T> ? T : never

/** Encodes `v` into a new Buffer of exactly its size. */
export function encode<T>(enc: Encoding<T>, v: T): Buffer {
  try {
    const size = enc.sizeOf(v)
    const buf = Buffer.allocUnsafe(size)
    checkWritten(enc, size, enc.write(v, buf, 0))
    return buf
  } catch (err) {
    throw within(err, enc.name)
  }
}

/** Encodes `v` into `buf` at `offset`; returns the offset after it. Fails if the room is short. */
export function encodeInto<T>(enc: Encoding<T>, v: T, buf: Buffer, offset: number): number {
  try {
    const size = enc.sizeOf(v)
    if (offset < 0 || offset + size > buf.length) {
      throw new EncodeError(
        'buffer_too_small',
        `needs ${size} bytes at offset ${offset}, the buffer holds ${buf.length}`,
      )
    }
    const end = enc.write(v, buf, offset)
    checkWritten(enc, size, end - offset)
    return end
  } catch (err) {
    throw within(err, enc.name)
  }
}

function checkWritten(enc: Encoding<unknown>, size: number, written: number): void {
  if (written !== size) {
    throw new EncodeError('size_mismatch', `${enc.name} wrote ${written} bytes, its sizeOf said ${size}`)
  }
}

/**
 * Decodes a value that must fill `buf` exactly (trailing bytes are a DecodeError).
 * Byte strings in the result may alias `buf` (see each encoding).
 */
export function decode<T>(enc: Encoding<T>, buf: Buffer): T {
  const r = new Reader(buf)
  try {
    const v = enc.read(r)
    if (r.pos !== buf.length) r.fail('trailing_bytes', `${buf.length - r.pos} bytes after the value`)
    return v
  } catch (err) {
    throw within(err, enc.name)
  }
}

/**
 * Decodes one value starting at `offset` (an encoding of kind 'variable' reads to the end of
 * `buf`); returns it with the index after it. Error offsets are indices in `buf`.
 */
export function decodePrefix<T>(enc: Encoding<T>, buf: Buffer, offset = 0): { value: T; end: number } {
  const r = new Reader(buf, offset)
  try {
    const value = enc.read(r)
    return { value, end: r.pos }
  } catch (err) {
    throw within(err, enc.name)
  }
}
