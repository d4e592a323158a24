// Building blocks of the wire formats (integers, booleans, byte strings, length-prefixed blocks,
// lists, objects, tagged unions, enumerations), each checking its bounds on encode and decode.
import { isUtf8 } from 'node:buffer'
import { InvalidArgumentError } from '../errors/index.js'
import type { Encoding, EncodingKind, ValueOf } from './encoding.js'
import { EncodeError, within } from './errors.js'
import type { Reader } from './reader.js'

// ---------------------------------------------------------------------------------------------
// Integers and booleans

function integer(
  name: string,
  size: number,
  min: number,
  max: number,
  read: (r: Reader) => number,
  put: (buf: Buffer, v: number, offset: number) => number,
): Encoding<number> {
  return {
    name,
    kind: 'fixed',
    maxSize: size,
    sizeOf: () => size,
    write(v, buf, offset) {
      if (!Number.isInteger(v) || v < min || v > max) {
        throw new EncodeError('out_of_range', `${String(v)} is not a ${name} (${min}..${max})`)
      }
      return put(buf, v, offset)
    },
    read,
  }
}

export const uint8: Encoding<number> = integer(
  'uint8',
  1,
  0,
  0xff,
  (r) => r.u8(),
  (b, v, o) => b.writeUInt8(v, o),
)
export const int8: Encoding<number> = integer(
  'int8',
  1,
  -0x80,
  0x7f,
  (r) => r.i8(),
  (b, v, o) => b.writeInt8(v, o),
)
export const uint16: Encoding<number> = integer(
  'uint16',
  2,
  0,
  0xffff,
  (r) => r.u16(),
  (b, v, o) => b.writeUInt16BE(v, o),
)
export const int16: Encoding<number> = integer(
  'int16',
  2,
  -0x8000,
  0x7fff,
  (r) => r.i16(),
  (b, v, o) => b.writeInt16BE(v, o),
)
export const uint32: Encoding<number> = integer(
  'uint32',
  4,
  0,
  0xffffffff,
  (r) => r.u32(),
  (b, v, o) => b.writeUInt32BE(v, o),
)
export const int32: Encoding<number> = integer(
  'int32',
  4,
  -0x80000000,
  0x7fffffff,
  (r) => r.i32(),
  (b, v, o) => b.writeInt32BE(v, o),
)

/** Signed 64-bit integer as a bigint. */
export const int64: Encoding<bigint> = {
  name: 'int64',
  kind: 'fixed',
  maxSize: 8,
  sizeOf: () => 8,
  write(v, buf, offset) {
    if (typeof v !== 'bigint' || BigInt.asIntN(64, v) !== v) {
      throw new EncodeError('out_of_range', `${String(v)} is not an int64`)
    }
    return buf.writeBigInt64BE(v, offset)
  },
  read: (r) => r.i64(),
}

/** One byte: 0x00 false, 0xff true; any other byte is a 'bad_bool' DecodeError. */
export const bool: Encoding<boolean> = {
  name: 'bool',
  kind: 'fixed',
  maxSize: 1,
  sizeOf: () => 1,
  write(v, buf, offset) {
    if (typeof v !== 'boolean') throw new EncodeError('invalid_value', `${String(v)} is not a boolean`)
    buf[offset] = v ? 0xff : 0x00
    return offset + 1
  },
  read(r) {
    const p = r.take(1)
    const b = r.buf[p]! // take(1) checked that byte p exists
    if (b === 0x00) return false
    if (b === 0xff) return true
    return r.fail('bad_bool', `boolean byte 0x${b.toString(16).padStart(2, '0')} (expected 0x00 or 0xff)`, p)
  },
}

// ---------------------------------------------------------------------------------------------
// Byte strings and text

export interface BytesOptions {
  /**
   * Decode into a fresh copy instead of a view of the input. Default false: the decoded Buffer
   * aliases the input, so it must not outlive or be mutated with a buffer that gets reused.
   */
  readonly copy?: boolean
}

