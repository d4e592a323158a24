// Tests of the generic combinators: round trips and streaming for each, bounds on encode and
// decode, malformed input (bad booleans, lengths, tags, UTF-8, trailing bytes) and error paths.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { InvalidArgumentError } from '../../../src/errors/index.js'
import {
  bool,
  bytes,
  constant,
  DecodeError,
  decode,
  dynamicSize,
  EncodeError,
  type Encoding,
  encode,
  encodeInto,
  enumeration,
  fixedBytes,
  int8,
  int16,
  int32,
  int64,
  list,
  listToEnd,
  obj,
  string,
  uint8,
  uint16,
  uint32,
  union,
} from '../../../src/wire/index.js'
import {
  bufferArb,
  checkRandomBytes,
  checkRoundTrip,
  checkStreamMatchesWhole,
  checkStreamSplits,
  checkTruncations,
  expectDecodeError,
} from './properties.js'

function expectEncodeError(fn: () => unknown, reason: EncodeError['reason'], path?: string): EncodeError {
  let thrown: unknown
  try {
    fn()
  } catch (err) {
    thrown = err
  }
  assert.ok(thrown instanceof EncodeError, `expected an EncodeError, got ${String(thrown)}`)
  assert.equal(thrown.reason, reason, thrown.message)
  assert.equal(thrown.code, 'DUNE_ENCODE')
  if (path !== undefined) assert.equal(thrown.path, path)
  return thrown
}

const integers: [string, Encoding<number>, number, number][] = [
  ['uint8', uint8, 0, 0xff],
  ['int8', int8, -0x80, 0x7f],
  ['uint16', uint16, 0, 0xffff],
  ['int16', int16, -0x8000, 0x7fff],
  ['uint32', uint32, 0, 0xffffffff],
  ['int32', int32, -0x80000000, 0x7fffffff],
]

describe('integers', () => {
  for (const [name, enc, min, max] of integers) {
    test(`${name} round-trips, streams and refuses out-of-range values`, () => {
      const arb = fc.integer({ min, max })
      checkRoundTrip(enc, arb)
      checkStreamSplits(enc, arb, 20)
      assert.equal(decode(enc, encode(enc, min)), min)
      assert.equal(decode(enc, encode(enc, max)), max)
      expectEncodeError(() => encode(enc, max + 1), 'out_of_range')
      expectEncodeError(() => encode(enc, min - 1), 'out_of_range')
      expectEncodeError(() => encode(enc, 1.5), 'out_of_range')
      checkTruncations(enc, encode(enc, max))
      expectDecodeError(() => decode(enc, Buffer.alloc(enc.maxSize + 1)), 'trailing_bytes', enc.maxSize)
      checkRandomBytes(enc, 50, 6)
    })
  }

  test('are big-endian', () => {
    assert.deepStrictEqual(encode(uint16, 0x1234), Buffer.from([0x12, 0x34]))
    assert.deepStrictEqual(encode(int32, -2), Buffer.from([0xff, 0xff, 0xff, 0xfe]))
    assert.equal(decode(int16, Buffer.from([0x80, 0x00])), -0x8000)
    assert.equal(decode(uint32, Buffer.from([0xff, 0xff, 0xff, 0xff])), 0xffffffff)
  })

  test('int64 round-trips bigints and refuses the rest', () => {
    const arb = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
    checkRoundTrip(int64, arb)
    checkStreamSplits(int64, arb, 20)
    assert.deepStrictEqual(encode(int64, -1n), Buffer.alloc(8, 0xff))
    expectEncodeError(() => encode(int64, 2n ** 63n), 'out_of_range')
    expectEncodeError(() => encode(int64, 5 as unknown as bigint), 'out_of_range')
    checkRandomBytes(int64, 50, 10)
  })
})

describe('bool', () => {
  test('is 0x00 or 0xff and nothing else', () => {
    assert.deepStrictEqual(encode(bool, true), Buffer.from([0xff]))
    assert.deepStrictEqual(encode(bool, false), Buffer.from([0x00]))
    checkRoundTrip(bool, fc.boolean(), 10)
    checkStreamSplits(bool, fc.boolean(), 10)
    for (let b = 1; b < 0xff; b++) {
      const err = expectDecodeError(() => decode(bool, Buffer.from([b])), 'bad_bool', 0)
      assert.match(err.message, /^at byte 0 \(bool\): boolean byte 0x/)
    }
    expectEncodeError(() => encode(bool, 1 as unknown as boolean), 'invalid_value')
    checkRandomBytes(bool, 50, 3)
  })
})

