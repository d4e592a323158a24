// Tests of the handshake encodings against the recorded Octez vectors (connection messages,
// Ack/Nack) and by properties: round trips, streaming, truncations, bounds, random input.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  type Ack,
  ackEncoding,
  type ConnectionMessage,
  connectionMessageEncoding,
  DecodeError,
  decode,
  decodeConnectionMessage,
  EncodeError,
  encode,
  encodeConnectionMessage,
  MAX_CHAIN_NAME_LENGTH,
  metadataEncoding,
  NACK_MOTIVES,
  type NackMotive,
  PEER_ID_SIZE,
  peerIdEncoding,
} from '../../../src/wire/index.js'
import { defined } from '../../support/defined.js'
import { hex, readVectorJson } from '../../support/vectors.js'
import { pointArb } from '../../support/wire-arbitraries.js'
import {
  bufferArb,
  checkRandomBytes,
  checkRoundTrip,
  checkStreamMatchesWhole,
  checkStreamSplits,
  checkTruncations,
  expectDecodeError,
} from './properties.js'

interface Vectors {
  connection_messages: {
    a: string
    a_decoded: {
      port: number
      public_key: string
      proof_of_work_stamp: string
      message_nonce: string
      chain_name: string
      distributed_db_version: number
      p2p_version: number
    }
    b: string
  }
  ack: { hex: string; decoded: string | { Nack: { motive: string; potential_peers_to_connect: string[] } } }[]
}

const vectors = readVectorJson<Vectors>('octez-wire.json')

const connectionMessageArb: fc.Arbitrary<ConnectionMessage> = fc.record(
  {
    port: fc.nat(0xffff),
    publicKey: bufferArb({ minLength: 32, maxLength: 32 }),
    proofOfWorkStamp: bufferArb({ minLength: 24, maxLength: 24 }),
    messageNonce: bufferArb({ minLength: 24, maxLength: 24 }),
    chainName: fc
      .string({ unit: 'grapheme', maxLength: 40 })
      .filter((s) => Buffer.byteLength(s) <= MAX_CHAIN_NAME_LENGTH),
    distributedDbVersion: fc.nat(0xffff),
    p2pVersion: fc.nat(0xffff),
  },
  { noNullPrototype: true },
)

describe('connection message', () => {
  test('decodes the recorded messages and re-encodes them to the same bytes', () => {
    const raw = hex(vectors.connection_messages.a)
    const expected = vectors.connection_messages.a_decoded
    const msg = decodeConnectionMessage(raw)
    assert.deepStrictEqual(msg, {
      port: expected.port,
      publicKey: hex(expected.public_key),
      proofOfWorkStamp: hex(expected.proof_of_work_stamp),
      messageNonce: hex(expected.message_nonce),
      chainName: expected.chain_name,
      distributedDbVersion: expected.distributed_db_version,
      p2pVersion: expected.p2p_version,
    })
    assert.deepStrictEqual(encodeConnectionMessage(msg), raw)
    assert.equal(msg.publicKey.buffer, raw.buffer, 'byte fields are views of the raw message')

    const rawB = hex(vectors.connection_messages.b)
    const b = decodeConnectionMessage(rawB)
    assert.equal(b.chainName, expected.chain_name)
    assert.deepStrictEqual(encodeConnectionMessage(b), rawB)
  })

  test('round-trips, streams, and fails cleanly on truncated or random input', () => {
    checkRoundTrip(connectionMessageEncoding, connectionMessageArb, 60)
    checkStreamSplits(connectionMessageEncoding, connectionMessageArb, 30)
    checkStreamMatchesWhole(connectionMessageEncoding, connectionMessageArb, 30)
    checkTruncations(connectionMessageEncoding, hex(vectors.connection_messages.a))
    checkRandomBytes(connectionMessageEncoding, 200, 120)
  })

  test('bounds the message and its chain name', () => {
    const raw = hex(vectors.connection_messages.a)
    // The u16 length prefix may not exceed the largest message (218 bytes).
    assert.equal(connectionMessageEncoding.maxSize, 2 + 2 + 32 + 24 + 24 + 4 + MAX_CHAIN_NAME_LENGTH + 2 + 2)
    const tooLong = Buffer.from(raw)
    tooLong.writeUInt16BE(219, 0)
    expectDecodeError(() => decodeConnectionMessage(tooLong), 'length_over_bound', 0)

    // A chain name length over 128 is refused at its prefix (byte 84), before its bytes.
    const badName = Buffer.from(raw)
    badName.writeUInt32BE(300, 84)
    const err = expectDecodeError(() => decodeConnectionMessage(badName), 'length_over_bound', 84)
    assert.equal(err.message, 'at byte 84 (connection_message.chain_name): length 300 exceeds the bound 128')

    // A chain name running past the message.
    const overrun = Buffer.from(raw)
    overrun.writeUInt32BE(100, 84)
    expectDecodeError(() => decodeConnectionMessage(overrun), 'short_input', 88)

    // A message whose prefix announces more than its fields.
    const padded = Buffer.concat([raw, Buffer.from([0])])
    padded.writeUInt16BE(raw.length - 1, 0)
    expectDecodeError(() => decodeConnectionMessage(padded), 'trailing_bytes', raw.length)
    expectDecodeError(() => decodeConnectionMessage(Buffer.concat([raw, Buffer.from([0])])), 'trailing_bytes')

    const msg = decodeConnectionMessage(raw)
    assert.throws(
      () => encodeConnectionMessage({ ...msg, chainName: 'x'.repeat(129) }),
      (e: EncodeError) =>
        e instanceof EncodeError &&
        e.message === 'connection_message.chain_name: length 129 exceeds the bound 128',
    )
    assert.throws(
      () => encodeConnectionMessage({ ...msg, publicKey: Buffer.alloc(31) }),
      (e: EncodeError) => e.path === 'connection_message.public_key' && e.reason === 'invalid_value',
    )
    assert.throws(() => encodeConnectionMessage({ ...msg, port: 70000 }), EncodeError)
  })
})

