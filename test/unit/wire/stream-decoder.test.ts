// Tests of StreamDecoder: same values and errors as whole-buffer decoding for any split, no
// retry before the needed bytes are buffered, zero-copy decoding inside one chunk, end of input.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { InvalidArgumentError } from '../../../src/errors/index.js'
import {
  bytes,
  type Encoding,
  encode,
  listToEnd,
  obj,
  StreamDecoder,
  string,
  uint8,
  uint16,
} from '../../../src/wire/index.js'
import { bufferArb, decodeAll, expectDecodeError, streamAll } from './properties.js'

/** Wraps an encoding to count calls to read. */
function counting<T>(enc: Encoding<T>): Encoding<T> & { reads: number } {
  const counted = {
    ...enc,
    reads: 0,
    read(r: Parameters<Encoding<T>['read']>[0]): T {
      counted.reads++
      return enc.read(r)
    },
  }
  return counted
}

const record = obj('record', { id: uint16, payload: bytes({ max: 2000 }), note: string({ max: 16 }) })
const recordArb = fc.record(
  { id: fc.nat(0xffff), payload: bufferArb({ maxLength: 64 }), note: fc.string({ maxLength: 16 }) },
  { noNullPrototype: true },
)

describe('StreamDecoder', () => {
  test('gives the values of whole-buffer decoding for any split', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (values, cuts) => {
          const input = Buffer.concat(values.map((v) => encode(record, v)))
          const streamed = streamAll(record, input, cuts)
          assert.equal(streamed.error, undefined)
          assert.deepStrictEqual(streamed.values, values)
        },
      ),
      { numRuns: 100 },
    )
  })

  test('gives the error of whole-buffer decoding, with offsets counted from the first byte', () => {
    const good = encode(record, { id: 1, payload: Buffer.from('abc'), note: 'n' })
    const bad = Buffer.from(good)
    bad.writeUInt32BE(2001, 2) // payload length over its bound
    const input = Buffer.concat([good, good, bad])
    for (let cut = 0; cut <= input.length; cut++) {
      const streamed = streamAll(record, input, [cut])
      assert.equal(streamed.values.length, 2)
      assert.equal(streamed.error?.reason, 'length_over_bound')
      assert.equal(streamed.error?.offset, 2 * good.length + 2)
      assert.equal(streamed.error?.path, 'record.payload')
      assert.deepStrictEqual(streamed, decodeAll(record, input))
    }
  })

  test('does not retry before the bytes it needs are buffered', () => {
    const enc = counting(bytes({ max: 5000 }))
    const decoder = new StreamDecoder(enc)
    const payload = Buffer.alloc(3000, 7)
    const input = encode(enc, payload)
    for (let i = 0; i < input.length - 1; i++) {
      decoder.push(input.subarray(i, i + 1))
      assert.equal(decoder.next(), undefined)
    }
    // One attempt on the first byte (needs 4), one on the length prefix (needs 3004).
    assert.equal(enc.reads, 2)
    decoder.push(input.subarray(input.length - 1))
    assert.deepStrictEqual(decoder.next(), payload)
    assert.equal(enc.reads, 3)
    assert.equal(decoder.bufferedBytes, 0)
  })

  test('refuses an oversized length as soon as the prefix is in, without waiting for the body', () => {
    const decoder = new StreamDecoder(bytes({ max: 100 }))
    decoder.push(Buffer.from('0000', 'hex'))
    assert.equal(decoder.next(), undefined)
    decoder.push(Buffer.from('ffff', 'hex'))
    expectDecodeError(() => decoder.next(), 'length_over_bound', 0)
    // The decoder stays failed.
    expectDecodeError(() => decoder.next(), 'length_over_bound', 0)
  })

  test('decodes a value lying in one chunk in place (no copy)', () => {
    const chunk = Buffer.concat([encode(bytes({ max: 10 }), Buffer.from('hello')), Buffer.from([0, 0])])
    const decoder = new StreamDecoder(bytes({ max: 10 }))
    decoder.push(chunk)
    const v = decoder.next()
    assert.deepStrictEqual(v, Buffer.from('hello'))
    assert.equal(v?.buffer, chunk.buffer, 'the value is a view of the pushed chunk')
    assert.equal(decoder.bufferedBytes, 2)
  })

  test('drains many values pushed one byte at a time', () => {
    const values = Array.from({ length: 700 }, (_, i) => i * 31)
    const input = Buffer.concat(values.map((v) => encode(uint16, v)))
    const decoder = new StreamDecoder(uint16)
    for (let i = 0; i < input.length; i++) decoder.push(input.subarray(i, i + 1))
    assert.deepStrictEqual([...decoder], values)
    decoder.end()
    assert.equal(decoder.next(), undefined)
  })

  test('end(): a clean end gives undefined, a partial value a short_input error', () => {
    const clean = new StreamDecoder(uint16)
    clean.push(Buffer.from('0102', 'hex'))
    clean.end()
    assert.equal(clean.next(), 0x0102)
    assert.equal(clean.next(), undefined)
    assert.throws(() => clean.push(Buffer.from([1])), /push after end/)

    const partial = new StreamDecoder(record)
    partial.push(Buffer.from('0001000000', 'hex'))
    assert.equal(partial.next(), undefined)
    partial.end()
    const err = expectDecodeError(() => partial.next(), 'short_input', 2)
    assert.equal(err.path, 'record.payload')
  })

  test('refuses encodings that cannot delimit themselves', () => {
    assert.throws(() => new StreamDecoder(listToEnd(uint8, { maxLength: 3 })), InvalidArgumentError)
  })
})
