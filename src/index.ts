// The public API of dune-p2p (the package root): createP2p and the P2p object, its config and
// types, the errors a caller catches, defineMessages and the encoding combinators, identities.
// The lower levels have their own entry points: dune-p2p/wire, dune-p2p/crypto, dune-p2p/socket
// and dune-p2p/octez. An explicit list (as undici's index.js): what is not here is internal.
// The types use Node's (Buffer, sockets): this directive, kept in dist/index.d.ts, loads them for
// consumers whose tsconfig lists no "types" (TypeScript 6 and later include no @types by default).
/// <reference types="node" preserve="true" />
// The exports are sorted by module (biome): acl, crypto, errors, io, p2p, pool, socket, wire, workers.

export {
  type AccessControl,
  type AclChange,
  AclInputError,
  type AclInputKind,
  type AclList,
  type AclStatus,
  type GreylistEvent,
} from './acl/index.js'
export {
  generateIdentity,
  generateIdentityInline,
  type Identity,
  IdentityFileError,
  type IdentityFileErrorCode,
  identityFilePath,
  type PowProgress,
  PowSearchAborted,
  type PowSearchOptions,
  readIdentityFile,
  writeIdentityFile,
} from './crypto/index.js'
export {
  type DuneErrorCode,
  DuneP2pError,
  ERROR_CODES,
  InvalidArgumentError,
  isDuneP2pError,
} from './errors/index.js'
export { QueueClosedError } from './io/errors.js'
export { createP2p, P2p } from './p2p.js'
export type { P2pApplication, P2pEvents, P2pStats } from './p2p-application.js'
export type { AddressLimit, AdmissionRefusal } from './pool/admission.js'
export {
  type MaintenanceBounds,
  MaintenanceConfigError,
  maintenanceBounds,
} from './pool/connection-bounds.js'
export type { EvictionRules } from './pool/eviction.js'
export {
  type ConnectionEvent,
  type ConnectionInfo,
  type ConnectionMetadataConfig,
  ConnectionRefusedError,
  connectionCeiling,
  NotConnectedError,
  type P2pConfig,
  P2pConfigError,
  type P2pConfigInput,
  P2pNotRunningError,
  type PeerEvent,
  type PeerEventKind,
  type PeerInfo,
  type PeerMetadataConfig,
  type PeerState,
  type PointEvent,
  type PointEventKind,
  type PointInfo,
  type PointState,
  type PoolEvents,
  parseP2pConfig,
  type ReceivedMessage,
  type RefusalReason,
  type ResolvedAddress,
  ResolveError,
  type Resolver,
  type SwapEvent,
  type SwapIgnoredReason,
  systemResolver,
} from './pool/index.js'
export {
  type ComponentRule,
  SCORE_COMPONENTS,
  type ScoreComponent,
  type ScoreDetail,
  type ScoreRules,
} from './pool/peer-score.js'
export type { LoadResult, StateStoreLogger } from './pool/persistence/state-store.js'
export type { SlotCounts } from './pool/pool.js'
export {
  type CloseReason,
  ConnectionClosedError,
  DialError,
  describeCloseReason,
  HandshakeError,
  type HandshakeErrorCode,
  type HandshakeFailureCause,
} from './socket/index.js'
export {
  type ApplicationMessage,
  type BoundedOptions,
  type BytesOptions,
  bool,
  bytes,
  constant,
  DecodeError,
  type DecodeErrorReason,
  type DynamicSizeOptions,
  decode,
  defineMessages,
  dynamicSize,
  EncodeError,
  type EncodeErrorReason,
  type Encoding,
  type EncodingKind,
  encode,
  enumeration,
  fixedBytes,
  InvalidPointError,
  int8,
  int16,
  int32,
  int64,
  type ListOptions,
  list,
  listToEnd,
  type MessageDefinition,
  type MessageRegistry,
  type Metadata,
  metadataEncoding,
  type ObjValue,
  obj,
  type P2pMessage,
  string,
  type UnionCase,
  type UnionCases,
  type UnionOptions,
  uint8,
  uint16,
  uint32,
  union,
  type ValueOf,
} from './wire/index.js'
export type { StepReason, StepReport } from './workers/maintenance.js'
export { ListenError } from './workers/welcome.js'