function checkBytes(v: unknown, what: string): asserts v is Uint8Array {
  if (!(v instanceof Uint8Array)) throw new EncodeError('invalid_value', `${what}: not a byte string`)
}

/** Exactly `n` bytes. Decoded values alias the input unless `copy` is set. */
export function fixedBytes(n: number, options: BytesOptions = {}): Encoding<Buffer> {
  const copy = options.copy ?? false
  const name = `bytes${n}`
  return {
    name,
    kind: 'fixed',
    maxSize: n,
    sizeOf: () => n,
    write(v, buf, offset) {
      checkBytes(v, name)
      if (v.length !== n) throw new EncodeError('invalid_value', `expected ${n} bytes, got ${v.length}`)
      buf.set(v, offset)
      return offset + n
    },
    read(r) {
      const v = r.bytes(n)
      return copy ? Buffer.from(v) : v
    },
  }
}

export interface BoundedOptions {
  /** Largest accepted length in bytes. */
  readonly max: number
}

function readLength(r: Reader, max: number): number {
  const at = r.pos
  const length = r.u32()
  if (length > max) r.fail('length_over_bound', `length ${length} exceeds the bound ${max}`, at)
  return length
}

function overBound(length: number, max: number): EncodeError {
  return new EncodeError('length_over_bound', `length ${length} exceeds the bound ${max}`)
}

/** A u32 length then that many bytes, at most `max`. Decoded values alias the input unless `copy`. */
export function bytes(options: BoundedOptions & BytesOptions): Encoding<Buffer> {
  const { max } = options
  const copy = options.copy ?? false
  return {
    name: 'bytes',
    kind: 'dynamic',
    maxSize: 4 + max,
    sizeOf(v) {
      checkBytes(v, 'bytes')
      if (v.length > max) throw overBound(v.length, max)
      return 4 + v.length
    },
    write(v, buf, offset) {
      checkBytes(v, 'bytes')
      if (v.length > max) throw overBound(v.length, max)
      buf.writeUInt32BE(v.length, offset)
      buf.set(v, offset + 4)
      return offset + 4 + v.length
    },
    read(r) {
      const v = r.bytes(readLength(r, max))
      return copy ? Buffer.from(v) : v
    },
  }
}

const LONE_SURROGATE = /\p{Surrogate}/u

/**
 * A u32 length then that many bytes of UTF-8 text, at most `max` bytes. Decoding rejects
 * malformed UTF-8 ('invalid_value'); encoding rejects lone surrogates, so every string
 * round-trips exactly.
 */
