// Public API of the socket layer: dialing, the handshake (authenticate, then accept or nack)
// and the authenticated connection with its message queues.
export { BufferPool, type BufferPoolOptions } from './buffer-pool.js'
export { Connection, type ConnectionOptions, type ConnectionStats } from './connection.js'
export { DialError, type DialOptions, dialTcp } from './dial.js'
export {
  type CloseReason,
  ConnectionClosedError,
  describeCloseReason,
  HandshakeClosedError,
  HandshakeDecodingError,
  HandshakeDecryptionError,
  HandshakeError,
  type HandshakeFailureCause,
  HandshakeTimeoutError,
  ProofOfWorkTooLowError,
  RejectedByPeerError,
  SelfConnectionError,
  socketErrorReason,
} from './errors.js'
export {
  type AuthenticatedPeer,
  authenticate,
  type HandshakeConfig,
  type HandshakeResult,
  PendingHandshake,
} from './handshake.js'
export { DEFAULT_TCP_KEEPALIVE, setTcpKeepalive, type TcpKeepaliveOptions } from './keepalive.js'
export { readAcceptedIntoSharedBuffer, readsIntoSharedBuffer } from './shared-read.js'
export {
  announcedVersions,
  type NegotiatedVersion,
  negotiateVersion,
  type SupportedVersions,
  type VersionRejection,
} from './versions.js'
