// X25519 key pairs (NaCl crypto_box keys) for node identities: generation and the public
// key of a secret key.
import sodium from 'sodium-native'
import { assertLength } from './errors.js'

export const PUBLIC_KEY_BYTES = 32
export const SECRET_KEY_BYTES = 32

export interface KeyPair {
  publicKey: Buffer
  secretKey: Buffer
}

/** A fresh random X25519 key pair. */
export function generateKeyPair(): KeyPair {
  const publicKey = Buffer.alloc(PUBLIC_KEY_BYTES)
  const secretKey = Buffer.alloc(SECRET_KEY_BYTES)
  sodium.crypto_box_keypair(publicKey, secretKey)
  return { publicKey, secretKey }
}

/** The X25519 public key belonging to `secretKey`. */
export function publicKeyOf(secretKey: Uint8Array): Buffer {
  assertLength(secretKey, SECRET_KEY_BYTES, 'secret key')
  const publicKey = Buffer.alloc(PUBLIC_KEY_BYTES)
  sodium.crypto_scalarmult_base(publicKey, secretKey)
  return publicKey
}
