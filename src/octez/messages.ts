// Octez's distributed-DB (shell) messages as a message set for createP2p: tags, encodings and
// size bounds of src/lib_shell/distributed_db_message.ml, hashes as Octez prints them.
import { dynamicSize, int8, int32, list, listToEnd, obj, uint8 } from '../wire/combinators.js'
import type { Encoding } from '../wire/encoding.js'
import {
  type ApplicationMessage,
  defineMessages,
  type MessageDefinition,
  type MessageRegistry,
} from '../wire/p2p-message.js'
import { blockHashEncoding, chainIdEncoding, operationHashEncoding, protocolHashEncoding } from './hashes.js'
import { checkSize } from './octez-combinators.js'
import {
  type BlockHeader,
  type BlockLocator,
  blockHeaderEncoding,
  blockLocatorEncoding,
  type Mempool,
  mempoolEncoding,
  OPERATION_LIST_MAX_SIZE,
  type Operation,
  type OperationPath,
  operationEncoding,
  operationListEncoding,
  operationPathEncoding,
  type Protocol,
  protocolEncoding,
} from './shell-encodings.js'

/** Most hashes one request (Get_block_headers, Get_operations, ...) names: 10. */
export const MAX_REQUESTED_HASHES = 10

/** A block and one of its validation passes (int8, as Octez encodes it). */
export interface BlockPass {
  readonly hash: string
  readonly validationPass: number
}

const hashes = (enc: Encoding<string>) => list(enc, { maxLength: MAX_REQUESTED_HASHES })
const blockPass = obj('block', { hash: blockHashEncoding, validationPass: int8 })
const blockPasses = list(blockPass, { maxLength: MAX_REQUESTED_HASHES })

function message<V>(tag: number, encoding: Encoding<V>): MessageDefinition<V> {
  return { tag, encoding, maxSize: encoding.maxSize }
}

/** The definitions of every shell message, by Octez's title in snake_case. */
export const octezMessageDefinitions = {
  get_current_branch: message(0x10, obj('get_current_branch', { chainId: chainIdEncoding })),
  current_branch: message(
    0x11,
    obj('current_branch', { chainId: chainIdEncoding, currentBranch: blockLocatorEncoding }),
  ),
  deactivate: message(0x12, obj('deactivate', { chainId: chainIdEncoding })),
  get_current_head: message(0x13, obj('get_current_head', { chainId: chainIdEncoding })),
  current_head: message(
    0x14,
    obj('current_head', {
      chainId: chainIdEncoding,
      currentBlockHeader: dynamicSize(blockHeaderEncoding),
      currentMempool: mempoolEncoding,
    }),
  ),
  get_block_headers: message(0x20, obj('get_block_headers', { blockHashes: hashes(blockHashEncoding) })),
  block_header: message(0x21, obj('block_header', { blockHeader: blockHeaderEncoding })),
  get_operations: message(0x30, obj('get_operations', { operationHashes: hashes(operationHashEncoding) })),
  operation: message(0x31, obj('operation', { operation: operationEncoding })),
  get_protocols: message(0x40, obj('get_protocols', { protocolHashes: hashes(protocolHashEncoding) })),
  protocol: message(0x41, obj('protocol', { protocol: protocolEncoding })),
  get_operation_hashes_for_blocks: message(
    0x50,
    obj('get_operation_hashes_for_blocks', { blocks: blockPasses }),
  ),
  operation_hashes_for_blocks: message(
    0x51,
    obj('operation_hashes_for_blocks', {
      hash: blockHashEncoding,
      validationPass: int8,
      operationHashesPath: operationPathEncoding,
      // Octez bounded this list by nothing but the frame; we bound it as an operation list, 1 MiB.
      operationHashes: checkSize(
        OPERATION_LIST_MAX_SIZE,
        listToEnd(operationHashEncoding, { maxLength: OPERATION_LIST_MAX_SIZE / 32 }),
      ),
    }),
  ),
  get_operations_for_blocks: message(0x60, obj('get_operations_for_blocks', { blocks: blockPasses })),
  operations_for_blocks: message(
    0x61,
    obj('operations_for_blocks', {
      hash: blockHashEncoding,
      validationPass: int8,
      operationHashesPath: operationPathEncoding,
      operations: operationListEncoding,
    }),
  ),
  get_checkpoint: message(0x70, obj('get_checkpoint', { chainId: chainIdEncoding })),
  checkpoint: message(0x71, obj('checkpoint', { chainId: chainIdEncoding, header: blockHeaderEncoding })),
  get_protocol_branch: message(
    0x80,
    obj('get_protocol_branch', { chainId: chainIdEncoding, protoLevel: uint8 }),
  ),
  protocol_branch: message(
    0x81,
    obj('protocol_branch', { chainId: chainIdEncoding, protoLevel: uint8, locator: blockLocatorEncoding }),
  ),
  get_predecessor_header: message(
    0x90,
    obj('get_predecessor_header', { block: blockHashEncoding, offset: int32 }),
  ),
  predecessor_header: message(
    0x91,
    obj('predecessor_header', { block: blockHashEncoding, offset: int32, header: blockHeaderEncoding }),
  ),
} as const

/** Every shell message: `{ name: 'current_head', value: { chainId, currentBlockHeader, currentMempool } } | ...`. */
export type OctezMessage = ApplicationMessage<typeof octezMessageDefinitions>
/** The name of a shell message. */
export type OctezMessageName = OctezMessage['name']
/** The value of the shell message called `N`. */
export type OctezMessageValue<N extends OctezMessageName> = Extract<OctezMessage, { name: N }>['value']

/** The message set to give createP2p: `createP2p(config, { messages: octezMessages })`. */
export const octezMessages: MessageRegistry<OctezMessage> = defineMessages(octezMessageDefinitions)

/** The distributed_db_versions Octez speaks: 0 (to 2020), 1 (adds 0x70-0x91), 2 (today, no new message). */
export const OCTEZ_DISTRIBUTED_DB_VERSIONS: readonly number[] = [0, 1, 2]

const SINCE_VERSION_1 = new Set<OctezMessageName>([
  'get_checkpoint',
  'checkpoint',
  'get_protocol_branch',
  'protocol_branch',
  'get_predecessor_header',
  'predecessor_header',
])
const LEGACY = new Set<OctezMessageName>(['get_operation_hashes_for_blocks', 'operation_hashes_for_blocks'])

/**
 * Whether a peer that negotiated `distributedDbVersion` understands the message `name`.
 * The encodings are the same in every version; version 1 added checkpoint, protocol branch and
 * predecessor header, and 0x50/0x51 were only known by Octez releases before mid-2020 (still
 * version 0), so they are never sent: a node of today cannot decode them.
 */
export function spokenAt(name: OctezMessageName, distributedDbVersion: number): boolean {
  if (LEGACY.has(name)) return false
  if (SINCE_VERSION_1.has(name)) return distributedDbVersion >= 1
  return true
}

export type { BlockHeader, BlockLocator, Mempool, Operation, OperationPath, Protocol }
