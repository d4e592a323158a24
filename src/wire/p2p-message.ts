// P2P messages on a live connection: a u32 size then `tag u16 | body`, with the built-in
// messages (0x01-0x05) and a typed registry of the application's messages (tags >= 0x10).
import { InvalidArgumentError } from '../errors/index.js'
import { listToEnd, obj } from './combinators.js'
import type { Encoding } from './encoding.js'
import { EncodeError, within } from './errors.js'
import { peerIdEncoding } from './peer-id.js'
import { advertisedPointEncoding, pointEncoding } from './point.js'
import { Reader } from './reader.js'

/** A P2P message carrying application messages of type A. */
export type P2pMessage<A> =
  | { readonly kind: 'disconnect' }
  | { readonly kind: 'bootstrap' }
  | { readonly kind: 'advertise'; readonly points: string[] }
  | { readonly kind: 'swap_request'; readonly point: string; readonly peerId: Buffer }
  | { readonly kind: 'swap_ack'; readonly point: string; readonly peerId: Buffer }
  | { readonly kind: 'application'; readonly message: A }

/** Lowest tag an application message may use; 0x00-0x0f belong to the layer. */
export const MIN_APPLICATION_TAG = 0x10
/** Most points one Advertise carries. */
export const MAX_ADVERTISED_POINTS = 100
/** Octez's upper bound on a message encoding (100 MiB); the default bound of raw bodies. */
export const OCTEZ_MAX_MESSAGE_SIZE = 100 * 1024 * 1024

const TAG_DISCONNECT = 0x01
const TAG_BOOTSTRAP = 0x02
const TAG_ADVERTISE = 0x03
const TAG_SWAP_REQUEST = 0x04
const TAG_SWAP_ACK = 0x05

/**
 * Body of Advertise (after its tag): points one after another to the end of the frame, at most
 * 100. A point of junk bytes is carried as it is (advertisedPointEncoding), not fatal.
 */
export const advertiseBodyEncoding: Encoding<string[]> = listToEnd(advertisedPointEncoding, {
  maxLength: MAX_ADVERTISED_POINTS,
})

/** Body of Swap_request and Swap_ack (after the tag). */
export interface SwapBody {
  readonly point: string
  readonly peerId: Buffer
}

/** `point | peer_id 16`, the body of Swap_request and Swap_ack. The peer id is a copy. */
export const swapBodyEncoding: Encoding<SwapBody> = obj('swap', {
  point: pointEncoding,
  peerId: peerIdEncoding,
})

// ---------------------------------------------------------------------------------------------
// Application messages

/** An application message type: its tag (>= 0x10), its body encoding and the body's maximum size. */
export interface MessageDefinition<V> {
  readonly tag: number
  readonly encoding: Encoding<V>
  /** Largest body accepted or sent, in bytes (the tag not included). */
  readonly maxSize: number
}

/** The application messages of a set of definitions: `{name: 'gossip', value: Gossip} | ...`. */
export type ApplicationMessage<D extends Record<string, MessageDefinition<unknown>>> = {
  [K in keyof D & string]: {
    readonly name: K
    readonly value: D[K] extends MessageDefinition<infer V> ? V : never
  }
}[keyof D & string]

/** An application message kept as bytes (raw registry): any tag >= 0x10 and its body. */
export interface RawApplicationMessage {
  readonly tag: number
  /** The body; when decoded, a view of the input (not a copy). */
  readonly body: Buffer
}

/** How a registry reads and writes the application part (tag and body) of frames. */
interface ApplicationCodec<A> {
  /** Largest application body accepted. */
  readonly maxBodySize: number
  /** Size of tag + body; validates. */
  size(a: A): number
  /** Writes tag + body at `offset`; returns the offset after. */
  write(a: A, buf: Buffer, offset: number): number
  /** Reads the body of a message whose tag (>= 0x10, at index `at`) was read; the body ends at r.end. */
  read(tag: number, r: Reader, at: number): A
}

interface Entry {
  readonly name: string
  readonly tag: number
  readonly encoding: Encoding<unknown>
  readonly maxSize: number
}

