// The shell's data in Octez's binary form (src/lib_base): block headers, operations, mempools,
// block locators, protocols and the Merkle path of an operation list, with Octez's size bounds.
import {
  bytes,
  dynamicSize,
  int32,
  int64,
  list,
  listToEnd,
  obj,
  string,
  uint8,
  uint16,
} from '../wire/combinators.js'
import type { Encoding } from '../wire/encoding.js'
import { EncodeError } from '../wire/errors.js'
import {
  blockHashEncoding,
  contextHashEncoding,
  OPERATION_HASH,
  operationHashEncoding,
  operationListListHashEncoding,
} from './hashes.js'
import { bytesToEnd, checkSize, optional } from './octez-combinators.js'

// Octez's bounds (distributed_db_message.ml, Bounded_encoding).
/** Largest block header, 8 MiB. */
export const BLOCK_HEADER_MAX_SIZE = 8 * 1024 * 1024
/** Most predecessors a block locator lists, 1000. */
export const BLOCK_LOCATOR_MAX_LENGTH = 1000
/** Largest operation, 128 KiB. */
export const OPERATION_MAX_SIZE = 128 * 1024
/** Largest list of the operations of one validation pass, 1 MiB. */
export const OPERATION_LIST_MAX_SIZE = 1024 * 1024
/** Most validation passes, 8 (bounds the Merkle path to 3 levels, 100 bytes). */
export const OPERATION_MAX_PASS = 8
/** Largest protocol, 2 MiB. */
export const PROTOCOL_MAX_SIZE = 2 * 1024 * 1024
/** Mempool bound: 8 + 4000 hashes of 32 bytes (so at most 3,999 hashes with its three length prefixes). */
export const MEMPOOL_MAX_OPERATIONS = 4000
export const MEMPOOL_MAX_SIZE = 8 + MEMPOOL_MAX_OPERATIONS * OPERATION_HASH.size

/** A block header: the shell fields, then the protocol's data, kept as bytes. */
export interface BlockHeader {
  /** Height of the block (int32). */
  readonly level: number
  /** Number of protocol changes since genesis (uint8). */
  readonly proto: number
  /** Block hash of the predecessor ("B…"). */
  readonly predecessor: string
  /** Seconds since the Unix epoch (int64). */
  readonly timestamp: bigint
  /** Number of validation passes, i.e. of operation lists (uint8). */
  readonly validationPass: number
  /** Root of the Merkle tree of the operation lists ("LLo…"). */
  readonly operationsHash: string
  /** Protocol-defined byte strings; compared by length, then lexicographically. */
  readonly fitness: Buffer[]
  /** Hash of the context after the block ("Co…"). */
  readonly context: string
  /** The protocol's part of the header, opaque to the shell. */
  readonly protocolData: Buffer
}

/** Fitness: a u32 byte length, then u32-length-prefixed byte strings. */
const fitnessEncoding = list(bytes({ max: BLOCK_HEADER_MAX_SIZE }), { maxLength: BLOCK_HEADER_MAX_SIZE / 4 })

/** The shell header and protocol data, at most 8 MiB (Octez's `Block_header.bounded_encoding`). */
export const blockHeaderEncoding: Encoding<BlockHeader> = checkSize(
  BLOCK_HEADER_MAX_SIZE,
  obj('block_header', {
    level: int32,
    proto: uint8,
    predecessor: blockHashEncoding,
    timestamp: int64,
    validationPass: uint8,
    operationsHash: operationListListHashEncoding,
    fitness: fitnessEncoding,
    context: contextHashEncoding,
    protocolData: bytesToEnd(BLOCK_HEADER_MAX_SIZE),
  }),
)

/** An operation: the block it is meant to apply on, then the protocol's bytes. */
export interface Operation {
  /** Block hash ("B…"). */
  readonly branch: string
  readonly data: Buffer
}

/** An operation, at most 128 KiB. */
export const operationEncoding: Encoding<Operation> = checkSize(
  OPERATION_MAX_SIZE,
  obj('operation', { branch: blockHashEncoding, data: bytesToEnd(OPERATION_MAX_SIZE) }),
)

/** The operations a node gossips: hashes of valid and of pending operations ("o…"). */
export interface Mempool {
  readonly knownValid: string[]
  readonly pending: string[]
}

const mempoolHashes = list(operationHashEncoding, { maxLength: MEMPOOL_MAX_OPERATIONS })

/** `known_valid` (a list), then `pending` (a list in a second length prefix); 128,008 bytes at most. */
export const mempoolEncoding: Encoding<Mempool> = checkSize(
  MEMPOOL_MAX_SIZE,
  obj('mempool', { knownValid: mempoolHashes, pending: dynamicSize(mempoolHashes) }),
)

/** A sparse list of a chain's blocks: its head's header, then predecessors' hashes. */
export interface BlockLocator {
  readonly currentHead: BlockHeader
  readonly history: string[]
}

/** The head's header in a u32 length prefix, then at most 1000 block hashes to the end. */
export const blockLocatorEncoding: Encoding<BlockLocator> = obj('block_locator', {
  currentHead: dynamicSize(blockHeaderEncoding),
  history: listToEnd(blockHashEncoding, { maxLength: BLOCK_LOCATOR_MAX_LENGTH }),
})