export function string(options: BoundedOptions): Encoding<string> {
  const { max } = options
  return {
    name: 'string',
    kind: 'dynamic',
    maxSize: 4 + max,
    sizeOf(v) {
      if (typeof v !== 'string') throw new EncodeError('invalid_value', `${String(v)} is not a string`)
      const length = Buffer.byteLength(v, 'utf8')
      if (length > max) throw overBound(length, max)
      return 4 + length
    },
    write(v, buf, offset) {
      if (typeof v !== 'string') throw new EncodeError('invalid_value', `${String(v)} is not a string`)
      if (LONE_SURROGATE.test(v))
        throw new EncodeError('invalid_value', 'a lone UTF-16 surrogate has no UTF-8 form')
      const length = buf.write(v, offset + 4, 'utf8')
      if (length > max) throw overBound(length, max)
      buf.writeUInt32BE(length, offset)
      return offset + 4 + length
    },
    read(r) {
      const length = readLength(r, max)
      const p = r.take(length)
      const end = p + length
      const buf = r.buf
      let i = p
      while (i < end && buf[i]! < 0x80) i++ // p..end-1 was checked by take(length)
      // ASCII (the usual case) needs no view nor validation; anything else is checked.
      if (i < end && !isUtf8(buf.subarray(i, end))) r.fail('invalid_value', 'malformed UTF-8', p)
      return buf.toString('utf8', p, end)
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Structure

/**
 * Zero bytes on the wire; decodes to `value` (the same object every time, frozen), writes
 * nothing and does not check what it is given. Used for the `kind` field of union cases.
 */
export function constant<const V>(value: V): Encoding<V> {
  if (typeof value === 'object' && value !== null) Object.freeze(value)
  return {
    name: 'constant',
    kind: 'fixed',
    maxSize: 0,
    sizeOf: () => 0,
    write: (_v, _buf, offset) => offset,
    read: () => value,
  }
}

export interface DynamicSizeOptions {
  /** Width of the length prefix. Default 4. */
  readonly lengthBytes?: 2 | 4
  /** Largest accepted block length (default: the inner encoding's maxSize). */
  readonly max?: number
}

/**
 * A length prefix then a block holding exactly one `enc` value. The length is checked against
 * the bound before anything else; the block must be read entirely ('trailing_bytes').
 */
export function dynamicSize<T>(enc: Encoding<T>, options: DynamicSizeOptions = {}): Encoding<T> {
  const lengthBytes = options.lengthBytes ?? 4
  const max = Math.min(options.max ?? enc.maxSize, enc.maxSize, lengthBytes === 2 ? 0xffff : 0xffffffff)
  return {
    name: enc.name,
    kind: 'dynamic',
    maxSize: lengthBytes + max,
    sizeOf(v) {
      const size = enc.sizeOf(v)
      if (size > max) throw overBound(size, max)
      return lengthBytes + size
    },
    write(v, buf, offset) {
      const start = offset + lengthBytes
      const end = enc.write(v, buf, start)
      const length = end - start
      if (length > max) throw overBound(length, max)
      if (lengthBytes === 2) buf.writeUInt16BE(length, offset)
      else buf.writeUInt32BE(length, offset)
      return end
    },
    read(r) {
      const at = r.pos
      const length = lengthBytes === 2 ? r.u16() : r.u32()
      if (length > max) r.fail('length_over_bound', `length ${length} exceeds the bound ${max}`, at)
      const saved = r.enterBlock(length)
      const v = enc.read(r)
      r.leaveBlock(saved)
      return v
    },
  }
}

export interface ListOptions {
  /** Largest accepted number of elements. */
  readonly maxLength: number
}

function checkElement(elem: Encoding<unknown>): void {
  if (elem.kind === 'variable')
    throw new InvalidArgumentError(`list of ${elem.name}: elements must delimit themselves`)
  if (elem.maxSize === 0)
    throw new InvalidArgumentError(`list of ${elem.name}: elements must take at least one byte`)
}

/**
 * Elements one after another up to the end of the enclosing block (kind 'variable'), at most
 * `maxLength` of them (Octez's `Variable.list`, used by Advertise).
 */
export function listToEnd<T>(elem: Encoding<T>, options: ListOptions): Encoding<T[]> {
  checkElement(elem)
  const { maxLength } = options
  const fixedSize = elem.kind === 'fixed' ? elem.maxSize : -1
  const checkLength = (v: T[]): void => {
    if (!Array.isArray(v)) throw new EncodeError('invalid_value', 'not an array')
    if (v.length > maxLength) {
      throw new EncodeError('too_many_elements', `${v.length} elements, at most ${maxLength} allowed`)
    }
  }
  return {
    name: `${elem.name}_list`,
    kind: 'variable',
    maxSize: maxLength * elem.maxSize,
    sizeOf(v) {
      checkLength(v)
      if (fixedSize >= 0) return v.length * fixedSize
      let size = 0
      // Index loops (no iterator) on this per-message path; i < v.length keeps v[i] defined.
      for (let i = 0; i < v.length; i++) {
        try {
          size += elem.sizeOf(v[i]!)
        } catch (err) {
          throw within(err, `[${i}]`)
        }
      }
      return size
    },
    write(v, buf, offset) {
      checkLength(v)
      for (let i = 0; i < v.length; i++) {
        try {
          offset = elem.write(v[i]!, buf, offset) // i < v.length
        } catch (err) {
          throw within(err, `[${i}]`)
        }
      }
      return offset
    },
    read(r) {
      const out: T[] = []
      while (r.remaining > 0) {
        if (out.length === maxLength) r.fail('too_many_elements', `more than ${maxLength} elements`)
        try {
          out.push(elem.read(r))
        } catch (err) {
          throw within(err, `[${out.length}]`)
        }
      }
      return out
    },
  }
}

/** A u32 byte length then the elements (Octez's `list`), at most `maxLength` of them. */
export function list<T>(elem: Encoding<T>, options: ListOptions): Encoding<T[]> {
  return dynamicSize(listToEnd(elem, options))
}

/** Snake-case wire name of a camelCase field: `chainName` -> `chain_name`. */
function wireName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}

function combinedKind(kinds: EncodingKind[]): EncodingKind {
  if (kinds.includes('variable')) return 'variable'
  return kinds.every((k) => k === 'fixed') ? 'fixed' : 'dynamic'
}

/** The decoded object of an `obj` with these fields. */
export type ObjValue<F extends Record<string, Encoding<unknown>>> = { [K in keyof F]: ValueOf<F[K]> }

/**
 * Named fields one after another, decoded into an object with the same keys in the same order.
 * Error paths use the snake_case form of each key. Only the last field may be 'variable'.
 */
export function obj<F extends Record<string, Encoding<unknown>>>(
  name: string,
  fields: F,
): Encoding<ObjValue<F>> {
  const entries = Object.entries(fields) as [string, Encoding<unknown>][]
  const keys = entries.map(([k]) => k)
  const encs = entries.map(([, enc]) => enc)
  const segments = keys.map(wireName)
  entries.forEach(([k, enc], i) => {
    if (/^\d+$/.test(k))
      throw new InvalidArgumentError(`obj ${name}: field name ${k} would not keep its order`)
    if (enc.kind === 'variable' && i !== keys.length - 1) {
      throw new InvalidArgumentError(`obj ${name}: variable-size field ${k} must be the last one`)
    }
  })
  const kind = combinedKind(encs.map((e) => e.kind))
  const maxSize = encs.reduce((sum, e) => sum + e.maxSize, 0)
  // keys, encs and segments all have n entries, so the per-message loops below index them with
  // i < n (the `!`); a caught i is in range too, as the throw happened at field i.
  const n = keys.length
  return {
    name,
    kind,
    maxSize,
    sizeOf(v) {
      if (kind === 'fixed') return maxSize
      const fieldsOf = v as Record<string, unknown>
      let size = 0
      for (let i = 0; i < n; i++) {
        try {
          size += encs[i]!.sizeOf(fieldsOf[keys[i]!])
        } catch (err) {
          throw within(err, segments[i]!)
        }
      }
      return size
    },
    write(v, buf, offset) {
      if (typeof v !== 'object' || v === null)
        throw new EncodeError('invalid_value', `${name}: not an object`)
      const fieldsOf = v as Record<string, unknown>
      let i = 0
      try {
        for (; i < n; i++) offset = encs[i]!.write(fieldsOf[keys[i]!], buf, offset)
      } catch (err) {
        throw within(err, segments[i]!)
      }
      return offset
    },
    read(r) {
      const out: Record<string, unknown> = {}
      let i = 0
      try {
        for (; i < n; i++) out[keys[i]!] = encs[i]!.read(r)
      } catch (err) {
        throw within(err, segments[i]!)
      }
      return out as ObjValue<F>
    },
  }
}

/** One case of a union: its tag and the encoding of the whole variant (kind included). */
export interface UnionCase<V> {
  readonly tag: number
  readonly body: Encoding<V>
}

/** The cases of a union over `T`, keyed by the `kind` of each variant. */
export type UnionCases<T extends { kind: string }> = { [K in T['kind']]: UnionCase<Extract<T, { kind: K }>> }

export interface UnionOptions {
  /** Width of the tag: 1 (u8) or 2 (u16). */
  readonly tagSize: 1 | 2
}

/**
 * A tag (u8 or u16) then the body of the case registered for it. Values are discriminated by
 * their `kind` property; each case's body encodes the whole variant (use `constant` for the
 * kind field). An unregistered tag is an 'unknown_tag' DecodeError.
 */
export function union<T extends { kind: string }>(
  name: string,
  options: UnionOptions,
  cases: UnionCases<T>,
): Encoding<T> {
  const { tagSize } = options
  const maxTag = tagSize === 1 ? 0xff : 0xffff
  const byTag = new Map<number, { kind: string; body: Encoding<T> }>()
  const byKind = new Map<string, { tag: number; body: Encoding<T> }>()
  for (const [kind, c] of Object.entries(cases) as [string, UnionCase<T>][]) {
    if (!Number.isInteger(c.tag) || c.tag < 0 || c.tag > maxTag) {
      throw new InvalidArgumentError(`union ${name}: tag ${c.tag} of ${kind} does not fit ${tagSize} byte(s)`)
    }
    if (byTag.has(c.tag)) throw new InvalidArgumentError(`union ${name}: tag ${c.tag} used twice`)
    byTag.set(c.tag, { kind, body: c.body })
    byKind.set(kind, { tag: c.tag, body: c.body })
  }
  const bodies = [...byTag.values()].map((c) => c.body)
  const first = bodies[0]
  const allFixedSame = bodies.every((b) => b.kind === 'fixed' && b.maxSize === first?.maxSize)
  const kind: EncodingKind = allFixedSame
    ? 'fixed'
    : bodies.some((b) => b.kind === 'variable')
      ? 'variable'
      : 'dynamic'
  const caseOf = (v: T): { tag: number; body: Encoding<T> } => {
    const c = typeof v === 'object' && v !== null ? byKind.get(v.kind) : undefined
    if (c === undefined)
      throw new EncodeError('invalid_value', `${name}: no case for kind ${String(v?.kind)}`)
    return c
  }
  return {
    name,
    kind,
    maxSize: tagSize + Math.max(0, ...bodies.map((b) => b.maxSize)),
    sizeOf(v) {
      const c = caseOf(v)
      try {
        return tagSize + c.body.sizeOf(v)
      } catch (err) {
        throw within(err, v.kind)
      }
    },
    write(v, buf, offset) {
      const c = caseOf(v)
      if (tagSize === 1) buf[offset] = c.tag
      else buf.writeUInt16BE(c.tag, offset)
      try {
        return c.body.write(v, buf, offset + tagSize)
      } catch (err) {
        throw within(err, v.kind)
      }
    },
    read(r) {
      const at = r.pos
      const tag = tagSize === 1 ? r.u8() : r.u16()
      const c = byTag.get(tag)
      if (c === undefined) {
        return r.fail('unknown_tag', `unknown tag 0x${tag.toString(16).padStart(tagSize * 2, '0')}`, at)
      }
      try {
        return c.body.read(r)
      } catch (err) {
        throw within(err, c.kind)
      }
    },
  }
}

/**
 * Names encoded as their index through the fixed-size `repr` (e.g. int16): `values[i]` is written as `i`.
 * A number with no name is an 'invalid_value' DecodeError.
 */
export function enumeration<const V extends string>(
  name: string,
  repr: Encoding<number>,
  values: readonly V[],
): Encoding<V> {
  if (repr.kind !== 'fixed')
    throw new InvalidArgumentError(`enumeration ${name}: its representation must be fixed-size`)
  const index = new Map<string, number>(values.map((v, i) => [v, i]))
  return {
    name,
    kind: repr.kind,
    maxSize: repr.maxSize,
    sizeOf: () => repr.maxSize,
    write(v, buf, offset) {
      const i = index.get(v)
      if (i === undefined) throw new EncodeError('invalid_value', `${String(v)} is not a ${name}`)
      return repr.write(i, buf, offset)
    },
    read(r) {
      const at = r.pos
      const i = repr.read(r)
      const value = values[i]
      if (value === undefined) return r.fail('invalid_value', `unknown ${name} ${i}`, at)
      return value
    },
  }
}
