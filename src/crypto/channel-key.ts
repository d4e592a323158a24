// The symmetric key of a connection, NaCl crypto_box_beforenm: HSalsa20 of the X25519 shared
// secret with a zero nonce (libsodium has the X25519, @noble/ciphers the HSalsa20).
import { hsalsa } from '@noble/ciphers/salsa.js'
import sodium from 'sodium-native'
import { assertLength, CryptoInputError } from './errors.js'
import { PUBLIC_KEY_BYTES, SECRET_KEY_BYTES } from './keys.js'

export const CHANNEL_KEY_BYTES = 32
/** "expand 32-byte k" as little-endian words. */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574])
const ZERO_NONCE = new Uint32Array(4)

/**
 * The key both sides of a connection share: our secret key with their public key gives the
 * same result as their secret key with ours. Throws CryptoInputError for a degenerate
 * (low-order) public key, whose shared secret would be zero.
 */
export function channelKey(secretKey: Uint8Array, publicKey: Uint8Array): Buffer {
  assertLength(secretKey, SECRET_KEY_BYTES, 'secret key')
  assertLength(publicKey, PUBLIC_KEY_BYTES, 'public key')
  const shared = Buffer.alloc(32)
  try {
    sodium.crypto_scalarmult(shared, secretKey, publicKey)
  } catch (err) {
    throw new CryptoInputError('the public key is a low-order point (no usable shared secret)', {
      cause: err,
    })
  }
  const key = new Uint32Array(8)
  hsalsa(SIGMA, littleEndianWords(shared), ZERO_NONCE, key)
  sodium.sodium_memzero(shared)
  const out = Buffer.alloc(CHANNEL_KEY_BYTES)
  for (const [i, word] of key.entries()) out.writeUInt32LE(word, i * 4)
  key.fill(0)
  return out
}

function littleEndianWords(bytes: Buffer): Uint32Array {
  const words = new Uint32Array(bytes.length / 4)
  for (let i = 0; i < words.length; i++) words[i] = bytes.readUInt32LE(i * 4)
  return words
}
