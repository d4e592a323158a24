// Proof of work on a public key: the difficulty target of a number of bits (fractional
// bits included, as Octez computes it) and the check of a 24-byte stamp against it.
import sodium from 'sodium-native'
import { assertLength, CryptoInputError } from './errors.js'
import { PUBLIC_KEY_BYTES } from './keys.js'

export const STAMP_BYTES = 24
export const POW_HASH_BYTES = 32
/** Octez's default difficulty for node identities. */
export const DEFAULT_POW_BITS = 26

/** Throws a CryptoInputError unless `bits` is a difficulty Octez accepts (0 to 256). */
export function assertPowBits(bits: number): void {
  if (typeof bits !== 'number' || !Number.isFinite(bits) || bits < 0 || bits > 256) {
    throw new CryptoInputError(`proof-of-work bits must be a number from 0 to 256, got ${bits}`)
  }
}

/** The largest hash (a little-endian u256) that meets `bits` of proof of work. */
export function powTarget(bits: number): bigint {
  assertPowBits(bits)
  const whole = Math.floor(bits)
  const fraction = bits - whole
  const mantissa = fraction === 0 ? (1n << 54n) - 1n : BigInt(Math.floor(2 ** (54 - fraction)))
  if (whole < 202) {
    const shift = BigInt(202 - whole)
    return (mantissa << shift) | ((1n << shift) - 1n)
  }
  return mantissa >> BigInt(whole - 202)
}

/** The target of `bits` as 32 little-endian bytes, the form `meetsTarget` compares against. */
export function powTargetBytes(bits: number): Buffer {
  let target = powTarget(bits)
  const bytes = Buffer.alloc(POW_HASH_BYTES)
  for (let i = 0; i < POW_HASH_BYTES; i++) {
    bytes[i] = Number(target & 0xffn)
    target >>= 8n
  }
  return bytes
}

/** True when `hash` <= `target`, both 32-byte little-endian integers (compared from the top byte). */
export function meetsTarget(hash: Uint8Array, target: Uint8Array): boolean {
  for (let i = POW_HASH_BYTES - 1; i >= 0; i--) {
    const h = hash[i]
    const t = target[i]
    // A missing byte (a too-short input) compares as neither lower nor equal, as before.
    if (h !== t) return h !== undefined && t !== undefined && h < t
  }
  return true
}

/** True when blake2b-256(publicKey ++ stamp), read little-endian, is at most the target of `bits`. */
export function checkProofOfWork(publicKey: Uint8Array, stamp: Uint8Array, bits: number): boolean {
  assertLength(publicKey, PUBLIC_KEY_BYTES, 'public key')
  assertLength(stamp, STAMP_BYTES, 'proof-of-work stamp')
  const hash = Buffer.alloc(POW_HASH_BYTES)
  sodium.crypto_generichash(hash, Buffer.concat([publicKey, stamp]))
  return meetsTarget(hash, powTargetBytes(bits))
}

/** The mean number of hashes a search for `bits` of proof of work takes: 2^256 / (target + 1). */
export function expectedPowHashes(bits: number): number {
  return Number((1n << 256n) / (powTarget(bits) + 1n))
}
