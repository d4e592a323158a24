// SHA-256 by libsodium, for the double-SHA-256 checksum of base58check (printed peer ids and
// Octez's hashes): a third of a JavaScript SHA-256's cost on a 22-byte payload.
import sodium from 'sodium-native'

/** The 32-byte SHA-256 digest of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  const digest = new Uint8Array(32)
  sodium.crypto_hash_sha256(digest, data)
  return digest
}
