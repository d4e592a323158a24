// Tests of P2P message frames: the recorded Octez vectors, a typed registry of application
// messages, the raw registry, the hot-path entry points, bounds and malformed frames.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { InvalidArgumentError } from '../../../src/errors/index.js'
import {
  type ApplicationMessage,
  advertiseBodyEncoding,
  bytes,
  decode,
  defineMessages,
  EncodeError,
  encode,
  MAX_ADVERTISED_POINTS,
  obj,
  type P2pMessage,
  rawMessages,
  string,
  swapBodyEncoding,
  uint32,
} from '../../../src/wire/index.js'
import { firstOf } from '../../support/defined.js'
import { hex, readVectorJson } from '../../support/vectors.js'
import { LONGEST_POINT, pointArb } from '../../support/wire-arbitraries.js'
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
  p2p_messages: { hex: string; note: string; valid?: boolean; decoded?: { Advertise: string[] } }[]
}

const vectors = readVectorJson<Vectors>('octez-wire.json').p2p_messages

const gossipEncoding = obj('gossip', { topic: string({ max: 32 }), seq: uint32 })
const definitions = {
  gossip: { tag: 0x10, encoding: gossipEncoding, maxSize: 40 },
  blob: { tag: 0x1234, encoding: bytes({ max: 300 }), maxSize: 200 },
}
const registry = defineMessages(definitions)
type App = ApplicationMessage<typeof definitions>
type Message = P2pMessage<App>

/** Compile-time check that the registry's messages are typed by name. */
function summary(msg: Message): string {
  if (msg.kind !== 'application') return msg.kind
  if (msg.message.name === 'gossip') return `${msg.message.value.topic}#${msg.message.value.seq}`
  return `blob of ${msg.message.value.length} bytes`
}

// @ts-expect-error: a gossip value must be a gossip object
const wrong: Message = { kind: 'application', message: { name: 'gossip', value: Buffer.alloc(1) } }
void wrong

const peerIdArb = bufferArb({ minLength: 16, maxLength: 16 })
const appArb: fc.Arbitrary<App> = fc.oneof(
  fc.record(
    {
      name: fc.constant('gossip' as const),
      value: fc.record({ topic: fc.string({ maxLength: 32 }), seq: fc.nat() }, { noNullPrototype: true }),
    },
    { noNullPrototype: true },
  ),
  fc.record(
    { name: fc.constant('blob' as const), value: bufferArb({ maxLength: 196 }) },
    { noNullPrototype: true },
  ),
)
const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.constant({ kind: 'disconnect' as const }),
  fc.constant({ kind: 'bootstrap' as const }),
  fc.record(
    { kind: fc.constant('advertise' as const), points: fc.array(pointArb, { maxLength: 6 }) },
    { noNullPrototype: true },
  ),
  fc.record(
    {
      kind: fc.constantFrom('swap_request' as const, 'swap_ack' as const),
      point: pointArb,
      peerId: peerIdArb,
    },
    { noNullPrototype: true },
  ),
  fc.record({ kind: fc.constant('application' as const), message: appArb }, { noNullPrototype: true }),
)

