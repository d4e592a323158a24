// Proof of work: the recorded stamp, powTarget against a direct bigint formula (whole and
// fractional bits), the byte-wise comparison against bigint comparison, and bad input.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  checkProofOfWork,
  expectedPowHashes,
  meetsTarget,
  powTarget,
  powTargetBytes,
} from '../../../src/crypto/proof-of-work.js'
import { defined } from '../../support/defined.js'
import { hex, readVectorJson } from '../../support/vectors.js'

interface PowVector {
  public_key: string
  stamp: string
  target_bits: number
  valid: boolean
}
const vectors = readVectorJson<{ proof_of_work: PowVector[] }>('octez-wire.json').proof_of_work

/** The target written out once more, straight from the SPEC, for comparison. */
function specTarget(bits: number): bigint {
  const s = Math.floor(bits)
  const f = bits - s
  const m = f === 0 ? 2n ** 54n - 1n : BigInt(Math.floor(2 ** (54 - f)))
  return s < 202 ? (m << BigInt(202 - s)) | ((1n << BigInt(202 - s)) - 1n) : m >> BigInt(s - 202)
}

const leToBigInt = (bytes: Uint8Array): bigint =>
  BigInt(`0x${Buffer.from(bytes).reverse().toString('hex') || '0'}`)

describe('recorded proof of work', () => {
  for (const v of vectors) {
    test(`stamp ${v.stamp.slice(0, 8)}… at ${v.target_bits} bits is ${v.valid ? 'valid' : 'invalid'}`, () => {
      assert.equal(checkProofOfWork(hex(v.public_key), hex(v.stamp), v.target_bits), v.valid)
    })
    test(`stamp ${v.stamp.slice(0, 8)}… fails a much higher difficulty`, () => {
      assert.equal(checkProofOfWork(hex(v.public_key), hex(v.stamp), v.target_bits + 40), false)
    })
  }

  test('a stamp is tied to its public key', () => {
    const v = defined(vectors[0], 'a proof-of-work vector')
    const otherKey = hex(v.public_key)
    otherKey.writeUInt8(otherKey.readUInt8(0) ^ 1, 0)
    // 24 bits: a random key passes with probability 2^-24.
    assert.equal(checkProofOfWork(otherKey, hex(v.stamp), 24), false)
  })
})

describe('powTarget', () => {
  test('whole bits as in the SPEC', () => {
    assert.equal(powTarget(0), 2n ** 256n - 1n)
    assert.equal(powTarget(24), (2n ** 54n - 1n) * 2n ** 178n + (2n ** 178n - 1n))
    assert.equal(powTarget(24), 2n ** 232n - 1n)
    assert.equal(powTarget(26), 2n ** 230n - 1n)
    assert.equal(powTarget(202), 2n ** 54n - 1n)
    assert.equal(powTarget(210), (2n ** 54n - 1n) >> 8n)
    assert.equal(powTarget(256), 0n)
    for (const bits of [1, 8, 12, 16, 24, 26, 30, 100, 201, 202, 203, 255])
      assert.equal(powTarget(bits), specTarget(bits))
  })

  test('fractional bits sit between their whole neighbours', () => {
    for (const bits of [0.5, 8.25, 24.5, 26.9, 201.5, 202.5, 230.75]) {
      const target = powTarget(bits)
      assert.equal(target, specTarget(bits))
      assert.ok(target < powTarget(Math.floor(bits)))
      assert.ok(target > powTarget(Math.ceil(bits)))
    }
    // 2^(54 - 0.5) = 2^53 * sqrt(2)
    assert.equal(powTarget(24.5) >> 178n, BigInt(Math.floor(2 ** 53.5)))
  })

  test('any bits from 0 to 256 match the direct formula, decreasing with the bits', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 256, noNaN: true }),
        fc.double({ min: 0, max: 256, noNaN: true }),
        (a, b) => {
          assert.equal(powTarget(a), specTarget(a))
          // Not for tiny fractions: 2^(54 - 1e-300) rounds to 2^54, one more than the whole-bit 2^54 - 1.
          if (b - a > 1e-12) assert.ok(powTarget(a) >= powTarget(b))
        },
      ),
    )
  })

  test('bits out of range are typed errors', () => {
    for (const bits of [-1, 256.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => powTarget(bits), { code: 'DUNE_CRYPTO_INPUT' })
    }
  })

  test('powTargetBytes is the target in 32 little-endian bytes', () => {
    for (const bits of [0, 8.5, 24, 26, 202, 256]) {
      const bytes = powTargetBytes(bits)
      assert.equal(bytes.length, 32)
      assert.equal(leToBigInt(bytes), powTarget(bits))
    }
  })

  test('expectedPowHashes is 2^bits for whole bits', () => {
    assert.equal(expectedPowHashes(0), 1)
    assert.equal(expectedPowHashes(8), 256)
    assert.equal(expectedPowHashes(26), 2 ** 26)
  })
})

describe('meetsTarget (byte-wise, most significant byte first)', () => {
  const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
  test('agrees with bigint comparison', () => {
    fc.assert(
      fc.property(bytes32, bytes32, (hash, target) => {
        assert.equal(meetsTarget(hash, target), leToBigInt(hash) <= leToBigInt(target))
      }),
    )
  })

  test('agrees with bigint comparison on hashes near the target', () => {
    fc.assert(
      fc.property(
        bytes32,
        fc.integer({ min: 0, max: 31 }),
        fc.integer({ min: -1, max: 1 }),
        (target, at, delta) => {
          const hash = Buffer.from(target)
          hash.writeUInt8((hash.readUInt8(at) + delta) & 0xff, at)
          assert.equal(meetsTarget(hash, target), leToBigInt(hash) <= leToBigInt(target))
        },
      ),
    )
  })

  test('equal is enough', () => {
    const target = powTargetBytes(24)
    assert.equal(meetsTarget(Buffer.from(target), target), true)
  })
})

test('checkProofOfWork refuses wrong sizes with a typed error', () => {
  assert.throws(() => checkProofOfWork(Buffer.alloc(32), Buffer.alloc(23), 8), { code: 'DUNE_CRYPTO_INPUT' })
  assert.throws(() => checkProofOfWork(Buffer.alloc(33), Buffer.alloc(24), 8), { code: 'DUNE_CRYPTO_INPUT' })
})
