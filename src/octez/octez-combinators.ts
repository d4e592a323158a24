// Three data-encoding forms Octez's shell messages use that the wire layer lacks: bytes to the
// end of the block (Variable.bytes), an optional field (a presence byte) and check_size.
import { InvalidArgumentError } from '../errors/index.js'
import type { Encoding } from '../wire/encoding.js'
import { EncodeError } from '../wire/errors.js'

/** The rest of the enclosing block as bytes, at most `max` (Octez's `Variable.bytes`). Aliases the input. */
export function bytesToEnd(max: number): Encoding<Buffer> {
  const check = (v: unknown): Uint8Array => {
    if (!(v instanceof Uint8Array)) throw new EncodeError('invalid_value', 'not a byte string')
    if (v.length > max)
      throw new EncodeError('length_over_bound', `length ${v.length} exceeds the bound ${max}`)
    return v
  }
  return {
    name: 'bytes',
    kind: 'variable',
    maxSize: max,
    sizeOf: (v) => check(v).length,
    write(v, buf, offset) {
      buf.set(check(v), offset)
      return offset + v.length
    },
    read(r) {
      const n = r.remaining
      if (n > max) r.fail('length_over_bound', `length ${n} exceeds the bound ${max}`)
      return r.bytes(n)
    },
  }
}

/**
 * An optional value (Octez's `opt` field in binary): 0x00 for none, 0xff then the value.
 * `undefined` is none.
 */
export function optional<T>(enc: Encoding<T>): Encoding<T | undefined> {
  if (enc.kind === 'variable')
    throw new InvalidArgumentError(`optional ${enc.name}: the value must delimit itself`)
  return {
    name: enc.name,
    kind: 'dynamic',
    maxSize: 1 + enc.maxSize,
    sizeOf: (v) => (v === undefined ? 1 : 1 + enc.sizeOf(v)),
    write(v, buf, offset) {
      if (v === undefined) {
        buf[offset] = 0x00
        return offset + 1
      }
      buf[offset] = 0xff
      return enc.write(v, buf, offset + 1)
    },
    read(r) {
      const at = r.pos
      const flag = r.u8()
      if (flag === 0x00) return undefined
      if (flag !== 0xff)
        r.fail(
          'bad_bool',
          `presence byte 0x${flag.toString(16).padStart(2, '0')} (expected 0x00 or 0xff)`,
          at,
        )
      return enc.read(r)
    },
  }
}

/**
 * `enc` taking at most `max` bytes (Octez's `check_size`). A 'variable' value is refused before
 * it is read when the rest of its block is longer; others after reading, when they took more.
 */
export function checkSize<T>(max: number, enc: Encoding<T>): Encoding<T> {
  const over = (size: number): string => `${enc.name} of ${size} bytes exceeds its bound ${max}`
  return {
    name: enc.name,
    kind: enc.kind,
    maxSize: Math.min(max, enc.maxSize),
    sizeOf(v) {
      const size = enc.sizeOf(v)
      if (size > max) throw new EncodeError('length_over_bound', over(size))
      return size
    },
    write(v, buf, offset) {
      const end = enc.write(v, buf, offset)
      if (end - offset > max) throw new EncodeError('length_over_bound', over(end - offset))
      return end
    },
    read(r) {
      const at = r.pos
      if (enc.kind === 'variable' && r.remaining > max) r.fail('length_over_bound', over(r.remaining), at)
      const v = enc.read(r)
      if (r.pos - at > max) r.fail('length_over_bound', over(r.pos - at), at)
      return v
    },
  }
}
