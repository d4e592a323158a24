// Local peers of ours speaking Octez's shell messages on mainnet's chain name (heads on demand, or
// a malformed Current_head), and an observer started as `dune-node run --network mainnet --peer …`.
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { applyOverrides } from '../../src/node/config-overrides.js'
import { NETWORK_PRESETS } from '../../src/node/network-presets.js'
import { parseNodeConfig } from '../../src/node/node-config.js'
import { type ObserverNode, startNode } from '../../src/node/observer-node.js'
import {
  BLOCK_HASH,
  type BlockHeader,
  CONTEXT_HASH,
  hashToB58,
  OCTEZ_DISTRIBUTED_DB_VERSIONS,
  type OctezMessage,
  OPERATION_LIST_LIST_HASH,
  octezMessageDefinitions,
  octezMessages,
} from '../../src/octez/index.js'
import { createP2p, type P2p } from '../../src/p2p.js'
import { defineMessages, fixedBytes } from '../../src/wire/index.js'
import { testIdentity } from './identities.js'
import { SHIPPED_TEST_POW } from './shipped-node.js'

export const mainnet = NETWORK_PRESETS.mainnet

export function header(level: number): BlockHeader {
  return {
    level,
    proto: 21,
    predecessor: hashToB58(BLOCK_HASH, Buffer.alloc(32, level % 251)),
    timestamp: 1_750_000_000n + BigInt(level),
    validationPass: 4,
    operationsHash: hashToB58(OPERATION_LIST_LIST_HASH, Buffer.alloc(32, 8)),
    fitness: [Buffer.from('02', 'hex'), Buffer.from(level.toString(16).padStart(8, '0'), 'hex')],
    context: hashToB58(CONTEXT_HASH, Buffer.alloc(32, 9)),
    protocolData: Buffer.from('00112233', 'hex'),
  }
}

export const emptyMempool = { knownValid: [], pending: [] }

export interface OctezPeer {
  readonly p2p: P2p<OctezMessage>
  level: number
  readonly asked: string[]
}

/** A peer of ours on `chainName` (mainnet's by default): answers Get_current_head (and, if `branch`, Get_current_branch). */
export async function octezPeer(
  host: string,
  level: number,
  branch: boolean,
  chainName: string = mainnet.chainName,
): Promise<OctezPeer> {
  const p2p = await createP2p(
    {
      identity: testIdentity(SHIPPED_TEST_POW),
      chainName,
      distributedDbVersions: [...OCTEZ_DISTRIBUTED_DB_VERSIONS],
      expectedProofOfWork: SHIPPED_TEST_POW,
      listenHost: host,
      listenPort: 0,
      localAddress: host,
      maintenance: { enabled: false },
    },
    { messages: octezMessages },
  )
  const peer: OctezPeer = { p2p, level, asked: [] }
  await p2p.start()
  void (async () => {
    for await (const { peer: from, message } of p2p) {
      peer.asked.push(message.name)
      if (message.name === 'get_current_head') {
        p2p.trySend(from, {
          name: 'current_head',
          value: {
            chainId: message.value.chainId,
            currentBlockHeader: header(peer.level),
            currentMempool: emptyMempool,
          },
        })
      } else if (message.name === 'get_current_branch' && branch) {
        p2p.trySend(from, {
          name: 'current_branch',
          value: {
            chainId: message.value.chainId,
            currentBranch: { currentHead: header(peer.level), history: [] },
          },
        })
      }
    }
  })()
  return peer
}

/** A peer whose "Current_head" is 3 bytes: a malformed shell message for the observer. */
export async function malformedPeer(host: string): Promise<P2p<unknown>> {
  const messages = defineMessages({
    get_current_branch: octezMessageDefinitions.get_current_branch,
    get_current_head: octezMessageDefinitions.get_current_head,
    bogus_head: { tag: 0x14, encoding: fixedBytes(3), maxSize: 3 },
  })
  const p2p = await createP2p(
    {
      identity: testIdentity(SHIPPED_TEST_POW),
      chainName: mainnet.chainName,
      distributedDbVersions: [...OCTEZ_DISTRIBUTED_DB_VERSIONS],
      expectedProofOfWork: SHIPPED_TEST_POW,
      listenHost: host,
      listenPort: 0,
      localAddress: host,
      maintenance: { enabled: false },
    },
    { messages },
  )
  await p2p.start()
  void (async () => {
    for await (const { peer, message } of p2p) {
      if (message.name === 'get_current_head') {
        p2p.trySend(peer, { name: 'bogus_head', value: Buffer.from('abcdef', 'hex') })
      }
    }
  })()
  return p2p as P2p<unknown>
}

/**
 * What `dune-node run --network mainnet --net-addr HOST:0 --rpc-addr HOST:0 --peer … --expected-pow 4`
 * starts: only what a test machine needs differs; --peer replaces the preset's public names.
 */
export async function startObserver(host: string, peers: readonly string[]): Promise<ObserverNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dune-observer-'))
  const raw = applyOverrides(
    {},
    {
      dataDir,
      network: 'mainnet',
      netAddr: `${host}:0`,
      rpcAddr: `${host}:0`,
      peer: [...peers],
      expectedPow: String(SHIPPED_TEST_POW),
      logLevel: 'silent',
    },
  )
  const config = parseNodeConfig(raw, 'the flags', dataDir)
  assert.equal(config.chain_name, 'TEZOS_MAINNET')
  assert.ok(
    config.p2p.bootstrap_peers.every((p) => p.startsWith('127.0.0.')),
    'no public name',
  )
  const started = await startNode(config)
  assert.ok('observer' in started, 'a network preset runs the observer')
  return started
}
