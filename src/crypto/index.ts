// The crypto of the layer in one import: identities, peer ids, proof of work, channel keys,
// nonces and chunk encryption.

export { CHANNEL_KEY_BYTES, channelKey } from './channel-key.js'
export {
  ChunkCipher,
  MAC_BYTES,
  MAX_CHUNK_PLAINTEXT,
  MAX_CHUNK_WIRE,
  MAX_PEEK_BYTES,
  MacError,
} from './chunk-cipher.js'
export { CryptoInputError } from './errors.js'
export {
  checkIdentity,
  generateIdentity,
  generateIdentityInline,
  type Identity,
  type IdentityProblem,
  type IdentityProblemKind,
} from './identity.js'
export { generateKeyPair, type KeyPair, PUBLIC_KEY_BYTES, publicKeyOf, SECRET_KEY_BYTES } from './keys.js'
export { type ConnectionNonces, deriveNonces, incrementNonce, NONCE_BYTES } from './nonce.js'
export { PEER_ID_BYTES, PeerIdFormatError, peerIdFromB58, peerIdOf, peerIdToB58 } from './peer-id.js'
export {
  type PowProgress,
  PowSearchAborted,
  PowSearchFailed,
  type PowSearchOptions,
  searchProofOfWork,
} from './pow-search.js'
export {
  assertPowBits,
  checkProofOfWork,
  DEFAULT_POW_BITS,
  expectedPowHashes,
  meetsTarget,
  POW_HASH_BYTES,
  powTarget,
  powTargetBytes,
  STAMP_BYTES,
} from './proof-of-work.js'