/** One module of a protocol's sources. */
export interface ProtocolComponent {
  readonly name: string
  /** Undefined (the decoder sets it so) when the component has no interface file. */
  readonly interface?: string | undefined
  readonly implementation: string
}

/** A protocol's sources, as a node that lacks it fetches them. */
export interface Protocol {
  /** Version of the environment it is compiled against (uint16). */
  readonly expectedEnvVersion: number
  readonly components: ProtocolComponent[]
}

const sourceText = string({ max: PROTOCOL_MAX_SIZE })
const componentEncoding: Encoding<ProtocolComponent> = obj('component', {
  name: sourceText,
  interface: optional(sourceText),
  implementation: sourceText,
}) as Encoding<ProtocolComponent>

/** A protocol, at most 2 MiB. */
export const protocolEncoding: Encoding<Protocol> = checkSize(
  PROTOCOL_MAX_SIZE,
  obj('protocol', {
    expectedEnvVersion: uint16,
    // A component takes at least 13 bytes (two empty strings and an absent interface).
    components: list(componentEncoding, { maxLength: Math.floor(PROTOCOL_MAX_SIZE / 13) }),
  }),
)

/**
 * Where one operation list sits in the Merkle tree of a block's lists: from the root, `left`
 * (the list is in the left subtree; `right` is the other subtree's hash) or `right`, down to `op`.
 */
export type OperationPath =
  | { readonly kind: 'op' }
  | { readonly kind: 'left'; readonly path: OperationPath; readonly right: string }
  | { readonly kind: 'right'; readonly left: string; readonly path: OperationPath }

const PATH_LEFT = 0xf0
const PATH_RIGHT = 0x0f
const PATH_OP = 0x00
/** Levels below the root of a tree of 8 lists (Octez's log2 of max_pass). */
const PATH_MAX_DEPTH = 3
/** Octez's check_size of the path: 3 * (32 + 1) + 1 bytes. */
export const OPERATION_PATH_MAX_SIZE = PATH_MAX_DEPTH * 33 + 1

function pathSize(p: OperationPath, depth: number): number {
  if (depth > PATH_MAX_DEPTH) {
    throw new EncodeError(
      'length_over_bound',
      `a path deeper than ${PATH_MAX_DEPTH} levels exceeds ${OPERATION_PATH_MAX_SIZE} bytes`,
    )
  }
  switch (p?.kind) {
    case 'op':
      return 1
    case 'left':
    case 'right':
      return 33 + pathSize(p.path, depth + 1)
    default:
      throw new EncodeError(
        'invalid_value',
        `no path step of kind ${String((p as { kind?: unknown })?.kind)}`,
      )
  }
}

/** The path in Octez's recursive union: 0xf0 path right | 0x0f left path | 0x00. */
export const operationPathEncoding: Encoding<OperationPath> = {
  name: 'operation_hashes_path',
  kind: 'dynamic',
  maxSize: OPERATION_PATH_MAX_SIZE,
  sizeOf: (p) => pathSize(p, 0),
  write(p, buf, offset) {
    pathSize(p, 0)
    const put = (q: OperationPath, at: number): number => {
      switch (q.kind) {
        case 'op':
          buf[at] = PATH_OP
          return at + 1
        case 'left':
          buf[at] = PATH_LEFT
          return operationListListHashEncoding.write(q.right, buf, put(q.path, at + 1))
        case 'right':
          buf[at] = PATH_RIGHT
          return put(q.path, operationListListHashEncoding.write(q.left, buf, at + 1))
      }
    }
    return put(p, offset)
  },
  read(r) {
    const get = (depth: number): OperationPath => {
      const at = r.pos
      const tag = r.u8()
      if (tag === PATH_OP) return { kind: 'op' }
      if (tag !== PATH_LEFT && tag !== PATH_RIGHT) {
        return r.fail('unknown_tag', `unknown path tag 0x${tag.toString(16).padStart(2, '0')}`, at)
      }
      if (depth === PATH_MAX_DEPTH) {
        return r.fail(
          'length_over_bound',
          `path deeper than ${PATH_MAX_DEPTH} levels (over ${OPERATION_PATH_MAX_SIZE} bytes)`,
          at,
        )
      }
      if (tag === PATH_LEFT) {
        const path = get(depth + 1)
        return { kind: 'left', path, right: operationListListHashEncoding.read(r) }
      }
      const left = operationListListHashEncoding.read(r)
      return { kind: 'right', left, path: get(depth + 1) }
    }
    return get(0)
  },
}

/** The operations of one validation pass: at most 1 MiB of operations, each in a u32 length prefix. */
export const operationListEncoding: Encoding<Operation[]> = checkSize(
  OPERATION_LIST_MAX_SIZE,
  // An operation takes at least 36 bytes with its prefix; Octez bounds the list by size only.
  listToEnd(dynamicSize(operationEncoding), { maxLength: Math.floor(OPERATION_LIST_MAX_SIZE / 36) }),
)
