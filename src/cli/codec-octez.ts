// dune-codec's octez_message: a whole decrypted P2P frame (layer or shell message) to JSON and
// back, with snake_case keys, hex bytes, base58 hashes and RFC 3339 timestamps, as Octez prints.
import { peerIdToB58 } from '../crypto/peer-id.js'
import { type OctezMessage, octezMessageDefinitions, octezMessages } from '../octez/index.js'
import { decode, encode } from '../wire/encoding.js'
import type { P2pMessage } from '../wire/p2p-message.js'
import { CodecInputError } from './codec-input.js'
import { type CodecEncoding, peerIdSchema, pointSchema, singleKey, validate } from './codec-json.js'

type Frame = P2pMessage<OctezMessage>
type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const LAYER_KINDS = ['disconnect', 'bootstrap', 'advertise', 'swap_request', 'swap_ack'] as const
const SHELL_NAMES = Object.keys(octezMessageDefinitions) as OctezMessage['name'][]
const KINDS = [...LAYER_KINDS, ...SHELL_NAMES]

/** Keys whose JSON strings are hex bytes, and whose value is a timestamp. */
const BYTES_KEYS = new Set(['protocol_data', 'data'])
const BYTES_LIST_KEYS = new Set(['fitness'])
const TIME_KEY = 'timestamp'
// Octez prints a time as RFC 3339 within years 0000-9999, as a decimal string outside.
const MIN_RFC3339 = -62167219200n
const MAX_RFC3339 = 253402300799n

const snake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
const camel = (key: string): string => key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())

function timeToJson(seconds: bigint): string {
  if (seconds < MIN_RFC3339 || seconds > MAX_RFC3339) return seconds.toString()
  return new Date(Number(seconds) * 1000).toISOString().replace('.000Z', 'Z')
}

function timeFromJson(value: unknown, path: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value)
  if (typeof value === 'string') {
    if (/^-?\d+$/.test(value)) return BigInt(value)
    const ms = Date.parse(value)
    if (Number.isFinite(ms) && ms % 1000 === 0) return BigInt(ms / 1000)
  }
  throw new CodecInputError(
    `invalid octez_message: ${path}: expected an RFC 3339 time such as "2019-11-28T13:02:13Z" or seconds since 1970, got ${JSON.stringify(value)}`,
  )
}

function hexFromJson(value: unknown, path: string): Buffer {
  if (typeof value === 'string' && /^([0-9a-fA-F]{2})*$/.test(value)) return Buffer.from(value, 'hex')
  throw new CodecInputError(
    `invalid octez_message: ${path}: expected bytes as an even number of hex digits, got ${JSON.stringify(value)}`,
  )
}

/** A typed value as JSON: snake_case keys, absent optional fields left out, hex bytes. */
function toJson(value: unknown, key = ''): Json {
  if (Buffer.isBuffer(value)) return value.toString('hex')
  if (typeof value === 'bigint') return key === TIME_KEY ? timeToJson(value) : value.toString()
  if (Array.isArray(value)) return value.map((v) => toJson(v))
  if (typeof value === 'object' && value !== null) {
    const out: { [key: string]: Json } = {}
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[snake(k)] = toJson(v, snake(k))
    return out
  }
  return value as Json
}

/** The typed value of JSON: camelCase keys, hex strings of byte fields as Buffers, times as bigints. */
function fromJson(json: unknown, path: string, key = ''): unknown {
  if (BYTES_KEYS.has(key)) return hexFromJson(json, path)
  if (key === TIME_KEY) return timeFromJson(json, path)
  if (BYTES_LIST_KEYS.has(key)) {
    if (!Array.isArray(json))
      throw new CodecInputError(`invalid octez_message: ${path}: expected an array of hex strings`)
    return json.map((v, i) => hexFromJson(v, `${path}[${i}]`))
  }
  if (Array.isArray(json)) return json.map((v, i) => fromJson(v, `${path}[${i}]`))
  if (typeof json === 'object' && json !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(json)) out[camel(k)] = fromJson(v, `${path}.${k}`, k)
    return out
  }
  return json
}

/** The first field of `input` that `printed` (what the encoded bytes decode to) lacks. */
function unknownField(input: unknown, printed: unknown, path: string): string | undefined {
  if (Array.isArray(input) && Array.isArray(printed)) {
    for (let i = 0; i < input.length; i++) {
      const found = unknownField(input[i], printed[i], `${path}[${i}]`)
      if (found !== undefined) return found
    }
  } else if (typeof input === 'object' && input !== null && typeof printed === 'object' && printed !== null) {
    for (const [k, v] of Object.entries(input)) {
      if (!(k in printed)) return `${path}.${k}`
      const found = unknownField(v, (printed as Record<string, unknown>)[k], `${path}.${k}`)
      if (found !== undefined) return found
    }
  }
  return undefined
}

function frameToJson(m: Frame): Json {
  switch (m.kind) {
    case 'disconnect':
    case 'bootstrap':
      return { [m.kind]: {} }
    case 'advertise':
      return { advertise: { points: m.points } }
    case 'swap_request':
    case 'swap_ack':
      return { [m.kind]: { point: m.point, peer_id: peerIdToB58(m.peerId) } }
    case 'application':
      return { [m.message.name]: toJson(m.message.value) }
  }
}

function frameFromJson(json: unknown): Frame {
  const kind = singleKey(json, KINDS, 'octez_message')
  const body = (json as Record<string, unknown>)[kind]
  const check = (fields: readonly string[]) => {
    const extra =
      typeof body === 'object' && body !== null
        ? Object.keys(body).find((k) => !fields.includes(k))
        : undefined
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new CodecInputError(`invalid octez_message: ${kind}: expected an object`)
    }
    if (extra !== undefined)
      throw new CodecInputError(`invalid octez_message: ${kind}.${extra}: unknown field`)
    return body as Record<string, unknown>
  }
  switch (kind) {
    case 'disconnect':
    case 'bootstrap':
      check([])
      return { kind }
    case 'advertise': {
      const points = check(['points']).points
      if (!Array.isArray(points))
        throw new CodecInputError('invalid octez_message: advertise.points: expected an array of points')
      return {
        kind,
        points: points.map((p, i) => validate(pointSchema, p, 'octez_message', [kind, 'points', i])),
      }
    }
    case 'swap_request':
    case 'swap_ack': {
      const v = check(['point', 'peer_id'])
      return {
        kind,
        point: validate(pointSchema, v.point, 'octez_message', [kind, 'point']),
        peerId: validate(peerIdSchema, v.peer_id, 'octez_message', [kind, 'peer_id']),
      }
    }
    default:
      return { kind: 'application', message: { name: kind, value: fromJson(body, kind) } as OctezMessage }
  }
}

export const octezMessage: CodecEncoding = {
  name: 'octez_message',
  summary:
    'a whole decrypted P2P frame of an Octez node (u32 size, u16 tag, body): a layer message ' +
    '(disconnect, bootstrap, advertise, swap_*) or a shell message (get_current_head, current_head, block_header, ...)',
  example: '{"get_current_head": {"chain_id": "NetXdQprcVkpaWU"}}',
  decode: (bytes) => frameToJson(decode(octezMessages.encoding, bytes)),
  encode(json) {
    const bytes = encode(octezMessages.encoding, frameFromJson(json))
    const extra = unknownField(json, frameToJson(decode(octezMessages.encoding, bytes)), 'octez_message')
    if (extra !== undefined)
      throw new CodecInputError(
        `invalid octez_message: ${extra.slice('octez_message.'.length)}: unknown field`,
      )
    return bytes
  },
}