describe('metadata', () => {
  test('two booleans', () => {
    assert.deepStrictEqual(
      encode(metadataEncoding, { disableMempool: true, privateNode: false }),
      Buffer.from('ff00', 'hex'),
    )
    assert.deepStrictEqual(decode(metadataEncoding, Buffer.from('00ff', 'hex')), {
      disableMempool: false,
      privateNode: true,
    })
    const arb = fc.record(
      { disableMempool: fc.boolean(), privateNode: fc.boolean() },
      { noNullPrototype: true },
    )
    checkRoundTrip(metadataEncoding, arb, 20)
    checkStreamSplits(metadataEncoding, arb, 20)
    checkTruncations(metadataEncoding, Buffer.from('ffff', 'hex'))
    const err = expectDecodeError(() => decode(metadataEncoding, Buffer.from('ff01', 'hex')), 'bad_bool', 1)
    assert.equal(err.path, 'metadata.private_node')
    checkRandomBytes(metadataEncoding, 100, 4)
  })
})

describe('peer id', () => {
  test('16 bytes, decoded as a copy', () => {
    assert.equal(peerIdEncoding.maxSize, PEER_ID_SIZE)
    const arb = bufferArb({ minLength: 16, maxLength: 16 })
    checkRoundTrip(peerIdEncoding, arb, 20)
    checkStreamSplits(peerIdEncoding, arb, 20)
    checkTruncations(peerIdEncoding, Buffer.alloc(16))
    const input = Buffer.alloc(16, 1)
    const id = decode(peerIdEncoding, input)
    input[0] = 2
    assert.equal(id[0], 1)
    assert.throws(() => encode(peerIdEncoding, Buffer.alloc(15)), EncodeError)
    checkRandomBytes(peerIdEncoding, 50, 20)
  })
})

function ackOfVector(decoded: Vectors['ack'][number]['decoded']): Ack {
  if (decoded === 'Ack') return { kind: 'ack' }
  if (decoded === 'Nack_v_0') return { kind: 'nack_v0' }
  if (typeof decoded === 'string') throw new Error(`unknown ack vector ${decoded}`)
  return {
    kind: 'nack',
    motive: decoded.Nack.motive as NackMotive,
    potentialPeersToConnect: decoded.Nack.potential_peers_to_connect,
  }
}