function bodyOverBound(label: string, size: number, max: number): string {
  return `${label}: body of ${size} bytes exceeds its bound ${max}`
}

function definedCodec<D extends Record<string, MessageDefinition<unknown>>>(
  defs: D,
): ApplicationCodec<ApplicationMessage<D>> {
  const byName = new Map<string, Entry>()
  const byTag = new Map<number, Entry>()
  for (const [name, def] of Object.entries(defs)) {
    const { tag, encoding, maxSize } = def
    if (!Number.isInteger(tag) || tag < MIN_APPLICATION_TAG || tag > 0xffff) {
      throw new InvalidArgumentError(
        `message ${name}: tag ${tag} is not in 0x10..0xffff (0x00-0x0f are the layer's)`,
      )
    }
    if (byTag.has(tag))
      throw new InvalidArgumentError(`message ${name}: tag ${tag} is already ${byTag.get(tag)?.name}`)
    if (!Number.isInteger(maxSize) || maxSize < 0)
      throw new InvalidArgumentError(`message ${name}: bad maxSize ${maxSize}`)
    const entry = { name, tag, encoding, maxSize: Math.min(maxSize, encoding.maxSize) }
    byName.set(name, entry)
    byTag.set(tag, entry)
  }
  const entryOf = (a: ApplicationMessage<D>): Entry => {
    const entry = typeof a === 'object' && a !== null ? byName.get(a.name) : undefined
    if (entry === undefined)
      throw new EncodeError('invalid_value', `no application message named ${String(a?.name)}`)
    return entry
  }
  return {
    maxBodySize: Math.max(0, ...[...byTag.values()].map((e) => e.maxSize)),
    size(a) {
      const entry = entryOf(a)
      let size: number
      try {
        size = entry.encoding.sizeOf(a.value)
      } catch (err) {
        throw within(err, entry.name)
      }
      if (size > entry.maxSize) {
        throw new EncodeError('length_over_bound', bodyOverBound(entry.name, size, entry.maxSize))
      }
      return 2 + size
    },
    write(a, buf, offset) {
      const entry = entryOf(a)
      buf.writeUInt16BE(entry.tag, offset)
      let end: number
      try {
        end = entry.encoding.write(a.value, buf, offset + 2)
      } catch (err) {
        throw within(err, entry.name)
      }
      if (end - offset - 2 > entry.maxSize) {
        throw new EncodeError('length_over_bound', bodyOverBound(entry.name, end - offset - 2, entry.maxSize))
      }
      return end
    },
    read(tag, r, at) {
      const entry = byTag.get(tag)
      if (entry === undefined) return r.fail('unknown_tag', `unknown message tag 0x${tag.toString(16)}`, at)
      const size = r.remaining
      if (size > entry.maxSize) r.fail('length_over_bound', bodyOverBound(entry.name, size, entry.maxSize))
      try {
        return { name: entry.name, value: entry.encoding.read(r) } as ApplicationMessage<D>
      } catch (err) {
        throw within(err, entry.name)
      }
    },
  }
}

function rawCodec(maxBodySize: number): ApplicationCodec<RawApplicationMessage> {
  return {
    maxBodySize,
    size(a) {
      checkRaw(a, maxBodySize)
      return 2 + a.body.length
    },
    write(a, buf, offset) {
      checkRaw(a, maxBodySize)
      buf.writeUInt16BE(a.tag, offset)
      buf.set(a.body, offset + 2)
      return offset + 2 + a.body.length
    },
    read(tag, r) {
      const size = r.remaining
      if (size > maxBodySize)
        r.fail('length_over_bound', bodyOverBound(`tag 0x${tag.toString(16)}`, size, maxBodySize))
      return { tag, body: r.bytes(size) }
    },
  }
}

function checkRaw(a: RawApplicationMessage, maxBodySize: number): void {
  if (!Number.isInteger(a?.tag) || a.tag < MIN_APPLICATION_TAG || a.tag > 0xffff) {
    throw new EncodeError('invalid_value', `application tag ${String(a?.tag)} is not in 0x10..0xffff`)
  }
  if (!(a.body instanceof Uint8Array)) throw new EncodeError('invalid_value', 'body is not a byte string')
  if (a.body.length > maxBodySize) {
    throw new EncodeError(
      'length_over_bound',
      bodyOverBound(`tag 0x${a.tag.toString(16)}`, a.body.length, maxBodySize),
    )
  }
}

