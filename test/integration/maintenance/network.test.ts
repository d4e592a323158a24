// The maintenance on a network of 14 real nodes on 127.0.30.x that start knowing only a seed:
// every node reaches its thresholds, a newcomer knowing one peer learns the rest through
// Bootstrap/Advertise, and a node whose peers die steps at once ('too_few') and recovers.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import type { StepReport } from '../../../src/p2p.js'
import { type ChatNode, pointOf, startNode, until } from '../pool/nodes.js'
import { maintainedConfig, startNetwork, withinBounds } from './network.js'

describe('maintenance on a network', () => {
  const nodes: ChatNode[] = []
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
  })
  let network: ChatNode[] = []

  test('from only a bootstrap list, every node gets within [min_threshold, max_threshold]', async () => {
    network = await startNetwork('127.0.30', 14, nodes)
    const { minThreshold, maxThreshold } = network[0]!.maintenanceBounds
    assert.deepEqual([minThreshold, maxThreshold], [4, 8])
    await until(() => network.every(withinBounds), 'every node within its thresholds', 20_000)
    for (const node of network) assert.ok(node.connections().length <= node.config.maxConnections)
    // Nodes met others than the seed: the seed cannot hold 13 connections within 8.
    const seedPoint = pointOf(network[0]!)
    assert.ok(network.slice(1).some((n) => n.connections().every((c) => c.point !== seedPoint)))
  })

  test('a newcomer knowing one peer learns others through Bootstrap/Advertise and reaches its min', async () => {
    const reports: StepReport[] = []
    const newcomer = await startNode(
      '127.0.30.50',
      maintainedConfig({ bootstrapPeers: [pointOf(network[5]!)], maintenance: { periodMs: 60_000 } }),
    )
    nodes.push(newcomer)
    newcomer.on('maintenance', (r) => reports.push(r))
    await until(() => withinBounds(newcomer), 'the newcomer within its thresholds', 15_000)
    assert.ok(
      reports.some((r) => r.bootstrapSent > 0),
      'a step sent Bootstrap once its one candidate was used',
    )
    assert.ok(newcomer.points().length > 1)
  })

  test("a node whose peers die steps at once ('too_few') and gets back within its thresholds", async () => {
    const victim = network[3]!
    const reasons: string[] = []
    victim.on('maintenance', (r) => reasons.push(r.reason))
    const peers = new Set(victim.connections().map((c) => c.peerId))
    const [kept, ...killed] = nodes.filter((n) => n !== victim && peers.has(n.peerId))
    assert.ok(kept !== undefined && killed.length >= 3)
    await Promise.all(killed.map((n) => n.stop()))
    await until(() => reasons.includes('too_few'), "a 'too_few' step", 10_000)
    const alive = nodes.filter((n) => n.running)
    await until(() => withinBounds(victim), 'the node back within its thresholds', 15_000)
    assert.ok(victim.connections().every((c) => alive.some((n) => n.peerId === c.peerId)))
  })
})