describe('P2P message vectors', () => {
  test('Advertise body (without size and tag)', () => {
    const [v] = firstOf(vectors, 1, 'the P2P message vectors')
    assert.ok(v.decoded)
    assert.deepStrictEqual(decode(advertiseBodyEncoding, hex(v.hex)), v.decoded.Advertise)
    assert.equal(encode(advertiseBodyEncoding, v.decoded.Advertise).toString('hex'), v.hex)
    // The same body framed: size, tag 0x0003, body.
    const framed = encode(registry.encoding, { kind: 'advertise', points: v.decoded.Advertise })
    assert.equal(
      framed.toString('hex'),
      `${(2 + v.hex.length / 2).toString(16).padStart(8, '0')}0003${v.hex}`,
    )
  })

  test('Swap bodies: 47 characters pass the length bound, 48 do not', () => {
    const [, max, over] = firstOf(vectors, 3, 'the P2P message vectors')
    assert.equal(max.valid, true)
    assert.equal(over.valid, false)
    // The recorded 47-character point is 47 'x': valid on the wire (the pool checks the syntax
    // with parsePoint when it uses a point), and it encodes back to the same bytes.
    const peerId = hex(max.hex).subarray(4 + 47)
    const recorded = decode(swapBodyEncoding, hex(max.hex))
    assert.deepStrictEqual(recorded, { point: 'x'.repeat(47), peerId })
    assert.deepStrictEqual(encode(swapBodyEncoding, recorded), hex(max.hex))
    // Framed as a Swap_request (size, tag 0x0004, body): the same, both ways.
    const framed = Buffer.concat([hex(`000000${(2 + 4 + 47 + 16).toString(16)}0004`), hex(max.hex)])
    const request = decode(registry.encoding, framed)
    assert.deepStrictEqual(request, { kind: 'swap_request', point: 'x'.repeat(47), peerId })
    assert.deepStrictEqual(encode(registry.encoding, request), framed)
    // A real point of the maximal 47 characters decodes too.
    const valid = Buffer.concat([hex('0000002f'), Buffer.from(LONGEST_POINT), peerId])
    assert.deepStrictEqual(decode(swapBodyEncoding, valid), { point: LONGEST_POINT, peerId })
    assert.deepStrictEqual(encode(swapBodyEncoding, { point: LONGEST_POINT, peerId }), valid)
    const tooLong = expectDecodeError(() => decode(swapBodyEncoding, hex(over.hex)), 'length_over_bound', 0)
    assert.equal(tooLong.message, 'at byte 0 (swap.point): length 48 exceeds the bound 47')
    assert.throws(
      () => encode(swapBodyEncoding, { point: 'x'.repeat(48), peerId }),
      (e: EncodeError) => e.reason === 'length_over_bound' && e.path === 'swap.point',
    )
  })

  test('the body encodings round-trip and fail cleanly on random input', () => {
    const points = fc.array(pointArb, { maxLength: 8 })
    checkRoundTrip(advertiseBodyEncoding, points, 50)
    checkRandomBytes(advertiseBodyEncoding, 200)
    const swap = fc.record({ point: pointArb, peerId: peerIdArb }, { noNullPrototype: true })
    checkRoundTrip(swapBodyEncoding, swap, 50)
    checkStreamSplits(swapBodyEncoding, swap, 20)
    checkTruncations(
      swapBodyEncoding,
      encode(swapBodyEncoding, { point: LONGEST_POINT, peerId: Buffer.alloc(16) }),
    )
    checkRandomBytes(swapBodyEncoding, 200)
  })

  test('framed messages of size 0 and holding two messages are refused', () => {
    const [, , , empty, two] = firstOf(vectors, 5, 'the P2P message vectors')
    assert.equal(empty.valid, false)
    assert.equal(two.valid, false)
    expectDecodeError(() => decode(registry.encoding, hex(empty.hex)), 'empty_frame', 0)
    expectDecodeError(() => registry.decodeBody(hex(empty.hex), 4, 4), 'empty_frame', 4)
    const err = expectDecodeError(() => decode(registry.encoding, hex(two.hex)), 'trailing_bytes', 6)
    assert.equal(err.path, 'p2p_message')
    expectDecodeError(() => registry.decodeBody(hex(two.hex), 4, 8), 'trailing_bytes', 6)
    expectDecodeError(() => decode(rawMessages().encoding, hex(two.hex)), 'trailing_bytes', 6)
  })
})

