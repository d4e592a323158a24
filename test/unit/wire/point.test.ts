// Tests of points: parsing and formatting IPv4/IPv6 points (the syntax), and the wire encoding
// that carries any printable ASCII of at most 47 bytes.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  decode,
  type EncodeError,
  encode,
  formatPoint,
  InvalidPointError,
  MAX_POINT_LENGTH,
  parsePoint,
  pointEncoding,
  pointSyntaxError,
  pointWireError,
} from '../../../src/wire/index.js'
import { LONGEST_POINT, pointArb, wirePointArb } from '../../support/wire-arbitraries.js'
import {
  checkRandomBytes,
  checkRoundTrip,
  checkStreamMatchesWhole,
  checkStreamSplits,
  checkTruncations,
  expectDecodeError,
} from './properties.js'

describe('points', () => {
  test('parse and format IPv4 and IPv6 points', () => {
    assert.deepStrictEqual(parsePoint('127.0.0.1:9732'), { host: '127.0.0.1', port: 9732 })
    assert.deepStrictEqual(parsePoint('[fe80::e828:209d:20e:c0ae]:375'), {
      host: 'fe80::e828:209d:20e:c0ae',
      port: 375,
    })
    assert.deepStrictEqual(parsePoint('[::ffff:1.2.3.4]:0'), { host: '::ffff:1.2.3.4', port: 0 })
    assert.equal(formatPoint('::1', 9732), '[::1]:9732')
    assert.equal(formatPoint('10.0.0.2', 65535), '10.0.0.2:65535')
    assert.equal(LONGEST_POINT.length, MAX_POINT_LENGTH)
    assert.deepStrictEqual(parsePoint(LONGEST_POINT).port, 65535)
    fc.assert(
      fc.property(pointArb, (s) => {
        const { host, port } = parsePoint(s)
        assert.equal(formatPoint(host, port), s)
      }),
    )
  })

  const invalid = [
    '',
    '127.0.0.1',
    '127.0.0.1:',
    '127.0.0.1:65536',
    '127.0.0.1:-1',
    '127.0.0.1:+80',
    '127.0.0.1:80a',
    '127.0.0.1:123456',
    '256.0.0.1:80',
    'localhost:9732',
    'example.com:80',
    '::1:80',
    '[::1]',
    '[::1]80',
    '[1.2.3.4]:80',
    '[fe80::1%eth0]:80',
    '[::1]:80:80',
    `${'1'.repeat(40)}.0.0.1:80`,
    'x'.repeat(47),
    'x'.repeat(48),
    '1.2.3.4:８０',
  ]

  test('refuse anything else', () => {
    for (const s of invalid) {
      assert.notEqual(pointSyntaxError(s), undefined, s)
      assert.throws(() => parsePoint(s), InvalidPointError, s)
    }
    assert.throws(() => formatPoint('::1', 70000), InvalidPointError)
    assert.throws(() => formatPoint('::1', 1.5), InvalidPointError)
    assert.throws(() => formatPoint('host.example', 80), InvalidPointError)
    assert.throws(() => formatPoint('ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255', 80), InvalidPointError)
  })

  test('encoding: a string of at most 47 bytes', () => {
    assert.deepStrictEqual(
      encode(pointEncoding, '127.0.0.1:9832'),
      Buffer.from('0000000e3132372e302e302e313a39383332', 'hex'),
    )
    checkRoundTrip(pointEncoding, pointArb)
    checkStreamSplits(pointEncoding, pointArb, 40)
    checkStreamMatchesWhole(pointEncoding, pointArb, 40)
    checkTruncations(pointEncoding, encode(pointEncoding, LONGEST_POINT))
    checkRandomBytes(pointEncoding)
  })

  test('the wire carries any printable ASCII of at most 47 bytes, whatever its syntax', () => {
    checkRoundTrip(pointEncoding, wirePointArb)
    checkStreamSplits(pointEncoding, wirePointArb, 40)
    fc.assert(
      fc.property(wirePointArb, (s) => {
        assert.equal(pointWireError(s), undefined)
        assert.deepStrictEqual(
          encode(pointEncoding, s),
          Buffer.concat([Buffer.from([0, 0, 0, s.length]), Buffer.from(s, 'latin1')]),
        )
      }),
    )
    // Points refused by parsePoint pass the wire (the recorded swap vector holds 47 'x'), both
    // ways and byte for byte: the pool checks the syntax when it uses a point.
    const wireOnly = invalid.filter((p) => pointWireError(p) === undefined)
    assert.ok(
      wireOnly.includes('x'.repeat(47)) && wireOnly.includes('localhost:9732') && wireOnly.includes(''),
    )
    for (const s of wireOnly) {
      assert.throws(() => parsePoint(s), InvalidPointError, s)
      const input = Buffer.concat([Buffer.from([0, 0, 0, s.length]), Buffer.from(s, 'latin1')])
      assert.equal(decode(pointEncoding, input), s)
      assert.deepStrictEqual(encode(pointEncoding, s), input)
    }
  })

  test('decoding refuses a length over the bound, then any byte outside printable ASCII', () => {
    const long = Buffer.concat([Buffer.from('00000030', 'hex'), Buffer.alloc(48, 0x31)])
    const over = expectDecodeError(() => decode(pointEncoding, long), 'length_over_bound', 0)
    assert.equal(over.detail, 'length 48 exceeds the bound 47')
    expectDecodeError(() => decode(pointEncoding, Buffer.from('ffffffff', 'hex')), 'length_over_bound', 0)
    // "12.0.0.1:8\xe9": a non-ASCII byte is refused at its offset, not a decoding crash.
    const latin = Buffer.from('0000000b31322e302e302e313a38e9', 'hex')
    const nonAscii = expectDecodeError(() => decode(pointEncoding, latin), 'invalid_value', 14)
    assert.equal(nonAscii.detail, 'byte 0xe9 in a point is not printable ASCII')
    // Each end of the printable range: 0x1f and 0x7f are refused, 0x20 and 0x7e pass.
    for (const byte of [0x00, 0x0a, 0x1f, 0x7f, 0x80, 0xff]) {
      const input = Buffer.from([0, 0, 0, 3, 0x31, byte, 0x31])
      expectDecodeError(() => decode(pointEncoding, input), 'invalid_value', 5)
    }
    assert.equal(decode(pointEncoding, Buffer.from([0, 0, 0, 2, 0x20, 0x7e])), ' ~')
    // Every single byte: accepted exactly when printable.
    for (let byte = 0; byte < 256; byte++) {
      const input = Buffer.from([0, 0, 0, 1, byte])
      if (byte >= 0x20 && byte <= 0x7e) assert.equal(decode(pointEncoding, input), String.fromCharCode(byte))
      else expectDecodeError(() => decode(pointEncoding, input), 'invalid_value', 4)
    }
  })

  test('encoding refuses what the wire cannot carry', () => {
    assert.throws(
      () => encode(pointEncoding, 'x'.repeat(48)),
      (err: EncodeError) => err.reason === 'length_over_bound',
    )
    assert.equal(pointWireError('x'.repeat(48)), '48 characters long, at most 47 allowed')
    // 'Ł' (U+0141) must not be written as its low byte 'A'.
    for (const s of ['1.2.3.4:８０', 'a\nb', 'é:1', 'Ł:1', '\x7f', '1.2.3.4:\x1f']) {
      assert.match(pointWireError(s) ?? '', /is not printable ASCII$/, s)
      assert.throws(
        () => encode(pointEncoding, s),
        (err: EncodeError) => err.reason === 'invalid_value',
        s,
      )
    }
    assert.equal(pointWireError('é:1'), 'character "é" at index 0 is not printable ASCII')
    assert.throws(
      () => encode(pointEncoding, 42 as unknown as string),
      (err: EncodeError) => err.reason === 'invalid_value',
    )
  })
})
