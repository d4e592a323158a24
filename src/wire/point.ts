// Points, the "host:port" strings peers exchange (IPv6 as "[addr]:port"): parsing, formatting
// and their wire encoding (at most 47 printable ASCII bytes; syntax is checked where points are used).
import { isIP } from 'node:net'
import type { Encoding } from './encoding.js'
import { EncodeError, InvalidPointError } from './errors.js'
import type { Reader } from './reader.js'

/** Longest point string: "[" + 39-char IPv6 + "]:" + 5-digit port (Octez's bound). */
export const MAX_POINT_LENGTH = 47

/** A parsed point. `host` is an IP address literal as written (IPv6 without brackets). */
export interface Point {
  readonly host: string
  readonly port: number
}

const PORT = /^\d{1,5}$/

/**
 * Splits a point string into host and port, or says why it is not valid. Valid points (as
 * Octez writes them): `a.b.c.d:port` or `[ipv6]:port`, at most 47 characters, the port a
 * decimal number in 0..65535. Hosts must be IP literals: Octez points are addresses, and
 * accepting names would let peers make us resolve whatever they advertise. IPv6 zone ids
 * (`%eth0`) are refused: they mean nothing on another machine.
 */
function splitPoint(s: string): Point | string {
  if (s.length > MAX_POINT_LENGTH) return `longer than ${MAX_POINT_LENGTH} characters`
  let host: string
  let portText: string
  if (s.startsWith('[')) {
    const close = s.indexOf(']:')
    if (close < 0) return 'expected "[addr]:port"'
    host = s.slice(1, close)
    portText = s.slice(close + 2)
    if (isIP(host) !== 6 || host.includes('%')) return `${JSON.stringify(host)} is not an IPv6 address`
  } else {
    const colon = s.lastIndexOf(':')
    if (colon < 0) return 'expected "host:port"'
    host = s.slice(0, colon)
    portText = s.slice(colon + 1)
    if (isIP(host) !== 4) return `${JSON.stringify(host)} is not an IPv4 address (IPv6 needs brackets)`
  }
  const port = Number(portText)
  if (!PORT.test(portText) || port > 0xffff) return `${JSON.stringify(portText)} is not a port`
  return { host, port }
}

/** Why `s` is not a valid point (see parsePoint), or undefined when it is. */
export function pointSyntaxError(s: string): string | undefined {
  const result = splitPoint(s)
  return typeof result === 'string' ? result : undefined
}

/**
 * Parses a point string: `a.b.c.d:port` or `[ipv6]:port`, at most 47 characters, IP literals
 * only (no host names, no IPv6 zone ids), port 0..65535. Throws InvalidPointError otherwise.
 */
export function parsePoint(s: string): Point {
  const result = splitPoint(s)
  if (typeof result === 'string') throw new InvalidPointError(`invalid point ${JSON.stringify(s)}: ${result}`)
  return result
}

/** Formats an IP address and port as a point string; throws InvalidPointError if invalid. */
export function formatPoint(host: string, port: number): string {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff)
    throw new InvalidPointError(`invalid port ${port}`)
  const s = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`
  parsePoint(s)
  return s
}

/** Index of the first character of `s` outside printable ASCII (0x20..0x7e), or -1. */
function firstNonPrintable(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c > 0x7e) return i
  }
  return -1
}

/**
 * Why `s` cannot travel as a point on the wire (longer than 47 characters, or not printable
 * ASCII), or undefined when it can. Says nothing of the "host:port" syntax (see parsePoint).
 */
export function pointWireError(s: string): string | undefined {
  if (s.length > MAX_POINT_LENGTH) return `${s.length} characters long, at most ${MAX_POINT_LENGTH} allowed`
  const bad = firstNonPrintable(s)
  if (bad !== -1) return `character ${JSON.stringify(s[bad])} at index ${bad} is not printable ASCII`
  return undefined
}

/**
 * Reads a point's u32 length (refusing one over MAX_POINT_LENGTH) and its bytes as latin1,
 * which maps each byte to the character of the same code, so indices are byte offsets.
 */
function readPointBytes(r: Reader): string {
  const at = r.pos
  const length = r.u32()
  if (length > MAX_POINT_LENGTH) {
    r.fail('length_over_bound', `length ${length} exceeds the bound ${MAX_POINT_LENGTH}`, at)
  }
  const p = r.take(length)
  return r.buf.toString('latin1', p, p + length)
}

/**
 * A point on the wire: u32 length then printable ASCII, at most 47 bytes. The wire checks only
 * that (as the recorded vectors require: a 47-character "xxx…" swap point is valid on the
 * wire); whoever uses a point checks its syntax with `parsePoint`, so one bad point in an
 * Advertise is dropped by the pool instead of killing the connection.
 */
export const pointEncoding: Encoding<string> = {
  name: 'point',
  kind: 'dynamic',
  maxSize: 4 + MAX_POINT_LENGTH,
  sizeOf(v) {
    if (typeof v !== 'string') throw new EncodeError('invalid_value', `${String(v)} is not a point`)
    if (v.length > MAX_POINT_LENGTH) {
      throw new EncodeError('length_over_bound', `length ${v.length} exceeds the bound ${MAX_POINT_LENGTH}`)
    }
    return 4 + v.length
  },
  write(v, buf, offset) {
    const length = pointEncoding.sizeOf(v) - 4
    // Within the bound (sizeOf checked it), so the only possible error is a non-printable character.
    const error = pointWireError(v)
    if (error !== undefined)
      throw new EncodeError('invalid_value', `invalid point ${JSON.stringify(v)}: ${error}`)
    // Printable ASCII: one byte per character.
    buf.writeUInt32BE(length, offset)
    return buf.write(v, offset + 4, 'latin1') + offset + 4
  },
  read(r) {
    const p = r.pos + 4
    const s = readPointBytes(r)
    const bad = firstNonPrintable(s)
    if (bad !== -1) {
      r.fail(
        'invalid_value',
        `byte 0x${s.charCodeAt(bad).toString(16)} in a point is not printable ASCII`,
        p + bad,
      )
    }
    return s
  },
}

/**
 * A point in an Advertise: like pointEncoding, but any byte is carried (as the latin1 character
 * of that code) instead of failing the whole message, so that one junk point costs only
 * itself: the pool drops what is not a valid point and counts junk against the sender's score.
 */
export const advertisedPointEncoding: Encoding<string> = {
  name: 'point',
  kind: 'dynamic',
  maxSize: 4 + MAX_POINT_LENGTH,
  sizeOf: pointEncoding.sizeOf,
  write(v, buf, offset) {
    const length = advertisedPointEncoding.sizeOf(v) - 4
    for (let i = 0; i < length; i++) {
      if (v.charCodeAt(i) > 0xff)
        throw new EncodeError(
          'invalid_value',
          `invalid point ${JSON.stringify(v)}: not one byte per character`,
        )
    }
    buf.writeUInt32BE(length, offset)
    return buf.write(v, offset + 4, 'latin1') + offset + 4
  },
  read: readPointBytes,
}
