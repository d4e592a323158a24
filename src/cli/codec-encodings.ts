// The encodings dune-codec knows and their JSON form (snake_case keys, hex byte strings, base58
// peer ids): bytes to JSON through the wire layer's decoders, JSON to bytes after zod validation.
import { z } from 'zod'
import { peerIdOf, peerIdToB58 } from '../crypto/peer-id.js'
import { type Ack, ackEncoding, MAX_NACK_POINTS, NACK_MOTIVES } from '../wire/ack.js'
import { connectionMessageEncoding, MAX_CHAIN_NAME_LENGTH } from '../wire/connection-message.js'
import { decode, encode } from '../wire/encoding.js'
import { metadataEncoding } from '../wire/metadata.js'
import {
  MAX_ADVERTISED_POINTS,
  MIN_APPLICATION_TAG,
  type P2pMessage,
  type RawApplicationMessage,
  rawMessages,
} from '../wire/p2p-message.js'
import { PEER_ID_SIZE, peerIdEncoding } from '../wire/peer-id.js'
import { pointEncoding } from '../wire/point.js'
import { CodecInputError } from './codec-input.js'
import {
  boundedStringSchema,
  type CodecEncoding,
  hexBytesSchema,
  peerIdSchema,
  pointSchema,
  singleKey,
  uintSchema,
  validate,
} from './codec-json.js'
import { octezMessage } from './codec-octez.js'

const hex = (bytes: Buffer): string => bytes.toString('hex')

const peerIdJson = (id: Buffer) => ({ hex: hex(id), b58: peerIdToB58(id) })

// ---------------------------------------------------------------------------------------------
// connection_message

const connectionMessageSchema = z.strictObject({
  port: uintSchema(0xffff),
  public_key: hexBytesSchema(32),
  proof_of_work_stamp: hexBytesSchema(24),
  message_nonce: hexBytesSchema(24),
  chain_name: boundedStringSchema(MAX_CHAIN_NAME_LENGTH),
  distributed_db_version: uintSchema(0xffff),
  p2p_version: uintSchema(0xffff),
  peer_id: peerIdSchema.optional(),
})

const connectionMessage: CodecEncoding = {
  name: 'connection_message',
  summary: 'first handshake message, in clear, with its u16 length (port, keys, nonce, chain, versions)',
  example:
    '{"port": 9732, "public_key": "<64 hex digits>", "proof_of_work_stamp": "<48 hex digits>", ' +
    '"message_nonce": "<48 hex digits>", "chain_name": "TEZOS_MAINNET", "distributed_db_version": 2, ' +
    '"p2p_version": 1}',
  decode(bytes) {
    const m = decode(connectionMessageEncoding, bytes)
    return {
      port: m.port,
      public_key: hex(m.publicKey),
      proof_of_work_stamp: hex(m.proofOfWorkStamp),
      message_nonce: hex(m.messageNonce),
      chain_name: m.chainName,
      distributed_db_version: m.distributedDbVersion,
      p2p_version: m.p2pVersion,
      peer_id: peerIdToB58(peerIdOf(m.publicKey)),
    }
  },
  encode(json) {
    const v = validate(connectionMessageSchema, json, 'connection_message')
    if (v.peer_id !== undefined && !v.peer_id.equals(peerIdOf(v.public_key))) {
      throw new CodecInputError(
        `invalid connection_message: peer_id: ${peerIdToB58(v.peer_id)} is not the peer id of public_key ` +
          `(${peerIdToB58(peerIdOf(v.public_key))}); fix it or leave it out`,
      )
    }
    return encode(connectionMessageEncoding, {
      port: v.port,
      publicKey: v.public_key,
      proofOfWorkStamp: v.proof_of_work_stamp,
      messageNonce: v.message_nonce,
      chainName: v.chain_name,
      distributedDbVersion: v.distributed_db_version,
      p2pVersion: v.p2p_version,
    })
  },
}

// ---------------------------------------------------------------------------------------------
// metadata

const metadataSchema = z.strictObject({
  disable_mempool: z.boolean({ error: 'expected true or false' }),
  private_node: z.boolean({ error: 'expected true or false' }),
})

const metadata: CodecEncoding = {
  name: 'metadata',
  summary: "the Dune shell's connection metadata, two booleans (second handshake message, encrypted)",
  example: '{"disable_mempool": false, "private_node": true}',
  decode(bytes) {
    const m = decode(metadataEncoding, bytes)
    return { disable_mempool: m.disableMempool, private_node: m.privateNode }
  },
  encode(json) {
    const v = validate(metadataSchema, json, 'metadata')
    return encode(metadataEncoding, { disableMempool: v.disable_mempool, privateNode: v.private_node })
  },
}

// ---------------------------------------------------------------------------------------------
// ack

const nackSchema = z.strictObject({
  Nack: z.strictObject({
    motive: z.enum(NACK_MOTIVES, { error: `expected one of ${NACK_MOTIVES.join(', ')}` }),
    potential_peers_to_connect: z
      .array(pointSchema, { error: 'expected an array of points' })
      .max(MAX_NACK_POINTS, {
        error: (iss) => `${lengthOf(iss.input)} points, at most ${MAX_NACK_POINTS} allowed`,
      }),
  }),
})

function ackFromJson(json: unknown): Ack {
  if (json === 'Ack') return { kind: 'ack' }
  if (json === 'Nack_v_0') return { kind: 'nack_v0' }
  if (typeof json === 'string') {
    throw new CodecInputError(
      `invalid ack: expected "Ack", "Nack_v_0" or {"Nack": {...}}, got ${JSON.stringify(json)}`,
    )
  }
  const { Nack } = validate(nackSchema, json, 'ack')
  return { kind: 'nack', motive: Nack.motive, potentialPeersToConnect: Nack.potential_peers_to_connect }
}

