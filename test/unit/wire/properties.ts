// Shared checks for the wire tests: round trips, stream decoding under arbitrary splits,
// truncations and random input, each asserted for any Encoding the tests hand in.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  DecodeError,
  type DecodeErrorReason,
  decode,
  decodePrefix,
  type Encoding,
  encode,
  encodeInto,
} from '../../../src/wire/index.js'
import { StreamDecoder } from '../../../src/wire/stream-decoder.js'

/** Runs `fn`, which must throw a DecodeError with `reason` (and `offset` if given); returns it. */
export function expectDecodeError(
  fn: () => unknown,
  reason: DecodeErrorReason,
  offset?: number,
): DecodeError {
  let thrown: unknown
  try {
    fn()
  } catch (err) {
    thrown = err
  }
  assert.ok(thrown instanceof DecodeError, `expected a DecodeError, got ${String(thrown)}`)
  assert.equal(thrown.reason, reason, thrown.message)
  assert.equal(thrown.code, 'DUNE_DECODE')
  if (offset !== undefined) assert.equal(thrown.offset, offset, thrown.message)
  return thrown
}

/** decode(encode(v)) equals v, the size is announced right, and encodeInto writes the same bytes. */
export function checkRoundTrip<T>(enc: Encoding<T>, arb: fc.Arbitrary<T>, numRuns = 100): void {
  fc.assert(
    fc.property(arb, (v) => {
      const bytes = encode(enc, v)
      assert.equal(bytes.length, enc.sizeOf(v))
      assert.ok(bytes.length <= enc.maxSize)
      if (enc.kind === 'fixed') assert.equal(bytes.length, enc.maxSize)
      assert.deepStrictEqual(decode(enc, bytes), v)
      const into = Buffer.alloc(bytes.length + 5, 0xaa)
      assert.equal(encodeInto(enc, v, into, 3), 3 + bytes.length)
      assert.deepStrictEqual(into.subarray(3, 3 + bytes.length), bytes)
      assert.equal(into[2], 0xaa)
      assert.equal(into[3 + bytes.length], 0xaa)
    }),
    { numRuns },
  )
}

interface Outcome<T> {
  values: T[]
  error?: DecodeError
}

/** Whole-buffer reference: decodePrefix value after value until the input ends or fails. */
export function decodeAll<T>(enc: Encoding<T>, input: Buffer): Outcome<T> {
  const values: T[] = []
  let offset = 0
  while (offset < input.length) {
    try {
      const { value, end } = decodePrefix(enc, input, offset)
      values.push(value)
      offset = end
    } catch (err) {
      assert.ok(err instanceof DecodeError, `expected a DecodeError, got ${String(err)}`)
      return { values, error: err }
    }
  }
  return { values }
}

/** Feeds `input` cut at `cuts` (positions, any order, duplicates allowed) to a StreamDecoder. */
export function streamAll<T>(enc: Encoding<T>, input: Buffer, cuts: number[]): Outcome<T> {
  const positions = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b)
  const decoder = new StreamDecoder(enc)
  const values: T[] = []
  let from = 0
  try {
    for (const to of [...positions, input.length]) {
      decoder.push(input.subarray(from, to))
      from = to
      for (const v of decoder) values.push(v)
    }
    decoder.end()
    for (const v of decoder) values.push(v)
    assert.equal(decoder.bufferedBytes, 0)
  } catch (err) {
    assert.ok(err instanceof DecodeError, `expected a DecodeError, got ${String(err)}`)
    return { values, error: err }
  }
  return { values }
}

export function assertSameOutcome<T>(actual: Outcome<T>, expected: Outcome<T>): void {
  assert.deepStrictEqual(actual.values, expected.values)
  assert.equal(actual.error?.message, expected.error?.message)
  assert.equal(actual.error?.reason, expected.error?.reason)
  assert.equal(actual.error?.offset, expected.error?.offset)
  assert.equal(actual.error?.path, expected.error?.path)
}

const cutsArb = fc.array(fc.nat(), { maxLength: 12 })

/**
 * Encodes a few values back to back and checks that every split of the bytes (random cuts and
 * single bytes) streams to exactly these values. `enc` must not be of kind 'variable'.
 */
export function checkStreamSplits<T>(enc: Encoding<T>, arb: fc.Arbitrary<T>, numRuns = 60): void {
  fc.assert(
    fc.property(fc.array(arb, { minLength: 1, maxLength: 4 }), cutsArb, (values, cuts) => {
      const input = Buffer.concat(values.map((v) => encode(enc, v)))
      assertSameOutcome(streamAll(enc, input, cuts), { values })
    }),
    { numRuns },
  )
  fc.assert(
    fc.property(arb, (v) => {
      const input = encode(enc, v)
      const everyByte = Array.from({ length: input.length }, (_, i) => i)
      assertSameOutcome(streamAll(enc, input, everyByte), { values: [v] })
    }),
    { numRuns: Math.ceil(numRuns / 3) },
  )
}

/**
 * Valid values followed by damage (random bytes, a truncation or a flipped byte) stream to the
 * same values and the same error as whole-buffer decoding, for any split.
 */
export function checkStreamMatchesWhole<T>(enc: Encoding<T>, arb: fc.Arbitrary<T>, numRuns = 60): void {
  const damaged = fc
    .tuple(
      fc.array(arb, { maxLength: 3 }),
      fc.uint8Array({ maxLength: 40 }),
      fc.nat(),
      fc.nat(),
      fc.nat({ max: 255 }),
    )
    .map(([values, tail, cut, flip, byte]) => {
      const good = Buffer.concat(values.map((v) => encode(enc, v)))
      const input = Buffer.concat([good.subarray(0, good.length - (cut % 3 === 0 ? cut % 7 : 0)), tail])
      if (input.length > 0 && flip % 4 === 0) input[flip % input.length] = byte
      return input
    })
  fc.assert(
    fc.property(damaged, cutsArb, (input, cuts) => {
      assertSameOutcome(streamAll(enc, input, cuts), decodeAll(enc, input))
    }),
    { numRuns },
  )
}

/** Every strict prefix of `bytes` is a 'short_input' DecodeError at an offset within the prefix. */
export function checkTruncations<T>(enc: Encoding<T>, bytes: Buffer): void {
  for (let i = 0; i < bytes.length; i++) {
    const err = expectDecodeError(() => decode(enc, bytes.subarray(0, i)), 'short_input')
    assert.ok(err.offset >= 0 && err.offset <= i, `offset ${err.offset} for a prefix of ${i} bytes`)
  }
}

/** Random bytes into the decoder (whole and streamed) only ever give values or DecodeErrors. */
export function checkRandomBytes<T>(enc: Encoding<T>, numRuns = 200, maxLength = 64): void {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength }), (raw) => {
      const input = Buffer.from(raw)
      try {
        decode(enc, input)
      } catch (err) {
        assert.ok(err instanceof DecodeError, `expected a DecodeError, got ${String(err)}`)
      }
      if (enc.kind !== 'variable') decodeAll(enc, input)
    }),
    { numRuns },
  )
}

/** Buffers (not bare Uint8Arrays), so decoded values compare deep-equal. */
export const bufferArb = (constraints: fc.IntArrayConstraints = {}): fc.Arbitrary<Buffer> =>
  fc.uint8Array(constraints).map((a) => Buffer.from(a))