// ---------------------------------------------------------------------------------------------
// Registries

/**
 * The P2P messages of one application: the framed encoding and the entry points the connection
 * layer uses per message.
 */
export interface MessageRegistry<A> {
  /** Whole frames (`u32 size | tag u16 | body`) for encode/decode/StreamDecoder. */
  readonly encoding: Encoding<P2pMessage<A>>
  /**
   * Largest valid value of a frame's u32 size (tag + body, the 4 size bytes excluded): a reader
   * refuses a larger size before buffering the body. Size 0 is never valid.
   */
  readonly maxFrameSize: number
  /**
   * Size of the whole frame, size prefix included. Rejects some invalid messages early
   * (EncodeError); writeFrame checks everything.
   */
  sizeOf(msg: P2pMessage<A>): number
  /**
   * Writes the whole frame (size prefix included) at `offset`; returns the offset after it.
   * Requires `sizeOf(msg)` bytes of room.
   */
  writeFrame(msg: P2pMessage<A>, buf: Buffer, offset: number): number
  /**
   * Decodes the content of one complete frame, `buf[start..end)` (tag + body, without the size
   * prefix), without copying: decoded byte strings other than peer ids alias `buf`, and
   * Disconnect and Bootstrap decode to shared frozen objects. Error offsets are indices in `buf`.
   */
  decodeBody(buf: Buffer, start: number, end: number): P2pMessage<A>
}

function unknownKind(msg: unknown): EncodeError {
  const kind = typeof msg === 'object' && msg !== null ? (msg as { kind?: unknown }).kind : undefined
  return new EncodeError('invalid_value', `no P2P message of kind ${String(kind)}`)
}

const DISCONNECT: P2pMessage<never> = Object.freeze({ kind: 'disconnect' })
const BOOTSTRAP: P2pMessage<never> = Object.freeze({ kind: 'bootstrap' })

