// Inbound and outbound slots on real nodes: the outbound minimum held while 500 peers of one /16
// dial in, the ceiling never exceeded under a storm with eviction churning, eviction order and grace.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { defined } from '../../support/defined.js'
import type { ChatNode } from '../../support/p2p-nodes.js'
import { EVICT_ANYONE, nodeFixture, pointOf } from '../../support/p2p-nodes.js'
import { waitUntil } from '../../support/wait.js'
import { release, storm } from './attackers.js'

/** Records the most connections, and inbound ones, the node ever held (checked at each connection). */
function watchPeaks(node: ChatNode) {
  const peak = { total: 0, inbound: 0, outboundLost: 0 }
  node.on('connection', () => {
    const { inbound } = node.stats().slots
    peak.total = Math.max(peak.total, node.connections().length)
    peak.inbound = Math.max(peak.inbound, inbound)
  })
  node.on('disconnection', (e) => {
    if (!e.incoming) peak.outboundLost++
  })
  return peak
}

/** Attacker i's address in the /16 `prefix` (such as 127.66), 250 to a /24. */
const hostIn = (prefix: string, i: number) => `${prefix}.${Math.floor(i / 250)}.${(i % 250) + 1}`

describe('slots', () => {
  const node = nodeFixture()

  test('500 inbound peers from one /16 never take the reserved outbound slots', async () => {
    const honest = await node('127.46.0.1', {
      expectedProofOfWork: 0,
      maxConnections: 20,
      expectedConnections: 10,
      minConnections: 4,
      slots: { minOutbound: 4 },
    })
    const limits = honest.stats().slots
    assert.deepEqual([limits.ceiling, limits.minOutbound, limits.maxInbound], [20, 4, 16])
    const friends: ChatNode[] = []
    for (let i = 2; i <= 5; i++) friends.push(await node(`127.47.0.${i}`))
    for (const f of friends) await honest.connect(pointOf(f))
    const peak = watchPeaks(honest)
    const attack = await storm(pointOf(honest), 500, (i) => hostIn('127.66', i))
    try {
      const slots = honest.stats().slots
      assert.equal(slots.outbound, 4, 'the four outbound connections survived')
      assert.equal(peak.outboundLost, 0)
      assert.equal(slots.inbound, 16, 'the attackers got the inbound slots, no more')
      assert.ok(peak.inbound <= 16, `inbound peaked at ${peak.inbound}`)
      assert.ok(peak.total <= 20, `total peaked at ${peak.total}`)
      assert.equal(attack.held.length, 16)
      assert.ok(attack.refused.get('DUNE_REJECTED_BY_PEER')! > 0, 'the others were refused (Nack)')
      // An outbound peer leaves: its slot stays reserved, more attackers cannot take it, and
      // the node dials out again.
      await honest.disconnect(defined(friends[0]).peerId)
      const more = await storm(pointOf(honest), 20, (i) => hostIn('127.66', 500 + i))
      assert.equal(more.held.length, 0)
      release(more)
      const extra = await node('127.47.0.9')
      await honest.connect(pointOf(extra))
      assert.equal(honest.stats().slots.outbound, 4)
    } finally {
      release(attack)
    }
  })

  test('a storm with no grace period churns the inbound slots by eviction, never past the limits', async () => {
    const honest = await node('127.46.0.2', {
      expectedProofOfWork: 0,
      maxConnections: 12,
      expectedConnections: 6,
      minConnections: 2,
      slots: { minOutbound: 2 },
      eviction: EVICT_ANYONE,
    })
    const friend = await node('127.47.1.1')
    await honest.connect(pointOf(friend))
    const peak = watchPeaks(honest)
    let evicted = 0
    honest.on('evicted', () => evicted++)
    const attack = await storm(pointOf(honest), 200, (i) => hostIn('127.67', i))
    try {
      assert.ok(evicted > 0, 'newcomers replaced older inbound peers')
      assert.ok(peak.inbound <= 10, `inbound peaked at ${peak.inbound} (max 10)`)
      assert.ok(peak.total <= 12, `total peaked at ${peak.total} (ceiling 12)`)
      assert.equal(peak.outboundLost, 0, 'outbound peers are never evicted')
      await waitUntil(() => honest.stats().slots.inbound <= 10, { message: 'the evictions to settle' })
      assert.ok(honest.connection(friend.peerId))
    } finally {
      release(attack)
    }
  })

  test('eviction: grace period, then recent useful peers kept, the youngest of the biggest group goes', async () => {
    const h = await node('127.46.0.3', {
      maxConnections: 10,
      expectedConnections: 5,
      minConnections: 2,
      slots: { maxInbound: 3, minOutbound: 0 },
      eviction: { ...EVICT_ANYONE, graceMs: 400, protectRecentUseful: 1 },
    })
    const a = await node('127.48.0.1')
    const b1 = await node('127.49.0.1')
    const b2 = await node('127.49.0.2')
    const out = await node('127.50.0.1')
    for (const p of [a, b1, b2]) {
      await p.connect(pointOf(h))
      await waitUntil(() => h.connection(p.peerId) !== undefined, { message: 'h to adopt the peer' })
    }
    await h.connect(pointOf(out))
    const c1 = await node('127.51.0.1')
    // Within the grace period nobody may be evicted: the newcomer is refused.
    await assert.rejects(
      c1.connect(pointOf(h)),
      (err: { motive?: string }) => err.motive === 'too_many_connections',
    )
    await new Promise((resolve) => setTimeout(resolve, 450))
    const evictions: string[] = []
    h.on('evicted', (e) => evictions.push(e.peerId))
    h.reportUseful(b2.peerId)
    // Candidates a (127.48/16) and b1 (127.49/16, b2 protected): equal groups, b1 the youngest.
    await c1.connect(pointOf(h))
    assert.deepEqual(evictions, [b1.peerId])
    await waitUntil(() => h.connection(b1.peerId) === undefined, { message: 'b1 to be closed' })
    assert.ok(h.connection(out.peerId), 'the outbound peer is never a candidate')
    await waitUntil(() => h.connection(c1.peerId) !== undefined, { message: 'h to adopt c1' })
    assert.ok(h.connection(a.peerId) && h.connection(b2.peerId))
    assert.equal(h.stats().slots.inbound, 3)
  })
})
