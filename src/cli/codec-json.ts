// The JSON side of dune-codec: the shape of one encoding (bytes to JSON and back), the zod schemas
// of its values (integers, hex bytes, points, peer ids) and errors naming the field and bound.
import { z } from 'zod'
import { PeerIdFormatError, peerIdFromB58 } from '../crypto/peer-id.js'
import { pointWireError } from '../wire/point.js'
import { CodecInputError, parseHex } from './codec-input.js'

/** One encoding as the tool shows it: bytes to JSON and back. */
export interface CodecEncoding {
  readonly name: string
  /** One line on what it is. */
  readonly summary: string
  /** A valid JSON input, for help texts and error hints. */
  readonly example: string
  /** JSON value of `bytes`, which must hold exactly one value (DecodeError otherwise). */
  decode(bytes: Buffer): unknown
  /** Bytes of a JSON value (CodecInputError naming the field for invalid input; EncodeError). */
  encode(json: unknown): Buffer
}

type Path = readonly PropertyKey[]

/** An unsigned integer of at most `max`. */
export function uintSchema(max: number, min = 0): z.ZodNumber {
  const bound = (iss: { input?: unknown }) =>
    `expected an integer from ${min} to ${max}, got ${JSON.stringify(iss.input)}`
  return z
    .number({ error: (iss) => `expected a number, got ${describe(iss.input)}` })
    .int({ error: bound })
    .min(min, { error: bound })
    .max(max, { error: bound })
}

/** A hex string (optional 0x), decoded; exactly `size` bytes when given. */
export function hexBytesSchema(size?: number) {
  return z
    .string({ error: (iss) => `expected a hex string, got ${describe(iss.input)}` })
    .transform((text, ctx) => {
      try {
        const bytes = parseHex(text, 'hex string')
        if (size === undefined || bytes.length === size) return bytes
        ctx.issues.push({
          code: 'custom',
          input: text,
          message: `expected ${size} bytes (${2 * size} hex digits), got ${bytes.length}`,
        })
      } catch (err) {
        ctx.issues.push({ code: 'custom', input: text, message: (err as Error).message })
      }
      return z.NEVER
    })
}

/** A UTF-8 string of at most `maxBytes` bytes. */
export function boundedStringSchema(maxBytes: number) {
  return z.string({ error: (iss) => `expected a string, got ${describe(iss.input)}` }).check((ctx) => {
    const length = Buffer.byteLength(ctx.value, 'utf8')
    if (length > maxBytes) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: `${length} bytes long, at most ${maxBytes} allowed`,
      })
    }
  })
}

/**
 * A point as the wire carries it: printable ASCII, at most 47 characters. Like the wire, the
 * "host:port" syntax is not checked, so whatever decode prints (captured traffic) encodes back.
 */
export const pointSchema = z
  .string({ error: (iss) => `expected a point string such as "host:port", got ${describe(iss.input)}` })
  .check((ctx) => {
    const error = pointWireError(ctx.value)
    if (error !== undefined) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: `invalid point ${describe(ctx.value)}: ${error}`,
      })
    }
  })

const PEER_ID_HEX = /^(0x)?[0-9a-fA-F]{32}$/

/** A peer id as its printed form ("id…", base58check) or 32 hex digits; the 16 bytes. */
export const peerIdSchema = z
  .string({ error: (iss) => `expected a peer id ("id…" or 32 hex digits), got ${describe(iss.input)}` })
  .transform((text, ctx) => {
    if (PEER_ID_HEX.test(text)) return parseHex(text)
    try {
      return peerIdFromB58(text)
    } catch (err) {
      if (!(err instanceof PeerIdFormatError)) throw err
      ctx.issues.push({ code: 'custom', input: text, message: `${err.message}; or give 32 hex digits` })
      return z.NEVER
    }
  })

/** Validates `value` against `schema`; the error lists each problem as `path: message`. */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  at: Path = [],
): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => {
    const path = [...at, ...issue.path]
    const missing = issue.code === 'invalid_type' && isMissing(value, issue.path)
    return `${fieldPrefix(path)}${missing ? 'missing' : issue.message}`
  })
  throw new CodecInputError(`invalid ${what}: ${problems.join('; ')}`)
}

/** The single key of a one-key object such as `{"advertise": {...}}`, checked against `keys`. */
export function singleKey<K extends string>(
  value: unknown,
  keys: readonly K[],
  what: string,
  at: Path = [],
): K {
  const found = typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : []
  const key = found.length === 1 ? (keys as readonly string[]).find((k) => k === found[0]) : undefined
  if (key !== undefined) return key as K
  const expected = keys.map((k) => JSON.stringify(k)).join(', ')
  throw new CodecInputError(
    `invalid ${what}: ${fieldPrefix(at)}expected an object with one key among ${expected}, got ${describe(value)}`,
  )
}

/** `a.b[2].c: `, or nothing for the value itself. */
function fieldPrefix(path: Path): string {
  if (path.length === 0) return ''
  const field = path
    .map((segment, i) =>
      typeof segment === 'number' ? `[${segment}]` : i === 0 ? String(segment) : `.${String(segment)}`,
    )
    .join('')
  return `${field}: `
}

function isMissing(root: unknown, path: Path): boolean {
  const last = path.at(-1)
  if (last === undefined) return false
  let node = root
  for (const key of path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return false
    node = (node as Record<PropertyKey, unknown>)[key]
  }
  return typeof node === 'object' && node !== null && !(last in node)
}

/** A short description of a JSON value for error messages. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