const ack: CodecEncoding = {
  name: 'ack',
  summary: 'last handshake message (encrypted): Ack, the old bare Nack, or a Nack with a motive and points',
  example: '{"Nack": {"motive": "too_many_connections", "potential_peers_to_connect": ["192.168.1.2:9732"]}}',
  decode(bytes) {
    const a = decode(ackEncoding, bytes)
    switch (a.kind) {
      case 'ack':
        return 'Ack'
      case 'nack_v0':
        return 'Nack_v_0'
      case 'nack':
        return { Nack: { motive: a.motive, potential_peers_to_connect: a.potentialPeersToConnect } }
    }
  },
  encode: (json) => encode(ackEncoding, ackFromJson(json)),
}

// ---------------------------------------------------------------------------------------------
// p2p_message

const registry = rawMessages()
type RawMessage = P2pMessage<RawApplicationMessage>

const swapSchema = z.strictObject({ point: pointSchema, peer_id: peerIdSchema })

const p2pCases = {
  disconnect: z.strictObject({}),
  bootstrap: z.strictObject({}),
  advertise: z.strictObject({
    points: z.array(pointSchema, { error: 'expected an array of points' }).max(MAX_ADVERTISED_POINTS, {
      error: (iss) => `${lengthOf(iss.input)} points, at most ${MAX_ADVERTISED_POINTS} allowed`,
    }),
  }),
  swap_request: swapSchema,
  swap_ack: swapSchema,
  application: z.strictObject({ tag: uintSchema(0xffff, MIN_APPLICATION_TAG), body: hexBytesSchema() }),
} as const
const P2P_KINDS = Object.keys(p2pCases) as (keyof typeof p2pCases)[]

function p2pFromJson(json: unknown): RawMessage {
  const kind = singleKey(json, P2P_KINDS, 'p2p_message')
  const body = (json as Record<string, unknown>)[kind]
  switch (kind) {
    case 'disconnect':
    case 'bootstrap':
      validate(p2pCases[kind], body, 'p2p_message', [kind])
      return { kind }
    case 'advertise':
      return { kind, points: validate(p2pCases.advertise, body, 'p2p_message', [kind]).points }
    case 'swap_request':
    case 'swap_ack': {
      const v = validate(swapSchema, body, 'p2p_message', [kind])
      return { kind, point: v.point, peerId: v.peer_id }
    }
    case 'application':
      return { kind, message: validate(p2pCases.application, body, 'p2p_message', [kind]) }
  }
}

function p2pToJson(msg: RawMessage): unknown {
  switch (msg.kind) {
    case 'disconnect':
    case 'bootstrap':
      return { [msg.kind]: {} }
    case 'advertise':
      return { advertise: { points: msg.points } }
    case 'swap_request':
    case 'swap_ack':
      return { [msg.kind]: { point: msg.point, peer_id: peerIdToB58(msg.peerId) } }
    case 'application':
      return { application: { tag: msg.message.tag, body: hex(msg.message.body) } }
  }
}

const p2pMessage: CodecEncoding = {
  name: 'p2p_message',
  summary:
    'a message of a live connection with its u32 size: disconnect, bootstrap, advertise, swap_request, ' +
    'swap_ack, or an application message (tag >= 16, body as hex)',
  example: '{"advertise": {"points": ["192.168.1.2:9732", "[fe80::1]:9732"]}}',
  decode: (bytes) => p2pToJson(decode(registry.encoding, bytes)),
  encode: (json) => encode(registry.encoding, p2pFromJson(json)),
}

// ---------------------------------------------------------------------------------------------
// point and peer_id

const point: CodecEncoding = {
  name: 'point',
  summary:
    'a peer address "host:port" ("[ipv6]:port"), a u32 length then at most 47 printable ASCII ' +
    'characters (the wire, and this tool, do not check the host:port syntax)',
  example: '"127.0.0.1:9732"',
  decode: (bytes) => decode(pointEncoding, bytes),
  encode: (json) => encode(pointEncoding, validate(pointSchema, json, 'point')),
}

/** The object `decode peer_id` prints, accepted back when both forms agree. */
const peerIdObjectSchema = z
  .strictObject({ hex: hexBytesSchema(PEER_ID_SIZE), b58: peerIdSchema })
  .check((ctx) => {
    if (!ctx.value.hex.equals(ctx.value.b58)) {
      ctx.issues.push({ code: 'custom', input: ctx.value, message: 'hex and b58 are different peer ids' })
    }
  })

const peerId: CodecEncoding = {
  name: 'peer_id',
  summary:
    'a peer id, the 16 bytes of blake2b-128(public key); JSON: "id…" (base58check), 32 hex digits, ' +
    'or {"hex", "b58"} as decode prints it',
  example: '"idtBWDzTcpfNnDyoRbM1bFoXe2vuZK"',
  decode: (bytes) => peerIdJson(decode(peerIdEncoding, bytes)),
  encode(json) {
    const id =
      typeof json === 'string'
        ? validate(peerIdSchema, json, 'peer_id')
        : validate(peerIdObjectSchema, json, 'peer_id').hex
    return encode(peerIdEncoding, id)
  },
}

function lengthOf(value: unknown): number | string {
  return Array.isArray(value) ? value.length : 'too many'
}

/** Every encoding, in the order `dune-codec list` shows them. */
export const CODEC_ENCODINGS: readonly CodecEncoding[] = [
  connectionMessage,
  metadata,
  ack,
  p2pMessage,
  point,
  peerId,
  octezMessage,
]

/** The encoding called `name`, or undefined. */
export function findEncoding(name: string): CodecEncoding | undefined {
  return CODEC_ENCODINGS.find((e) => e.name === name)
}
