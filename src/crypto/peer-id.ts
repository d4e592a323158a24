// Peer ids: the 16-byte BLAKE2b digest of a public key, and their printed base58check form
// (prefix bytes 153,103, so 30 characters starting with "id").
import { createBase58check } from '@scure/base'
import sodium from 'sodium-native'
import { DuneP2pError } from '../errors/index.js'
import { assertLength } from './errors.js'
import { PUBLIC_KEY_BYTES } from './keys.js'
import { sha256 } from './sha256.js'

export const PEER_ID_BYTES = 16
const PREFIX = Buffer.from([153, 103])
/** base58check over libsodium's SHA-256: a peer id is printed per handshake. */
const base58check = createBase58check(sha256)

/** A printed peer id that is not valid base58check, or has the wrong prefix or length (code `DUNE_PEER_ID`). */
export class PeerIdFormatError extends DuneP2pError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DUNE_PEER_ID', message, options)
  }
}

/** The peer id of a public key: BLAKE2b with a 16-byte digest. */
export function peerIdOf(publicKey: Uint8Array): Buffer {
  assertLength(publicKey, PUBLIC_KEY_BYTES, 'public key')
  const id = Buffer.alloc(PEER_ID_BYTES)
  sodium.crypto_generichash(id, publicKey)
  return id
}

/** The printed form of a peer id ("id…", 30 characters). */
export function peerIdToB58(id: Uint8Array): string {
  assertLength(id, PEER_ID_BYTES, 'peer id')
  return base58check.encode(Buffer.concat([PREFIX, id]))
}

/** Parses a printed peer id; throws PeerIdFormatError on a bad checksum, prefix or length. */
export function peerIdFromB58(text: string): Buffer {
  if (typeof text !== 'string') throw new PeerIdFormatError(`peer id must be a string, got ${typeof text}`)
  let bytes: Uint8Array
  try {
    bytes = base58check.decode(text)
  } catch (err) {
    throw new PeerIdFormatError(`"${text}" is not a base58check peer id: ${(err as Error).message}`, {
      cause: err,
    })
  }
  if (bytes.length < PREFIX.length || bytes[0] !== PREFIX[0] || bytes[1] !== PREFIX[1]) {
    throw new PeerIdFormatError(`"${text}" does not carry the peer id prefix (it should start with "id")`)
  }
  if (bytes.length !== PREFIX.length + PEER_ID_BYTES) {
    throw new PeerIdFormatError(
      `"${text}" holds ${bytes.length - PREFIX.length} bytes, a peer id has ${PEER_ID_BYTES}`,
    )
  }
  return Buffer.from(bytes.subarray(PREFIX.length))
}