describe('typed registry', () => {
  test('built-in messages have the Octez tags', () => {
    const peerId = Buffer.alloc(16, 0xab)
    assert.equal(encode(registry.encoding, { kind: 'disconnect' }).toString('hex'), '000000020001')
    assert.equal(encode(registry.encoding, { kind: 'bootstrap' }).toString('hex'), '000000020002')
    assert.equal(
      encode(registry.encoding, { kind: 'swap_request', point: '1.2.3.4:5', peerId }).toString('hex'),
      `0000001f0004000000093${Buffer.from('1.2.3.4:5').toString('hex').slice(1)}${peerId.toString('hex')}`,
    )
    assert.equal(
      encode(registry.encoding, { kind: 'swap_ack', point: '1.2.3.4:5', peerId })
        .subarray(4, 6)
        .toString('hex'),
      '0005',
    )
    const gossip = encode(registry.encoding, {
      kind: 'application',
      message: { name: 'gossip', value: { topic: 'a', seq: 2 } },
    })
    assert.equal(gossip.toString('hex'), '0000000b00100000000161' + '00000002')
    assert.equal(summary(decode(registry.encoding, gossip)), 'a#2')
  })

  test('round-trips, streams, and fails cleanly on truncated or random frames', () => {
    checkRoundTrip(registry.encoding, messageArb)
    checkStreamSplits(registry.encoding, messageArb, 40)
    checkStreamMatchesWhole(registry.encoding, messageArb, 60)
    checkTruncations(
      registry.encoding,
      encode(registry.encoding, { kind: 'advertise', points: ['1.2.3.4:5', '[::1]:6'] }),
    )
    checkTruncations(
      registry.encoding,
      encode(registry.encoding, { kind: 'application', message: { name: 'blob', value: Buffer.alloc(9) } }),
    )
    checkRandomBytes(registry.encoding, 300)
    // Random frames with a plausible size and tag reach the body decoders.
    const frames = fc
      .tuple(fc.constantFrom(1, 2, 3, 4, 5, 6, 0x10, 0x11, 0x1234), bufferArb({ maxLength: 80 }))
      .map(([tag, body]) => {
        const frame = Buffer.alloc(6 + body.length)
        frame.writeUInt32BE(2 + body.length, 0)
        frame.writeUInt16BE(tag, 4)
        body.copy(frame, 6)
        return frame
      })
    fc.assert(
      fc.property(frames, (frame) => {
        try {
          decode(registry.encoding, frame)
        } catch (err) {
          assert.equal((err as Error).name, 'DecodeError')
        }
      }),
      { numRuns: 300 },
    )
  })

  test('sizeOf, writeFrame and decodeBody agree with the plain encoding', () => {
    fc.assert(
      fc.property(messageArb, fc.nat(20), (msg, offset) => {
        const expected = encode(registry.encoding, msg)
        const size = registry.sizeOf(msg)
        assert.equal(size, expected.length)
        const buf = Buffer.alloc(offset + size + 3)
        assert.equal(registry.writeFrame(msg, buf, offset), offset + size)
        assert.deepStrictEqual(buf.subarray(offset, offset + size), expected)
        assert.equal(buf.readUInt32BE(offset), size - 4)
        assert.deepStrictEqual(registry.decodeBody(buf, offset + 4, offset + size), msg)
      }),
    )
  })

  test('bounds: frame size, per-message sizes, advertised points', () => {
    // Largest content: an Advertise of 100 points of 47 characters, plus the tag.
    assert.equal(registry.maxFrameSize, 2 + MAX_ADVERTISED_POINTS * (4 + 47))
    assert.equal(registry.encoding.maxSize, 4 + registry.maxFrameSize)
    const huge = Buffer.alloc(6)
    huge.writeUInt32BE(registry.maxFrameSize + 1, 0)
    const err = expectDecodeError(() => decode(registry.encoding, huge), 'length_over_bound', 0)
    assert.equal(
      err.message,
      `at byte 0 (p2p_message): frame size ${registry.maxFrameSize + 1} exceeds the bound ${registry.maxFrameSize}`,
    )
    expectDecodeError(
      () => registry.decodeBody(Buffer.alloc(registry.maxFrameSize + 1), 0, registry.maxFrameSize + 1),
      'length_over_bound',
      0,
    )

    // A blob body over its maxSize (200) is refused before being decoded.
    const blob = Buffer.alloc(6 + 205)
    blob.writeUInt32BE(2 + 205, 0)
    blob.writeUInt16BE(0x1234, 4)
    blob.writeUInt32BE(201, 6)
    const over = expectDecodeError(() => decode(registry.encoding, blob), 'length_over_bound', 6)
    assert.equal(over.detail, 'blob: body of 205 bytes exceeds its bound 200')
    assert.throws(
      () =>
        encode(registry.encoding, {
          kind: 'application',
          message: { name: 'blob', value: Buffer.alloc(197) },
        }),
      (e: EncodeError) => e.reason === 'length_over_bound' && e.path === 'p2p_message',
    )

    const points = Array.from({ length: 101 }, () => '1.1.1.1:1')
    assert.throws(
      () => registry.sizeOf({ kind: 'advertise', points }),
      (e: EncodeError) => e.reason === 'too_many_elements' && e.path === 'p2p_message.advertise.points',
    )
    const body = Buffer.concat(points.map((p) => encode(string({ max: 47 }), p)))
    const frame = Buffer.concat([hex(`${(2 + body.length).toString(16).padStart(8, '0')}0003`), body])
    expectDecodeError(() => decode(registry.encoding, frame), 'too_many_elements', 6 + 100 * 13)
    assert.deepStrictEqual(decode(advertiseBodyEncoding, body.subarray(0, 100 * 13)), points.slice(0, 100))
  })

  test('malformed frames: unknown tags, bodies on empty messages, bad points and ids', () => {
    for (const tag of [0x0000, 0x0006, 0x000f, 0x0011, 0xffff]) {
      const frame = hex(`00000002${tag.toString(16).padStart(4, '0')}`)
      expectDecodeError(() => decode(registry.encoding, frame), 'unknown_tag', 4)
    }
    expectDecodeError(() => decode(registry.encoding, hex('00000003000100')), 'trailing_bytes', 6)
    expectDecodeError(() => decode(registry.encoding, hex('000000010001')), 'short_input', 4)
    // A point holding a control byte: refused at that byte (size 4, tag 2, length 4, then "1.2.3.4").
    const point = Buffer.from('1.2.3.4\u0001', 'latin1')
    const badPoint = Buffer.concat([
      hex(`000000${(2 + 4 + point.length + 16).toString(16)}0004`),
      hex(`000000${point.length.toString(16).padStart(2, '0')}`),
      point,
      Buffer.alloc(16),
    ])
    const err = expectDecodeError(() => decode(registry.encoding, badPoint), 'invalid_value', 17)
    assert.equal(err.path, 'p2p_message.swap_request.point')
    const swap = encode(registry.encoding, { kind: 'swap_ack', point: '1.2.3.4:5', peerId: Buffer.alloc(16) })
    const shortId = swap.subarray(0, swap.length - 1)
    shortId.writeUInt32BE(shortId.length - 4, 0)
    expectDecodeError(() => decode(registry.encoding, shortId), 'short_input', 19)
    const advertise = encode(registry.encoding, { kind: 'advertise', points: ['1.2.3.4:5', '6.7.8.9:10'] })
    advertise[advertise.length - 1] = 0x78 // '10' -> '1x': no port, but the wire carries it
    assert.deepStrictEqual(decode(registry.encoding, advertise), {
      kind: 'advertise',
      points: ['1.2.3.4:5', '6.7.8.9:1x'],
    })
    // Not ASCII, or NUL: carried as it is (the pool drops that point and scores the sender),
    // and it re-encodes to the same bytes.
    advertise[advertise.length - 1] = 0xe9 // '10' -> '1\xe9'
    advertise[advertise.length - 2] = 0x00
    const junk = decode(registry.encoding, advertise)
    assert.deepStrictEqual(junk, { kind: 'advertise', points: ['1.2.3.4:5', '6.7.8.9:\u0000\u00e9'] })
    assert.deepStrictEqual(encode(registry.encoding, junk), advertise)
    const gossip = encode(registry.encoding, {
      kind: 'application',
      message: { name: 'gossip', value: { topic: 'é', seq: 1 } },
    })
    gossip[10] = 0xff // malformed UTF-8 in the topic
    const inApp = expectDecodeError(() => decode(registry.encoding, gossip), 'invalid_value', 10)
    assert.equal(inApp.path, 'p2p_message.gossip.topic')
  })

  test('encoding refuses what it cannot represent', () => {
    const peerId = Buffer.alloc(16)
    const cases: [Message, string][] = [
      [{ kind: 'advertise', points: ['1.2.3.4:5', 'x'.repeat(48)] }, 'p2p_message.advertise.points[1]'],
      [{ kind: 'swap_ack', point: '1.2.3.4:\u00e9', peerId }, 'p2p_message.swap_ack.point'],
      [{ kind: 'swap_request', point: '1.2.3.4\n:5', peerId }, 'p2p_message.swap_request.point'],
      [
        { kind: 'swap_request', point: '1.2.3.4:5', peerId: Buffer.alloc(3) },
        'p2p_message.swap_request.peer_id',
      ],
      [
        { kind: 'application', message: { name: 'gossip', value: { topic: 'x'.repeat(33), seq: 0 } } },
        'p2p_message.gossip.topic',
      ],
      [{ kind: 'application', message: { name: 'nope' } as unknown as App }, 'p2p_message'],
      [{ kind: 'unknown' } as unknown as Message, 'p2p_message'],
    ]
    for (const [msg, path] of cases) {
      assert.throws(
        () => encode(registry.encoding, msg),
        (e: EncodeError) => e instanceof EncodeError && e.path === path,
      )
      assert.throws(
        () => registry.writeFrame(msg, Buffer.alloc(300), 0),
        (e: EncodeError) => e.path === path,
      )
    }
    // Points that are not addresses are not the wire's business: they encode and read back.
    const notAddresses: Message = { kind: 'advertise', points: ['nope', '1.2.3.4', 'x'.repeat(47)] }
    assert.deepStrictEqual(decode(registry.encoding, encode(registry.encoding, notAddresses)), notAddresses)
  })

  test('definitions are checked', () => {
    assert.throws(
      () => defineMessages({ low: { tag: 0x0f, encoding: uint32, maxSize: 4 } }),
      InvalidArgumentError,
    )
    assert.throws(
      () => defineMessages({ big: { tag: 0x10000, encoding: uint32, maxSize: 4 } }),
      InvalidArgumentError,
    )
    assert.throws(
      () =>
        defineMessages({
          a: { tag: 0x20, encoding: uint32, maxSize: 4 },
          b: { tag: 0x20, encoding: uint32, maxSize: 4 },
        }),
      InvalidArgumentError,
    )
    const none = defineMessages({})
    assert.equal(none.maxFrameSize, registry.maxFrameSize)
    expectDecodeError(() => decode(none.encoding, hex('000000020010')), 'unknown_tag', 4)
  })
})

