// The observer of `dune-node run --network mainnet` (bootstrap peers overridden to local peers of
// ours that speak the shell messages, 127.0.0.x): heads in /network/peers, list peers, /metrics.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { main as adminClient } from '../../../src/cli/dune-admin-client.js'
import type { ObserverNode } from '../../../src/node/observer-node.js'
import type { P2p } from '../../../src/p2p.js'
import type { PeerJson } from '../../../src/rpc/shapes.js'
import { blockHashOf } from '../../../src/shell/observer.js'
import { defined } from '../../support/defined.js'
import {
  emptyMempool,
  header,
  mainnet,
  malformedPeer,
  type OctezPeer,
  octezPeer,
  startObserver,
} from '../../support/octez-peers.js'
import { pointOf } from '../../support/p2p-nodes.js'
import { waitUntil } from '../../support/wait.js'

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
    node = await startObserver('127.0.0.80', [...peers.map((p) => pointOf(p.p2p)), pointOf(bad)])
  })

  after(async () => {
    await node?.stop()
    await Promise.all([...peers.map((p) => p.p2p.stop()), bad?.stop()])
  })

  test('connects with Octez versions and asks each peer for its head, claiming none', async () => {
    await waitUntil(() => node.observer.levels().peers === 3, {
      message: 'three heads',
      timeoutMs: 15_000,
      intervalMs: 25,
    })
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
    await waitUntil(() => node.observer.levels().peers === 3, {
      message: 'three heads',
      timeoutMs: 15_000,
      intervalMs: 25,
    })
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
    assert.match(table.out.split('\n')[0] ?? '', /\bHEAD\b/)
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
    await waitUntil(
      () => {
        const info = node.p2p.peer(bad.peerId)
        return info !== undefined && info.state === 'disconnected'
      },
      { message: 'the malformed peer to be disconnected', timeoutMs: 15_000, intervalMs: 25 },
    )
    const info = node.p2p.peer(bad.peerId)!
    assert.ok(info.scoreDetail.components.invalid.value > 0, 'scored as invalid input')
    // Its peer id is greylisted; not its loopback IP, which the shipped admission rules exempt.
    assert.ok(node.p2p.acl.isPeerGreylisted(bad.peerId), 'peer greylisted')
    assert.ok(!node.p2p.acl.isIpGreylisted('127.0.0.84'), 'exempt IP not greylisted')
    assert.equal(node.observer.head(bad.peerId), undefined)
    // The others stay connected, and a new head they announce is recorded.
    assert.equal(node.p2p.connections().length, 3)
    const first = defined(peers[0])
    first.level = 5_000_110
    await first.p2p.send(node.peerId, {
      name: 'current_head',
      value: {
        chainId: mainnet.chainId,
        currentBlockHeader: header(first.level),
        currentMempool: emptyMempool,
      },
    })
    await waitUntil(() => node.observer.head(first.p2p.peerId)?.level === 5_000_110, {
      message: 'the advertised head',
      timeoutMs: 15_000,
      intervalMs: 25,
    })
    assert.equal(node.observer.levels().highest, 5_000_110)
  })

  test('asked for its head or branch, the observer answers nothing (it holds no chain data)', async () => {
    const last = defined(peers[2])
    const before = node.observer.counts().ignored
    await last.p2p.send(node.peerId, { name: 'get_current_head', value: { chainId: mainnet.chainId } })
    await last.p2p.send(node.peerId, { name: 'get_current_branch', value: { chainId: mainnet.chainId } })
    await waitUntil(() => node.observer.counts().ignored >= before + 2, {
      message: 'both requests read',
      timeoutMs: 15_000,
      intervalMs: 25,
    })
    // A disconnection flushes what was queued before its Disconnect: an answer would arrive first.
    const gone = new Promise<void>((resolve) =>
      last.p2p.on('disconnection', (e) => e.peerId === node.peerId && resolve()),
    )
    await node.p2p.disconnect(last.p2p.peerId)
    await gone
    const claims = last.asked.filter(
      (m) => m === 'current_head' || m === 'current_branch' || m === 'deactivate',
    )
    assert.deepEqual(claims, [])
  })
})
