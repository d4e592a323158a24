// Public API of the pool: its config, tables, events and errors, the answerer's rate limits,
// and the types the P2p entry point returns.
export { ANSWER_COOLDOWN_MS, AnswerThrottle, runAnswerer } from './answerer.js'
export {
  connectionCeiling,
  type P2pConfig,
  P2pConfigError,
  type P2pConfigInput,
  parseP2pConfig,
} from './config.js'
export {
  ConnectionRefusedError,
  NotConnectedError,
  P2pNotRunningError,
  type RefusalReason,
} from './errors.js'
export {
  HISTORY_SIZE,
  type PeerEvent,
  type PeerEventKind,
  type PointEvent,
  type PointEventKind,
} from './history.js'
export type { PeerState } from './known-peers.js'
export type { PointState } from './known-points.js'
export {
  canonicalPointAddress,
  isNamedPoint,
  type PointAddress,
  parsePointAddress,
  pointAddressError,
} from './point-address.js'
export { canonicalPoint } from './point-text.js'
export {
  ALTERNATIVE_POINTS,
  type ConnectionEvent,
  type ConnectionInfo,
  type ConnectionMetadataConfig,
  type PeerInfo,
  type PeerMetadataConfig,
  type PointInfo,
  type PoolEvents,
  type ReceivedMessage,
  type SwapEvent,
  type SwapIgnoredReason,
} from './pool.js'
export {
  MAX_ADDRESSES_PER_NAME,
  type ResolvedAddress,
  ResolveError,
  type Resolver,
  systemResolver,
} from './resolver.js'