const ackArb: fc.Arbitrary<Ack> = fc.oneof(
  fc.constant({ kind: 'ack' as const }),
  fc.constant({ kind: 'nack_v0' as const }),
  fc.record(
    {
      kind: fc.constant('nack' as const),
      motive: fc.constantFrom(...NACK_MOTIVES),
      potentialPeersToConnect: fc.array(pointArb, { maxLength: 8 }),
    },
    { noNullPrototype: true },
  ),
)

describe('ack', () => {
  test('decodes and re-encodes every recorded Ack/Nack', () => {
    assert.equal(vectors.ack.length, 4)
    for (const { hex: bytes, decoded } of vectors.ack) {
      const expected = ackOfVector(decoded)
      assert.deepStrictEqual(decode(ackEncoding, hex(bytes)), expected)
      assert.deepStrictEqual(encode(ackEncoding, expected).toString('hex'), bytes)
    }
  })

  test('motives are numbered as in Octez', () => {
    assert.deepStrictEqual(NACK_MOTIVES, [
      'no_motive',
      'too_many_connections',
      'unknown_chain_name',
      'deprecated_p2p_version',
      'deprecated_distributed_db_version',
      'already_connected',
    ])
    NACK_MOTIVES.forEach((motive, i) => {
      const bytes = encode(ackEncoding, { kind: 'nack', motive, potentialPeersToConnect: [] })
      assert.deepStrictEqual(bytes, Buffer.from([1, 0, i, 0, 0, 0, 0]))
    })
  })

  test('round-trips, streams, and refuses malformed input', () => {
    checkRoundTrip(ackEncoding, ackArb)
    checkStreamSplits(ackEncoding, ackArb, 40)
    checkStreamMatchesWhole(ackEncoding, ackArb, 40)
    checkTruncations(ackEncoding, hex(defined(vectors.ack[2], 'the third Ack vector').hex))
    checkRandomBytes(ackEncoding)

    expectDecodeError(() => decode(ackEncoding, Buffer.from('02', 'hex')), 'unknown_tag', 0)
    const motive = expectDecodeError(
      () => decode(ackEncoding, Buffer.from('01000600000000', 'hex')),
      'invalid_value',
      1,
    )
    assert.equal(motive.path, 'ack.nack.motive')
    expectDecodeError(() => decode(ackEncoding, Buffer.from('01ffff00000000', 'hex')), 'invalid_value', 1)
    expectDecodeError(() => decode(ackEncoding, Buffer.from('0000', 'hex')), 'trailing_bytes', 1)
    // "1:2:3:4" is no address, but the wire carries it (the syntax is checked where points are
    // used); a non-printable byte ("1\t2:3:4") is refused at its offset.
    const notAddress = Buffer.from('0100000000000b00000007313a323a333a34', 'hex')
    const toNoAddress: Ack = { kind: 'nack', motive: 'no_motive', potentialPeersToConnect: ['1:2:3:4'] }
    assert.deepStrictEqual(decode(ackEncoding, notAddress), toNoAddress)
    assert.deepStrictEqual(encode(ackEncoding, toNoAddress), notAddress)
    const point = expectDecodeError(
      () => decode(ackEncoding, Buffer.from('0100000000000b000000073109323a333a34', 'hex')),
      'invalid_value',
      12,
    )
    assert.equal(point.path, 'ack.nack.potential_peers_to_connect[0]')

    const many = Array.from({ length: 101 }, (_, i) => `10.0.0.${i % 250}:1`)
    const nack: Ack = { kind: 'nack', motive: 'too_many_connections', potentialPeersToConnect: many }
    assert.throws(
      () => encode(ackEncoding, nack),
      (e: EncodeError) => e.reason === 'too_many_elements',
    )
    const hundred = encode(ackEncoding, { ...nack, potentialPeersToConnect: many.slice(0, 100) })
    const extra = encode(ackEncoding, { ...nack, potentialPeersToConnect: many.slice(100) }).subarray(7)
    const tooMany = Buffer.concat([hundred, extra])
    tooMany.writeUInt32BE(tooMany.length - 7, 3)
    const err = expectDecodeError(() => decode(ackEncoding, tooMany), 'too_many_elements', hundred.length)
    assert.ok(err instanceof DecodeError)
  })
})
