// dune-p2p/wire, the wire layer's public API: the Encoding interface and its entry points, the
// combinators, the stream decoder and the protocol's encodings (points, handshake, P2P messages).
// Node's types (Buffer, sockets) for consumers whose tsconfig lists no "types", as in src/index.ts.
/// <reference types="node" preserve="true" />

export {
  type Ack,
  ackEncoding,
  MAX_NACK_POINTS,
  NACK_MOTIVES,
  type NackMotive,
} from './ack.js'
export {
  type BoundedOptions,
  type BytesOptions,
  bool,
  bytes,
  constant,
  type DynamicSizeOptions,
  dynamicSize,
  enumeration,
  fixedBytes,
  int8,
  int16,
  int32,
  int64,
  type ListOptions,
  list,
  listToEnd,
  type ObjValue,
  obj,
  string,
  type UnionCase,
  type UnionCases,
  type UnionOptions,
  uint8,
  uint16,
  uint32,
  union,
} from './combinators.js'
export {
  type ConnectionMessage,
  connectionMessageEncoding,
  decodeConnectionMessage,
  encodeConnectionMessage,
  MAX_CHAIN_NAME_LENGTH,
} from './connection-message.js'
export {
  decode,
  decodePrefix,
  type Encoding,
  type EncodingKind,
  encode,
  encodeInto,
  type ValueOf,
} from './encoding.js'
export {
  DecodeError,
  type DecodeErrorReason,
  EncodeError,
  type EncodeErrorReason,
  InvalidPointError,
} from './errors.js'
export { type Metadata, metadataEncoding } from './metadata.js'
export {
  type ApplicationMessage,
  advertiseBodyEncoding,
  defineMessages,
  MAX_ADVERTISED_POINTS,
  type MessageDefinition,
  type MessageRegistry,
  MIN_APPLICATION_TAG,
  OCTEZ_MAX_MESSAGE_SIZE,
  type P2pMessage,
  type RawApplicationMessage,
  rawMessages,
  type SwapBody,
  swapBodyEncoding,
} from './p2p-message.js'
export { PEER_ID_SIZE, peerIdEncoding } from './peer-id.js'
export {
  advertisedPointEncoding,
  formatPoint,
  MAX_POINT_LENGTH,
  type Point,
  parsePoint,
  pointEncoding,
  pointSyntaxError,
  pointWireError,
} from './point.js'
/** The cursor an Encoding's `read` is given (a type only: decode and StreamDecoder make readers). */
export type { Reader } from './reader.js'
export { StreamDecoder } from './stream-decoder.js'
