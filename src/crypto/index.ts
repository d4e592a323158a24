// dune-p2p/crypto, the crypto layer's public API: identities and their file, keys, peer ids,
// proof of work, channel keys, nonces and chunk encryption.

// Node's types (Buffer, sockets) for consumers whose tsconfig lists no "types", as in src/index.ts.
/// <reference types="node" preserve="true" />

export { CHANNEL_KEY_BYTES, channelKey } from './channel-key.js'
export {
  ChunkCipher,
  MAC_BYTES,
  MAX_CHUNK_PLAINTEXT,
  MAX_CHUNK_WIRE,
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
export {
  IDENTITY_FILE_NAME,
  IdentityFileError,
  type IdentityFileErrorCode,
  identityFilePath,
  readIdentityFile,
  writeIdentityFile,
} from './identity-file.js'
export { generateKeyPair, type KeyPair, PUBLIC_KEY_BYTES, publicKeyOf, SECRET_KEY_BYTES } from './keys.js'
export { type ConnectionNonces, deriveNonces, NONCE_BYTES } from './nonce.js'
export { PEER_ID_BYTES, PeerIdFormatError, peerIdFromB58, peerIdOf, peerIdToB58 } from './peer-id.js'
export {
  type PowProgress,
  PowSearchAborted,
  PowSearchFailed,
  type PowSearchOptions,
  searchProofOfWork,
} from './pow-search.js'
export { checkProofOfWork, DEFAULT_POW_BITS, expectedPowHashes, STAMP_BYTES } from './proof-of-work.js'