function makeRegistry<A>(app: ApplicationCodec<A>): MessageRegistry<A> {
  const maxFrameSize = 2 + Math.max(advertiseBodyEncoding.maxSize, swapBodyEncoding.maxSize, app.maxBodySize)

  /** Size of tag + body. */
  const contentSize = (msg: P2pMessage<A>): number => {
    switch (msg?.kind) {
      case 'disconnect':
      case 'bootstrap':
        return 2
      case 'advertise':
        try {
          return 2 + advertiseBodyEncoding.sizeOf(msg.points)
        } catch (err) {
          throw within(err, 'advertise.points')
        }
      case 'swap_request':
      case 'swap_ack':
        try {
          return 2 + swapBodyEncoding.sizeOf(msg)
        } catch (err) {
          throw within(err, msg.kind)
        }
      case 'application':
        return app.size(msg.message)
      default:
        throw unknownKind(msg)
    }
  }

  /** Writes tag + body at `offset`. */
  const writeContent = (msg: P2pMessage<A>, buf: Buffer, offset: number): number => {
    switch (msg?.kind) {
      case 'disconnect':
        buf.writeUInt16BE(TAG_DISCONNECT, offset)
        return offset + 2
      case 'bootstrap':
        buf.writeUInt16BE(TAG_BOOTSTRAP, offset)
        return offset + 2
      case 'advertise':
        buf.writeUInt16BE(TAG_ADVERTISE, offset)
        try {
          return advertiseBodyEncoding.write(msg.points, buf, offset + 2)
        } catch (err) {
          throw within(err, 'advertise.points')
        }
      case 'swap_request':
      case 'swap_ack':
        buf.writeUInt16BE(msg.kind === 'swap_request' ? TAG_SWAP_REQUEST : TAG_SWAP_ACK, offset)
        try {
          return swapBodyEncoding.write(msg, buf, offset + 2)
        } catch (err) {
          throw within(err, msg.kind)
        }
      case 'application':
        return app.write(msg.message, buf, offset)
      default:
        throw unknownKind(msg)
    }
  }

  /** Reads tag + body up to r.end (the caller checks that nothing is left). */
  const readContent = (r: Reader): P2pMessage<A> => {
    const at = r.pos
    const tag = r.u16()
    switch (tag) {
      case TAG_DISCONNECT:
        return DISCONNECT
      case TAG_BOOTSTRAP:
        return BOOTSTRAP
      case TAG_ADVERTISE:
        try {
          return { kind: 'advertise', points: advertiseBodyEncoding.read(r) }
        } catch (err) {
          throw within(err, 'advertise.points')
        }
      case TAG_SWAP_REQUEST:
      case TAG_SWAP_ACK: {
        const kind = tag === TAG_SWAP_REQUEST ? 'swap_request' : 'swap_ack'
        let swap: SwapBody
        try {
          swap = swapBodyEncoding.read(r)
        } catch (err) {
          throw within(err, kind)
        }
        return { kind, point: swap.point, peerId: swap.peerId }
      }
      default:
        if (tag < MIN_APPLICATION_TAG)
          return r.fail('unknown_tag', `unknown message tag 0x${tag.toString(16)}`, at)
        return { kind: 'application', message: app.read(tag, r, at) }
    }
  }

  const encoding: Encoding<P2pMessage<A>> = {
    name: 'p2p_message',
    kind: 'dynamic',
    maxSize: 4 + maxFrameSize,
    sizeOf: (msg) => 4 + contentSize(msg),
    write(msg, buf, offset) {
      const end = writeContent(msg, buf, offset + 4)
      buf.writeUInt32BE(end - offset - 4, offset)
      return end
    },
    read(r) {
      const at = r.pos
      const size = r.u32()
      if (size === 0) r.fail('empty_frame', 'empty message frame (size 0)', at)
      if (size > maxFrameSize)
        r.fail('length_over_bound', `frame size ${size} exceeds the bound ${maxFrameSize}`, at)
      const saved = r.enterBlock(size)
      const msg = readContent(r)
      r.leaveBlock(saved)
      return msg
    },
  }

  return {
    encoding,
    maxFrameSize,
    sizeOf(msg) {
      try {
        return encoding.sizeOf(msg)
      } catch (err) {
        throw within(err, 'p2p_message')
      }
    },
    writeFrame(msg, buf, offset) {
      try {
        return encoding.write(msg, buf, offset)
      } catch (err) {
        throw within(err, 'p2p_message')
      }
    },
    decodeBody(buf, start, end) {
      const r = new Reader(buf, start, end)
      try {
        if (end <= start) r.fail('empty_frame', 'empty message frame (size 0)')
        if (end - start > maxFrameSize) {
          r.fail('length_over_bound', `frame size ${end - start} exceeds the bound ${maxFrameSize}`)
        }
        const msg = readContent(r)
        if (r.pos !== end) r.fail('trailing_bytes', `${end - r.pos} unread bytes at the end of the frame`)
        return msg
      } catch (err) {
        throw within(err, 'p2p_message')
      }
    },
  }
}

/**
 * The registry of an application's messages, e.g.
 * `defineMessages({ gossip: { tag: 0x10, encoding: gossipEncoding, maxSize: 1024 } })`, whose
 * messages are `{ name: 'gossip', value: Gossip }`. Tags must be 0x10..0xffff and distinct;
 * a frame with an unregistered tag is an 'unknown_tag' DecodeError.
 */
export function defineMessages<D extends Record<string, MessageDefinition<unknown>>>(
  defs: D,
): MessageRegistry<ApplicationMessage<D>> {
  return makeRegistry(definedCodec(defs))
}

/**
 * A registry that keeps every application message (any tag >= 0x10) as raw bytes, for tools
 * that inspect traffic; bodies are bounded by `maxBodySize` (default 100 MiB, Octez's bound).
 */
export function rawMessages(options: { maxBodySize?: number } = {}): MessageRegistry<RawApplicationMessage> {
  return makeRegistry(rawCodec(options.maxBodySize ?? OCTEZ_MAX_MESSAGE_SIZE))
}
