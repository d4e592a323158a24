// The maintenance's triggers and rules on real nodes: the timer, maintain() resolving with its
// step, too many connections cut to max_target sparing trusted peers, greylist GC and greylisted
// points skipped, and candidates spread over network groups (127.41/16 vs 127.42/16).
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { createP2p } from '../../../src/p2p.js'
import { P2pNotRunningError } from '../../../src/pool/index.js'
import type { StepReport } from '../../../src/workers/maintenance.js'
import { type ChatNode, chatMessages, nodeConfig, pointOf, startNode } from '../../support/p2p-nodes.js'
import { maintainedConfig, nextStep } from './network.js'

describe('maintenance triggers and rules', () => {
  const nodes: ChatNode[] = []
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
  })
  const node = async (host: string, overrides = {}) => {
    const n = await startNode(host, overrides)
    nodes.push(n)
    return n
  }
  /** Maintenance only when asked, giving up when candidates run out (no Bootstrap wait). */
  const manual = { maintenance: { enabled: false, bootstrapRounds: 0 } }

  test('the timer runs a step every period', async () => {
    const reasons: string[] = []
    const n = await node(
      '127.0.31.1',
      maintainedConfig({ maintenance: { periodMs: 50, bootstrapRounds: 0 } }),
    )
    n.on('maintenance', (r) => reasons.push(r.reason))
    await nextStep(n, 'timer')
    await nextStep(n, 'timer')
    assert.ok(reasons.filter((r) => r === 'timer').length >= 2)
  })

  test('maintain() runs a step and resolves with its report once it has ended', async () => {
    const a = await node('127.0.31.2', manual)
    const idle = await startNode('127.0.31.3', { connections: 6, ...manual, bootstrapPeers: [pointOf(a)] })
    nodes.push(idle)
    const unstarted = await createP2p(nodeConfig('127.0.31.4'), { messages: chatMessages })
    nodes.push(unstarted)
    await assert.rejects(unstarted.maintain(), P2pNotRunningError)
    const seen: StepReport[] = []
    idle.on('maintenance', (r) => seen.push(r))
    assert.equal(idle.connections().length, 0, 'with enabled: false no step runs by itself')
    const report = await idle.maintain()
    assert.deepEqual(seen, [report])
    assert.equal(report.reason, 'asked')
    assert.equal(report.connected, 1)
    assert.equal(report.after, 1)
    assert.equal(idle.connection(a.peerId)?.point, pointOf(a))
  })

  test('beyond max_threshold a step cuts down to max_target, sparing trusted peers', async () => {
    const hub = await node(
      '127.0.31.10',
      // The ceiling raised to max_connections (9), so that incoming peers can push it past
      // max_threshold; no outbound slots reserved (all 9 may be inbound) and no grace period.
      maintainedConfig({
        maintenance: { periodMs: 60_000, bootstrapRounds: 0 },
        maxThreshold: 9,
        slots: { minOutbound: 0 },
        eviction: { graceMs: 0 },
      }),
    )
    const { maxTarget, maxThreshold } = hub.maintenanceBounds
    assert.deepEqual([maxTarget, maxThreshold], [7, 8])
    const leaves: ChatNode[] = []
    for (let i = 0; i <= maxThreshold; i++) leaves.push(await node(`127.0.31.${11 + i}`))
    const trusted = leaves.slice(0, 2).map((l) => l.peerId)
    for (const peerId of trusted) hub.acl.trustPeer(peerId)
    const cut = nextStep(hub, 'too_many')
    for (const leaf of leaves) await leaf.connect(pointOf(hub))
    const report = await cut
    assert.equal(report.before, maxThreshold + 1)
    assert.equal(report.disconnected, maxThreshold + 1 - maxTarget)
    assert.equal(report.after, maxTarget)
    assert.equal(hub.connections().length, maxTarget)
    for (const peerId of trusted) assert.ok(hub.connection(peerId), 'a trusted peer is never dropped')
  })

  test('each step collects the expired greylist; greylisted points are not dialed', async () => {
    const good = await node('127.0.31.30', manual)
    const shunned = await node('127.0.31.31', manual)
    const n = await node('127.0.31.32', {
      connections: 6,
      ...manual,
      greylistTimeoutMs: 60_000,
      bootstrapPeers: [pointOf(good), pointOf(shunned)],
    })
    n.acl.greylistIp('127.0.31.31', 'test')
    const report = await n.maintain()
    assert.equal(report.connected, 1)
    assert.equal(report.failedDials, 0)
    assert.ok(n.connection(good.peerId))
    assert.equal(n.connection(shunned.peerId), undefined)

    const shortLived = await node('127.0.31.33', { ...manual, greylistTimeoutMs: 1 })
    shortLived.acl.greylistIp('127.0.31.99', 'test')
    shortLived.acl.greylistPeer(good.peerId, 'test')
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal((await shortLived.maintain()).collected, 2)
    assert.equal((await shortLived.maintain()).collected, 0)
  })

  test('candidates are spread over network groups: a lone /16 is dialed before a third from a crowded one', async () => {
    const crowded = [
      await node('127.41.0.1', manual),
      await node('127.41.0.2', manual),
      await node('127.41.0.3', manual),
    ]
    const lone = await node('127.42.0.1', manual)
    // min 1, expected 4, max 6: a step dials up to min_target 3.
    const n = await node('127.43.0.1', {
      ...manual,
      minConnections: 1,
      expectedConnections: 4,
      maxConnections: 6,
      bootstrapPeers: [...crowded, lone].map(pointOf),
    })
    assert.equal(n.maintenanceBounds.minTarget, 3)
    const report = await n.maintain()
    assert.equal(report.connected, 3)
    assert.ok(n.connection(lone.peerId), 'the only point of 127.42/16 is among the three')
  })
})
