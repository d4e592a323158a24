// The admin RPC's view of peer scores and admission control: score details on peers, slots in
// stat, /network/scores and /network/admission, the evicted and low_score events and their metrics.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { peerIdToB58 } from '../../../src/crypto/index.js'
import type { DuneNode } from '../../../src/node/daemon.js'
import { type RpcServer, startRpcServer } from '../../../src/rpc/server.js'
import { defined } from '../../support/defined.js'
import { api, duneNodeFixture, netPoint } from '../../support/dune-nodes.js'
import {
  type ChatNode,
  EVICT_ANYONE,
  pointOf as p2pPointOf,
  startNode,
  stopAll,
} from '../../support/p2p-nodes.js'
import { waitUntil } from '../../support/wait.js'
import { parsePrometheus, readEvents } from './readers.js'

const COMPONENTS = ['handshake_failure', 'invalid', 'oversized', 'uptime', 'useful', 'violation']

/** `actual` within 1e-3 of `expected` (scores decay continuously between two readings). */
function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-3, `${what}: ${actual}, expected about ${expected}`)
}

describe('admin RPC scores, slots and admission rules', () => {
  const start = duneNodeFixture()
  let a: DuneNode
  let b: DuneNode
  before(async () => {
    a = await start('127.0.0.34')
    b = await start('127.0.0.35')
    await a.p2p.connect(netPoint(b))
  })

  test('stat has the slots; a connection its connected_at and latency_ms', async () => {
    const stat = (await api(a, 'GET', '/network/stat')).body
    const slots = a.p2p.stats().slots
    assert.deepEqual(stat.slots, {
      ceiling: slots.ceiling,
      min_outbound: slots.minOutbound,
      max_inbound: slots.maxInbound,
      inbound: 0,
      outbound: 1,
      handshakes: 0,
      max_handshakes: slots.maxHandshakes,
    })
    assert.ok(stat.slots.max_inbound + stat.slots.min_outbound <= stat.slots.ceiling)
    const [connection] = (await api(a, 'GET', '/network/connections')).body
    const info = a.p2p.connection(b.peerId)!
    assert.equal(connection.connected_at, info.connectedAt)
    assert.equal(connection.latency_ms, info.latencyMs)
    assert.ok(connection.latency_ms >= 0)
    assert.ok(connection.connected_at <= Date.now())
  })

  test('a peer reported invalid shows the penalty in its score_detail, in /network/peers and /network/scores', async () => {
    a.p2p.reportInvalid(b.peerId, 2)
    const peer = (await api(a, 'GET', `/network/peers/${b.peerId}`)).body
    const detail = peer.score_detail
    assert.deepEqual(Object.keys(detail.components).sort(), COMPONENTS)
    near(detail.components.invalid.value, 2, 'invalid counter')
    assert.equal(detail.components.invalid.weight, a.p2p.scorePolicy().invalid.weight)
    near(detail.components.invalid.contribution, 2 * detail.components.invalid.weight, 'invalid contribution')
    assert.equal(detail.components.violation.value, 0)
    const sum = Object.values(detail.components).reduce(
      (total: number, c) => total + (c as { contribution: number }).contribution,
      detail.application,
    )
    near(detail.total, sum, 'total = application + contributions')
    assert.equal(peer.score, detail.total)
    assert.ok(detail.total < 0)

    // A second known peer with a clean score: the penalised one is listed first.
    const clean = peerIdToB58(randomBytes(16))
    a.p2p.acl.trustPeer(clean)
    const scores = (await api(a, 'GET', '/network/scores')).body
    const policy = a.p2p.scorePolicy()
    assert.deepEqual(scores.thresholds, {
      disconnect_below: policy.disconnectBelow,
      retain_ms: policy.retainMs,
      max_records: policy.maxRecords,
    })
    assert.deepEqual(Object.keys(scores.rules).sort(), COMPONENTS)
    assert.deepEqual(scores.rules.handshake_failure, {
      weight: policy.handshakeFailure.weight,
      half_life_ms: policy.handshakeFailure.halfLifeMs,
      cap: policy.handshakeFailure.cap,
    })
    const totals = scores.peers.map((p: { score_detail: { total: number } }) => p.score_detail.total)
    assert.deepEqual(
      totals,
      [...totals].sort((x, y) => x - y),
      'lowest total first',
    )
    assert.equal(scores.peers[0].peer_id, b.peerId)
    assert.equal(scores.peers[0].state, 'running')
    near(scores.peers[0].score_detail.components.invalid.value, 2, 'invalid counter in /network/scores')
    const listed = scores.peers.find((p: { peer_id: string }) => p.peer_id === clean)
    assert.equal(listed?.trusted, true)
    assert.equal(listed?.score_detail.total, 0)
    a.p2p.acl.untrustPeer(clean)
  })

  test("the node config's admission and slots sections reach the layer", async () => {
    const c = await start('127.0.0.38', { p2p: { admission: { exempt: [] }, slots: { minOutbound: 1 } } })
    const body = (await api(c, 'GET', '/network/admission')).body
    assert.deepEqual(body.admission.exempt, [])
    assert.equal(body.slots.min_outbound, 1, 'the default (8) would be capped at a quarter of the ceiling: 2')
  })

  test('/network/admission: the slots, the per-address and per-subnet limits, the eviction rules', async () => {
    const body = (await api(a, 'GET', '/network/admission')).body
    const stat = (await api(a, 'GET', '/network/stat')).body
    assert.deepEqual(body.slots, stat.slots)
    assert.deepEqual(body.admission, {
      per_address: { ipv4_bits: 32, ipv6_bits: 56, max_connections: 4, new_per_minute: 20 },
      per_subnet: { ipv4_bits: 16, ipv6_bits: 48, max_connections: 16, new_per_minute: 60 },
      exempt: ['127.0.0.0/8', '::1/128'],
      max_handshakes_in_flight: stat.slots.max_handshakes,
    })
    assert.deepEqual(body.eviction, {
      grace_ms: 60_000,
      protect_groups: 4,
      protect_low_latency: 8,
      protect_recent_useful: 4,
      protect_longest_share: 0.5,
    })
  })
})

