// dune-p2p/socket, the socket layer's public API: dialing, the handshake (authenticate, then
// accept or nack), the authenticated connection, and the I/O scheduler and budget it runs on.
// Node's types (Buffer, sockets) for consumers whose tsconfig lists no "types", as in src/index.ts.
/// <reference types="node" preserve="true" />

export type { Clock, TimerHandle } from '../io/clock.js'
export { QueueClosedError, SchedulerClosedError } from '../io/errors.js'
export { MemoryBudget } from '../io/memory-budget.js'
export {
  DEFAULT_READ_BUFFER_SIZE,
  type IoHandle,
  IoScheduler,
  type IoSchedulerOptions,
  type IoStats,
  LIMITED_READ_BUFFER_SIZE,
  type SchedulerStats,
} from '../io/scheduler.js'
export { AbortedError, type AbortOptions } from './abort.js'
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
  type HandshakeErrorCode,
  type HandshakeFailureCause,
  HandshakeTimeoutError,
  ProofOfWorkTooLowError,
  RejectedByPeerError,
  SelfConnectionError,
} from './errors.js'
export {
  type AuthenticatedPeer,
  authenticate,
  type HandshakeConfig,
  type HandshakeResult,
  PendingHandshake,
} from './handshake.js'
export { DEFAULT_TCP_KEEPALIVE, setTcpKeepalive, type TcpKeepaliveOptions } from './keepalive.js'
export { readAcceptedIntoSharedBuffer } from './shared-read.js'
export type { NegotiatedVersion, SupportedVersions, VersionRejection } from './versions.js'