describe('raw registry', () => {
  const raw = rawMessages({ maxBodySize: 1000 })

  test('keeps any application tag as bytes and writes them back unchanged', () => {
    const frame = hex('000000050abc010203')
    const msg = decode(raw.encoding, frame)
    assert.deepStrictEqual(msg, { kind: 'application', message: { tag: 0x0abc, body: hex('010203') } })
    assert.equal(msg.kind === 'application' && msg.message.body.buffer, frame.buffer, 'the body is a view')
    assert.deepStrictEqual(encode(raw.encoding, msg), frame)
    assert.deepStrictEqual(decode(raw.encoding, hex('000000020002')), { kind: 'bootstrap' })
    expectDecodeError(() => decode(raw.encoding, hex('00000002000f')), 'unknown_tag', 4)
    // The largest frame is still an Advertise (100 points of 47 characters).
    assert.equal(raw.maxFrameSize, 2 + 100 * 51)
    assert.equal(rawMessages().maxFrameSize, 2 + 100 * 1024 * 1024)
  })

  test('reads back every frame of the typed registry byte for byte', () => {
    fc.assert(
      fc.property(messageArb, (msg) => {
        const frame = encode(registry.encoding, msg)
        assert.deepStrictEqual(encode(raw.encoding, decode(raw.encoding, frame)), frame)
      }),
    )
    const arb: fc.Arbitrary<P2pMessage<{ tag: number; body: Buffer }>> = fc.record(
      {
        kind: fc.constant('application' as const),
        message: fc.record(
          { tag: fc.integer({ min: 0x10, max: 0xffff }), body: bufferArb({ maxLength: 50 }) },
          { noNullPrototype: true },
        ),
      },
      { noNullPrototype: true },
    )
    checkRoundTrip(raw.encoding, arb, 50)
    checkStreamSplits(raw.encoding, arb, 20)
    checkRandomBytes(raw.encoding, 200)
  })

  test('refuses invalid raw messages', () => {
    const bad: { tag: number; body: Buffer }[] = [
      { tag: 0x05, body: Buffer.alloc(0) },
      { tag: 0x10000, body: Buffer.alloc(0) },
      { tag: 0x10, body: Buffer.alloc(1001) },
      { tag: 0x10, body: 'text' as unknown as Buffer },
    ]
    for (const message of bad)
      assert.throws(() => encode(raw.encoding, { kind: 'application', message }), EncodeError)
    const big = Buffer.alloc(6 + 1001)
    big.writeUInt32BE(1003, 0)
    big.writeUInt16BE(0x10, 4)
    expectDecodeError(() => decode(raw.encoding, big), 'length_over_bound', 6)
  })
})