describe('byte strings', () => {
  test('fixedBytes: exact size, aliasing by default, copies on request', () => {
    const enc = fixedBytes(5)
    checkRoundTrip(enc, bufferArb({ minLength: 5, maxLength: 5 }))
    checkStreamSplits(enc, bufferArb({ minLength: 5, maxLength: 5 }), 20)
    expectEncodeError(() => encode(enc, Buffer.alloc(4)), 'invalid_value')
    expectEncodeError(() => encode(enc, 'hello' as unknown as Buffer), 'invalid_value')
    checkTruncations(enc, Buffer.alloc(5))
    checkRandomBytes(enc, 50, 8)
    const input = Buffer.from('0102030405', 'hex')
    const view = decode(enc, input)
    input[0] = 9
    assert.equal(view[0], 9, 'a decoded view aliases the input')
    const copy = decode(fixedBytes(5, { copy: true }), input)
    input[0] = 1
    assert.equal(copy[0], 9, 'a copy does not')
  })

  test('bytes: u32 length then the bytes, bounded', () => {
    const enc = bytes({ max: 20 })
    checkRoundTrip(enc, bufferArb({ maxLength: 20 }))
    checkStreamSplits(enc, bufferArb({ maxLength: 20 }), 30)
    checkStreamMatchesWhole(enc, bufferArb({ maxLength: 20 }), 30)
    assert.deepStrictEqual(encode(enc, Buffer.from([7])), Buffer.from('0000000107', 'hex'))
    checkTruncations(enc, encode(enc, Buffer.from('abc')))
    const err = expectDecodeError(() => decode(enc, Buffer.from('00000015', 'hex')), 'length_over_bound', 0)
    assert.equal(err.detail, 'length 21 exceeds the bound 20')
    expectDecodeError(() => decode(enc, Buffer.from('ffffffff', 'hex')), 'length_over_bound', 0)
    expectEncodeError(() => encode(enc, Buffer.alloc(21)), 'length_over_bound')
    checkRandomBytes(enc)
  })

  test('string: strict UTF-8, bounded in bytes', () => {
    const enc = string({ max: 24 })
    const arb = fc.string({ unit: 'grapheme', maxLength: 6 }).filter((s) => Buffer.byteLength(s) <= 24)
    checkRoundTrip(enc, arb)
    checkStreamSplits(enc, arb, 30)
    assert.deepStrictEqual(encode(enc, 'é'), Buffer.from('00000002c3a9', 'hex'))
    expectEncodeError(() => encode(enc, 'x'.repeat(25)), 'length_over_bound')
    expectEncodeError(() => encode(enc, 'ab\ud800'), 'invalid_value')
    expectDecodeError(() => decode(enc, Buffer.from('00000002c328', 'hex')), 'invalid_value', 4)
    expectDecodeError(() => decode(enc, Buffer.from('00000019', 'hex')), 'length_over_bound', 0)
    checkTruncations(enc, encode(enc, 'héllo'))
    checkRandomBytes(enc)
  })
})

describe('dynamicSize', () => {
  const inner = obj('pair', { a: uint8, s: string({ max: 10 }) })

  test('u16 and u32 prefixes round-trip and stream', () => {
    const arb = fc.record({ a: fc.nat(255), s: fc.string({ maxLength: 10 }) }, { noNullPrototype: true })
    for (const lengthBytes of [2, 4] as const) {
      const enc = dynamicSize(inner, { lengthBytes })
      assert.equal(enc.maxSize, lengthBytes + inner.maxSize)
      checkRoundTrip(enc, arb, 50)
      checkStreamSplits(enc, arb, 30)
      checkStreamMatchesWhole(enc, arb, 30)
      checkTruncations(enc, encode(enc, { a: 1, s: 'abc' }))
      checkRandomBytes(enc, 100)
    }
    assert.deepStrictEqual(encode(dynamicSize(uint8, { lengthBytes: 2 }), 7), Buffer.from('000107', 'hex'))
  })

  test('checks the length against the bound before waiting for the block', () => {
    const enc = dynamicSize(bytes({ max: 1000 }), { max: 8 })
    assert.equal(enc.maxSize, 12)
    expectDecodeError(() => decode(enc, Buffer.from('00000009', 'hex')), 'length_over_bound', 0)
    expectEncodeError(() => encode(enc, Buffer.alloc(5)), 'length_over_bound')
  })

  test('a block must hold exactly one value', () => {
    const enc = dynamicSize(string({ max: 5 }))
    expectDecodeError(() => decode(enc, Buffer.from('00000006000000016100', 'hex')), 'trailing_bytes', 9)
    // A block longer than uint16 is refused by the bound (its maxSize) before anything else.
    expectDecodeError(
      () => decode(dynamicSize(uint16), Buffer.from('00000003', 'hex')),
      'length_over_bound',
      0,
    )
    const loose = dynamicSize(listToEnd(uint16, { maxLength: 4 }))
    expectDecodeError(() => decode(loose, Buffer.from('00000003000100', 'hex')), 'short_input', 6)
    expectDecodeError(() => decode(loose, Buffer.from('000000060001', 'hex')), 'short_input', 4)
  })
})

