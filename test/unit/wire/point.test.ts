// Tests of points: parsing and formatting IPv4/IPv6 points, the 47-character bound, and the
// wire encoding that checks the bound before the syntax.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  decode,
  EncodeError,
  encode,
  formatPoint,
  InvalidPointError,
  MAX_POINT_LENGTH,
  parsePoint,
  pointEncoding,
  pointSyntaxError,
} from '../../../src/wire/index.js'
import { LONGEST_POINT, pointArb } from './arbitraries.js'
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

  test('decoding checks the bound first, then the syntax', () => {
    const long = Buffer.concat([Buffer.from('00000030', 'hex'), Buffer.alloc(48, 0x31)])
    const over = expectDecodeError(() => decode(pointEncoding, long), 'length_over_bound', 0)
    assert.equal(over.detail, 'length 48 exceeds the bound 47')
    expectDecodeError(() => decode(pointEncoding, Buffer.from('ffffffff', 'hex')), 'length_over_bound', 0)
    for (const s of invalid.filter((p) => Buffer.byteLength(p) <= MAX_POINT_LENGTH)) {
      const raw = Buffer.from(s)
      const input = Buffer.concat([Buffer.from([0, 0, 0, raw.length]), raw])
      expectDecodeError(() => decode(pointEncoding, input), 'invalid_value', 4)
    }
    // "12.0.0.1:8\xe9": a non-ASCII byte is a syntax error, not a decoding crash.
    const latin = Buffer.from('0000000b31322e302e302e313a38e9', 'hex')
    expectDecodeError(() => decode(pointEncoding, latin), 'invalid_value', 4)
  })

  test('encoding refuses invalid points', () => {
    for (const s of invalid) assert.throws(() => encode(pointEncoding, s), EncodeError, s)
    assert.throws(
      () => encode(pointEncoding, 'x'.repeat(48)),
      (err: EncodeError) => err.reason === 'length_over_bound',
    )
    assert.throws(
      () => encode(pointEncoding, '1.2.3.4'),
      (err: EncodeError) => err.reason === 'invalid_value',
    )
  })
})
