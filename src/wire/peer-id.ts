// The wire form of a peer id: the 16 raw bytes of blake2b-128(public key). Deriving and
// printing ids (base58check) belongs to src/crypto.
import { fixedBytes } from './combinators.js'
import type { Encoding } from './encoding.js'

/** Size of a peer id in bytes. */
export const PEER_ID_SIZE = 16

/**
 * A peer id: 16 bytes. Decoded ids are fresh copies (not views of the input): they are kept
 * in tables long after the message that carried them.
 */
export const peerIdEncoding: Encoding<Buffer> = {
  ...fixedBytes(PEER_ID_SIZE, { copy: true }),
  name: 'peer_id',
}
