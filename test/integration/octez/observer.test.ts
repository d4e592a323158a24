// The observer of `dune-node run --network mainnet` (bootstrap peers overridden to local peers of
// ours that speak the shell messages, 127.0.0.x): heads in /network/peers, list peers, /metrics.
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { main as adminClient } from '../../../src/cli/dune-admin-client.js'
import { applyOverrides } from '../../../src/node/config-overrides.js'
import { NETWORK_PRESETS } from '../../../src/node/network-presets.js'
import { parseNodeConfig } from '../../../src/node/node-config.js'
import { blockHashOf } from '../../../src/node/observer.js'
import { type ObserverNode, startNode } from '../../../src/node/observer-node.js'
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
} from '../../../src/octez/index.js'
import { createP2p, type P2p } from '../../../src/p2p.js'
import type { PeerJson } from '../../../src/rpc/shapes.js'
import { defineMessages, fixedBytes } from '../../../src/wire/index.js'
import { waitFor } from '../../support/admin-nodes.js'
import { testIdentity } from '../../support/identities.js'
import { SHIPPED_TEST_POW } from '../../support/shipped-node.js'
import { pointOf } from '../pool/nodes.js'

const mainnet = NETWORK_PRESETS.mainnet

function header(level: number): BlockHeader {
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

const emptyMempool = { knownValid: [], pending: [] }

interface OctezPeer {
  readonly p2p: P2p<OctezMessage>
  level: number
  readonly asked: string[]
}

/** A peer of ours on mainnet's chain name: answers Get_current_head (and, if `branch`, Get_current_branch). */
async function octezPeer(host: string, level: number, branch: boolean): Promise<OctezPeer> {
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
async function malformedPeer(host: string): Promise<P2p<unknown>> {
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

async function admin(url: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await adminClient(args, {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: { DUNE_ADMIN_ENDPOINT: url },
  })
  return { code, out, err }
}

describe('the observer (--network mainnet, bootstrap peers overridden to local peers)', () => {
  const peers: OctezPeer[] = []
  let bad: P2p<unknown>
  let node: ObserverNode

  before(async () => {
    peers.push(
      await octezPeer('127.0.0.81', 5_000_100, true),
      await octezPeer('127.0.0.82', 5_000_101, false),
      await octezPeer('127.0.0.83', 5_000_105, false),
    )
    bad = await malformedPeer('127.0.0.84')
    const dataDir = mkdtempSync(join(tmpdir(), 'dune-observer-'))
    // What `dune-node run --network mainnet --peer … --expected-pow 4` resolves to: only the flags
    // that a test machine needs differ; --peer replaces the preset's public names (never dialed).
    const raw = applyOverrides(
      {},
      {
        dataDir,
        network: 'mainnet',
        netAddr: '127.0.0.80:0',
        rpcAddr: '127.0.0.80:0',
        peer: [...peers.map((p) => pointOf(p.p2p)), pointOf(bad)],
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
    node = started
  })

  after(async () => {
    await node?.stop()
    await Promise.all([...peers.map((p) => p.p2p.stop()), bad?.stop()])
  })

  test('connects with Octez versions and asks each peer for its head, claiming none', async () => {
    await waitFor('three heads', () => node.observer.levels().peers === 3)
    for (const peer of peers) {
      const c = node.p2p.connection(peer.p2p.peerId)
      assert.ok(c, 'connected')
      assert.equal(c.version.chainName, 'TEZOS_MAINNET')
      assert.equal(c.version.distributedDbVersion, 2)
      const seen = peer.p2p.connection(node.peerId)
      assert.equal(seen?.metadata.disableMempool, true, 'the observer announces it wants no mempool')
      assert.deepEqual(peer.asked.slice(0, 2), ['get_current_branch', 'get_current_head'])
      assert.ok(!peer.asked.includes('current_head') && !peer.asked.includes('current_branch'))
    }
  })

  test('/network/peers shows each peer head, list peers a HEAD column, /metrics the levels', async () => {
    const url = node.rpcUrl!
    await waitFor('three heads', () => node.observer.levels().peers === 3)
    const listed = (await (await fetch(`${url}/network/peers`)).json()) as PeerJson[]
    for (const peer of peers) {
      const json = listed.find((p) => p.peer_id === peer.p2p.peerId)
      assert.ok(json?.head, `a head for ${peer.p2p.peerId}`)
      assert.equal(json.head.level, peer.level)
      assert.equal(json.head.block_hash, blockHashOf(header(peer.level)))
      assert.equal(json.head.chain_id, mainnet.chainId)
      assert.equal(json.head.chain_id, 'NetXdQprcVkpaWU')
      assert.equal(json.head.timestamp, new Date((1_750_000_000 + peer.level) * 1000).toISOString())
      assert.deepEqual(json.head.fitness, ['02', peer.level.toString(16).padStart(8, '0')])
      assert.equal(json.head.distributed_db_version, 2)
    }
    const table = await admin(url, ['list', 'peers'])
    assert.equal(table.code, 0, table.err)
    assert.match(table.out.split('\n')[0]!, /\bHEAD\b/)
    for (const peer of peers) {
      const row = table.out.split('\n').find((l) => l.startsWith(peer.p2p.peerId))
      assert.ok(row?.includes(`${peer.level} ${blockHashOf(header(peer.level)).slice(0, 12)}`), row)
    }
    const metrics = await (await fetch(`${url}/metrics`)).text()
    assert.match(metrics, /^dune_p2p_peer_head_level\{stat="highest"\} 5000105$/m)
    assert.match(metrics, /^dune_p2p_peer_head_level\{stat="median"\} 5000101$/m)
    assert.match(metrics, /^dune_p2p_peers_with_head 3$/m)
  })

  test('a malformed shell message scores its peer invalid and closes it; the node carries on', async () => {
    await waitFor('the malformed peer to be disconnected', () => {
      const info = node.p2p.peer(bad.peerId)
      return info !== undefined && info.state === 'disconnected'
    })
    const info = node.p2p.peer(bad.peerId)!
    assert.ok(info.scoreDetail.components.invalid.value > 0, 'scored as invalid input')
    assert.ok(node.p2p.acl.isIpGreylisted('127.0.0.84'), 'greylisted')
    assert.equal(node.observer.head(bad.peerId), undefined)
    // The others stay connected, and a new head they announce is recorded.
    assert.equal(node.p2p.connections().length, 3)
    const first = peers[0]!
    first.level = 5_000_110
    await first.p2p.send(node.peerId, {
      name: 'current_head',
      value: {
        chainId: mainnet.chainId,
        currentBlockHeader: header(first.level),
        currentMempool: emptyMempool,
      },
    })
    await waitFor('the advertised head', () => node.observer.head(first.p2p.peerId)?.level === 5_000_110)
    assert.equal(node.observer.levels().highest, 5_000_110)
  })
})
