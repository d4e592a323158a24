// Typed failures of the binary encodings: DecodeError for bad input (with the byte offset,
// a stable reason and the field path), EncodeError for values an encoding cannot represent.
import { DuneP2pError } from '../errors/index.js'

/** Why decoding failed; stable strings callers may branch on. */
export type DecodeErrorReason =
  | 'short_input' // the input (or the enclosing block) ends before the value does
  | 'trailing_bytes' // bytes left after the value, in the input or in a block
  | 'length_over_bound' // a length prefix above the encoding's bound
  | 'too_many_elements' // a list longer than its maximum length
  | 'bad_bool' // a boolean byte other than 0x00 or 0xff
  | 'unknown_tag' // a union tag no case is registered for
  | 'invalid_value' // bytes of the right size that do not form a valid value
  | 'empty_frame' // a P2P message frame of size 0

/** Why encoding failed. */
export type EncodeErrorReason =
  | 'out_of_range' // an integer outside its type's range
  | 'length_over_bound' // a string, byte string or block longer than its bound
  | 'too_many_elements' // a list longer than its maximum length
  | 'invalid_value' // a value the encoding cannot represent (wrong size, bad syntax, unknown kind)
  | 'buffer_too_small' // encodeInto was given too little room
  | 'size_mismatch' // an encoding wrote a different number of bytes than its sizeOf announced

/** Joins a path segment and a sub-path: `a` + `b` -> `a.b`, `a` + `[2].c` -> `a[2].c`. */
function joinPath(segment: string, path: string): string {
  if (path === '') return segment
  if (segment === '') return path
  return path.startsWith('[') ? segment + path : `${segment}.${path}`
}

/** Input bytes that are not a valid encoding of the expected value. */
export class DecodeError extends DuneP2pError<'DUNE_DECODE'> {
  /** Byte offset in the input where decoding failed. */
  readonly offset: number
  readonly reason: DecodeErrorReason
  /** Dotted path of the field being decoded, e.g. `connection_message.chain_name` ('' at top level). */
  readonly path: string
  /** The failure without offset and path, e.g. `length 300 exceeds the bound 128`. */
  readonly detail: string

  constructor(
    offset: number,
    reason: DecodeErrorReason,
    detail: string,
    path = '',
    options?: { cause?: unknown },
  ) {
    super('DUNE_DECODE', `at byte ${offset}${path === '' ? '' : ` (${path})`}: ${detail}`, options)
    this.offset = offset
    this.reason = reason
    this.path = path
    this.detail = detail
  }

  /** The same failure seen from the enclosing value: `segment` is prepended to the path. */
  within(segment: string): DecodeError {
    return new DecodeError(this.offset, this.reason, this.detail, joinPath(segment, this.path))
  }
}

/** A value that its encoding cannot represent (out of range, over a bound, malformed). */
export class EncodeError extends DuneP2pError<'DUNE_ENCODE'> {
  readonly reason: EncodeErrorReason
  /** Dotted path of the offending field ('' at top level). */
  readonly path: string
  readonly detail: string

  constructor(reason: EncodeErrorReason, detail: string, path = '') {
    super('DUNE_ENCODE', path === '' ? detail : `${path}: ${detail}`)
    this.reason = reason
    this.path = path
    this.detail = detail
  }

  /** The same failure seen from the enclosing value: `segment` is prepended to the path. */
  within(segment: string): EncodeError {
    return new EncodeError(this.reason, this.detail, joinPath(segment, this.path))
  }
}

/** A point string ("host:port", "[v6]:port") that is not valid. */
export class InvalidPointError extends DuneP2pError<'DUNE_INVALID_POINT'> {
  constructor(detail: string) {
    super('DUNE_INVALID_POINT', detail)
  }
}

/**
 * Rethrow helper for composite encodings: prefixes `segment` to the path of a DecodeError or
 * EncodeError, and returns anything else (the streaming "need more" signal, bugs) unchanged.
 */
export function within(err: unknown, segment: string): unknown {
  if (err instanceof DecodeError || err instanceof EncodeError) return err.within(segment)
  return err
}