describe('lists', () => {
  test('list: u32 byte length then at most maxLength elements', () => {
    const enc = list(string({ max: 8 }), { maxLength: 3 })
    const arb = fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 })
    checkRoundTrip(enc, arb)
    checkStreamSplits(enc, arb, 30)
    checkStreamMatchesWhole(enc, arb, 30)
    checkTruncations(enc, encode(enc, ['a', 'bc']))
    assert.deepStrictEqual(encode(enc, ['a']), Buffer.from('000000050000000161', 'hex'))
    expectEncodeError(() => encode(enc, ['a', 'b', 'c', 'd']), 'too_many_elements')
    const err = expectEncodeError(
      () => encode(enc, ['a', 'x'.repeat(9)]),
      'length_over_bound',
      'string_list[1]',
    )
    assert.equal(err.message, 'string_list[1]: length 9 exceeds the bound 8')
    checkRandomBytes(enc)
  })

  test('list: too many elements, and errors name the element', () => {
    const enc = list(string({ max: 3 }), { maxLength: 2 })
    assert.equal(enc.maxSize, 4 + 2 * 7)
    const three = Buffer.from('0000000c000000000000000000000000', 'hex')
    const many = expectDecodeError(() => decode(enc, three), 'too_many_elements', 12)
    assert.equal(many.path, 'string_list')
    expectDecodeError(
      () => decode(list(uint8, { maxLength: 2 }), Buffer.from('00000003010203', 'hex')),
      'length_over_bound',
      0,
    )
    const strings = list(string({ max: 2 }), { maxLength: 5 })
    const bad = expectDecodeError(
      () => decode(strings, Buffer.from('0000000c00000001610000000362626262', 'hex')),
      'length_over_bound',
      9,
    )
    assert.equal(bad.path, 'string_list[1]')
  })

  test('listToEnd: elements to the end of the input or block', () => {
    const enc = listToEnd(uint16, { maxLength: 4 })
    assert.equal(enc.kind, 'variable')
    checkRoundTrip(enc, fc.array(fc.nat(0xffff), { maxLength: 4 }))
    assert.deepStrictEqual(decode(enc, Buffer.alloc(0)), [])
    expectDecodeError(() => decode(enc, Buffer.alloc(10)), 'too_many_elements', 8)
    expectDecodeError(() => decode(enc, Buffer.alloc(3)), 'short_input', 2)
    checkRandomBytes(enc)
    assert.throws(() => listToEnd(enc, { maxLength: 1 }), InvalidArgumentError)
    assert.throws(() => listToEnd(constant(1), { maxLength: 1 }), InvalidArgumentError)
  })
})