describe('admin RPC evicted, low_score and refused events and their metrics', () => {
  let h: ChatNode
  let peers: ChatNode[] = []
  let rpc: RpcServer
  after(async () => {
    await rpc?.close()
    await stopAll(h, ...peers)
  })

  test('an eviction, a low score and a refusal reach /network/log and /metrics', async () => {
    h = await startNode('127.0.12.1', {
      slots: { maxInbound: 1, minOutbound: 0 },
      eviction: EVICT_ANYONE,
    })
    rpc = await startRpcServer({ p2p: h, host: '127.0.12.1', port: 0 })
    peers = await Promise.all(['127.0.12.2', '127.0.12.3', '127.0.12.4'].map((host) => startNode(host)))
    const [x, y, z] = peers
    h.acl.banIp('127.0.12.4')
    const { events } = await readEvents(
      `${rpc.url}/network/log`,
      async () => {
        await x!.connect(p2pPointOf(h))
        await waitUntil(() => h.connection(x!.peerId) !== undefined, { message: 'h to adopt x' })
        await y!.connect(p2pPointOf(h))
        await waitUntil(() => h.connection(y!.peerId) !== undefined, { message: 'h to adopt y' })
        h.reportInvalid(y!.peerId, 20)
        await assert.rejects(z!.connect(p2pPointOf(h)))
      },
      (seen) => ['evicted', 'low_score', 'refused'].every((kind) => seen.some((e) => e.kind === kind)),
    )
    const evicted = events.find((e) => e.kind === 'evicted')!.data
    assert.deepEqual(
      { ...evicted, time: 0 },
      {
        time: 0,
        peer_id: x!.peerId,
        remote_addr: '127.0.12.2',
        newcomer: y!.peerId,
      },
    )
    const low = events.find((e) => e.kind === 'low_score')!.data
    assert.equal(low.peer_id, y!.peerId)
    assert.ok((low.score as number) < h.scorePolicy().disconnectBelow)
    assert.deepEqual(
      { ...events.find((e) => e.kind === 'refused')!.data, time: 0 },
      { time: 0, remote_addr: '127.0.12.4', reason: 'banned' },
    )

    await waitUntil(() => h.connections().length === 0, { message: 'x and y to be gone' })
    const { types, samples } = parsePrometheus(await (await fetch(`${rpc.url}/metrics`)).text())
    assert.equal(samples.get('dune_p2p_evictions_total'), 1)
    assert.equal(samples.get('dune_p2p_low_score_disconnections_total'), 1)
    assert.equal(samples.get('dune_p2p_refused_total{reason="banned"}'), 1)
    assert.equal(types.get('dune_p2p_refused_total'), 'counter')
    assert.equal(types.get('dune_p2p_slots'), 'gauge')
    const slots = h.stats().slots
    assert.equal(samples.get('dune_p2p_slots{kind="inbound"}'), 0)
    assert.equal(samples.get('dune_p2p_slots{kind="outbound"}'), 0)
    assert.equal(samples.get('dune_p2p_slots{kind="max_inbound"}'), 1)
    assert.equal(samples.get('dune_p2p_slots{kind="min_outbound"}'), 0)
    assert.equal(samples.get('dune_p2p_slots{kind="ceiling"}'), slots.ceiling)
    assert.equal(samples.get('dune_p2p_slots{kind="max_handshakes"}'), slots.maxHandshakes)

    // The low-scored peer is greylisted and listed first in /network/scores.
    const scores = (await (await fetch(`${rpc.url}/network/scores`)).json()) as {
      peers: { peer_id: string; score_detail: { components: { invalid: { value: number } } } }[]
    }
    assert.equal(defined(scores.peers[0]).peer_id, y!.peerId)
    assert.ok(defined(scores.peers[0]).score_detail.components.invalid.value > 19)
    assert.ok(h.acl.isPeerGreylisted(y!.peerId))
  })
})