describe('obj, union, enumeration', () => {
  const shape = obj('shape', {
    chainName: string({ max: 4 }),
    flags: obj('flags', { privateNode: bool }),
    tail: listToEnd(uint8, { maxLength: 3 }),
  })

  test('obj keeps field order and names error paths in snake_case', () => {
    const v = { chainName: 'ab', flags: { privateNode: true }, tail: [1, 2] }
    assert.deepStrictEqual(encode(shape, v), Buffer.from('000000026162ff0102', 'hex'))
    assert.deepStrictEqual(Object.keys(decode(shape, encode(shape, v))), ['chainName', 'flags', 'tail'])
    const err = expectDecodeError(() => decode(shape, Buffer.from('000000026162aa', 'hex')), 'bad_bool', 6)
    assert.equal(err.path, 'shape.flags.private_node')
    assert.equal(
      err.message,
      'at byte 6 (shape.flags.private_node): boolean byte 0xaa (expected 0x00 or 0xff)',
    )
    const long = expectEncodeError(() => encode(shape, { ...v, chainName: 'abcde' }), 'length_over_bound')
    assert.equal(long.message, 'shape.chain_name: length 5 exceeds the bound 4')
    expectEncodeError(() => encode(shape, { ...v, tail: [1, 2, 3, 4] }), 'too_many_elements', 'shape.tail')
    expectEncodeError(
      () => encode(shape, { ...v, flags: { privateNode: 2 as unknown as boolean } }),
      'invalid_value',
    )
    assert.throws(() => obj('bad', { a: listToEnd(uint8, { maxLength: 1 }), b: uint8 }), InvalidArgumentError)
    checkRandomBytes(shape)
  })

  type Shape =
    | { kind: 'empty' }
    | { kind: 'circle'; radius: number }
    | { kind: 'label'; text: string; weight: bigint }

  const shapes = union<Shape>(
    'shape',
    { tagSize: 2 },
    {
      empty: { tag: 0x0000, body: constant({ kind: 'empty' }) },
      circle: { tag: 0x0102, body: obj('circle', { kind: constant('circle'), radius: uint32 }) },
      label: {
        tag: 0xffff,
        body: obj('label', { kind: constant('label'), text: string({ max: 10 }), weight: int64 }),
      },
    },
  )
  const shapeArb: fc.Arbitrary<Shape> = fc.oneof(
    fc.constant({ kind: 'empty' as const }),
    fc.record({ kind: fc.constant('circle' as const), radius: fc.nat() }, { noNullPrototype: true }),
    fc.record(
      { kind: fc.constant('label' as const), text: fc.string({ maxLength: 10 }), weight: fc.bigInt(-5n, 5n) },
      { noNullPrototype: true },
    ),
  )

  test('union: tag then the case body, discriminated by kind', () => {
    assert.equal(shapes.kind, 'dynamic')
    assert.deepStrictEqual(encode(shapes, { kind: 'circle', radius: 5 }), Buffer.from('010200000005', 'hex'))
    checkRoundTrip(shapes, shapeArb)
    checkStreamSplits(shapes, shapeArb, 40)
    checkStreamMatchesWhole(shapes, shapeArb, 40)
    checkTruncations(shapes, encode(shapes, { kind: 'label', text: 'hi', weight: 3n }))
    const unknown = expectDecodeError(() => decode(shapes, Buffer.from('0103', 'hex')), 'unknown_tag', 0)
    assert.equal(unknown.message, 'at byte 0 (shape): unknown tag 0x0103')
    const inCase = expectDecodeError(
      () => decode(shapes, Buffer.from('ffff0000000b', 'hex')),
      'length_over_bound',
      2,
    )
    assert.equal(inCase.path, 'shape.label.text')
    expectEncodeError(() => encode(shapes, { kind: 'square' } as unknown as Shape), 'invalid_value')
    expectEncodeError(() => encode(shapes, null as unknown as Shape), 'invalid_value')
    checkRandomBytes(shapes)
    assert.throws(
      () =>
        union<Shape>('bad', { tagSize: 1 }, {
          empty: { tag: 256, body: constant({ kind: 'empty' }) },
        } as never),
      InvalidArgumentError,
    )
  })

  test('enumeration: names by index, unknown numbers refused', () => {
    const colours = enumeration('colour', int16, ['red', 'green'] as const)
    assert.deepStrictEqual(encode(colours, 'green'), Buffer.from('0001', 'hex'))
    checkRoundTrip(colours, fc.constantFrom('red' as const, 'green' as const), 10)
    checkStreamSplits(colours, fc.constantFrom('red' as const, 'green' as const), 10)
    expectDecodeError(() => decode(colours, Buffer.from('0002', 'hex')), 'invalid_value', 0)
    expectDecodeError(() => decode(colours, Buffer.from('ffff', 'hex')), 'invalid_value', 0)
    expectEncodeError(() => encode(colours, 'blue' as 'red'), 'invalid_value')
    checkRandomBytes(colours, 50, 4)
  })
})

describe('entry points', () => {
  test('decode rejects trailing bytes; encodeInto checks the room', () => {
    const err = expectDecodeError(() => decode(uint16, Buffer.from('000102', 'hex')), 'trailing_bytes', 2)
    assert.equal(err.message, 'at byte 2 (uint16): 1 bytes after the value')
    expectEncodeError(() => encodeInto(uint32, 1, Buffer.alloc(5), 2), 'buffer_too_small')
    assert.equal(encodeInto(uint32, 1, Buffer.alloc(6), 2), 6)
  })

  test('a custom encoding whose sizeOf lies is caught', () => {
    const liar: Encoding<number> = { ...uint8, name: 'liar', sizeOf: () => 2 }
    expectEncodeError(() => encode(liar, 1), 'size_mismatch')
  })

  test('DecodeError carries offset, reason and path', () => {
    const err = new DecodeError(37, 'length_over_bound', 'length 300 exceeds the bound 128').within(
      'chain_name',
    )
    const outer = err.within('connection_message')
    assert.equal(
      outer.message,
      'at byte 37 (connection_message.chain_name): length 300 exceeds the bound 128',
    )
    assert.equal(outer.offset, 37)
    assert.equal(outer.path, 'connection_message.chain_name')
    assert.equal(new DecodeError(1, 'short_input', 'x').within('[2]').within('points').path, 'points[2]')
  })
})
