// The maintenance on a network of 14 real nodes on 127.0.30.x that start knowing only a seed:
// every node reaches its thresholds, a newcomer knowing one peer learns the rest through
// Bootstrap/Advertise, and a node whose peers die steps at once ('too_few') and recovers.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { createP2p } from '../../../src/p2p.js'
import type { StepReport } from '../../../src/workers/maintenance.js'
import { defined } from '../../support/defined.js'
import { type ChatNode, chatMessages, nodeConfig, pointOf, startNode } from '../../support/p2p-nodes.js'
import { waitUntil } from '../../support/wait.js'
import { maintainedConfig, startNetwork, withinBounds } from './network.js'

describe('maintenance on a network', () => {
  const nodes: ChatNode[] = []
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
  })
  let network: ChatNode[] = []

  test('from only a bootstrap list, every node gets within [min_threshold, max_threshold]', async () => {
    network = await startNetwork('127.0.30', 14, nodes)
    const { minThreshold, maxThreshold } = defined(network[0]).maintenanceBounds
    assert.deepEqual([minThreshold, maxThreshold], [4, 8])
    await waitUntil(() => network.every(withinBounds), {
      message: 'every node within its thresholds',
      timeoutMs: 20_000,
    })
    for (const node of network) assert.ok(node.connections().length <= node.config.maxConnections)
    // Nodes met others than the seed: the seed cannot hold 13 connections within 8.
    const seedPoint = pointOf(defined(network[0]))
    assert.ok(network.slice(1).some((n) => n.connections().every((c) => c.point !== seedPoint)))
  })

  test('a newcomer knowing one peer asks it with Bootstrap, learns others and reaches its min', async () => {
    // An isolated hub with three peers, none running maintenance: nobody dials the newcomer,
    // so it can only reach its min by asking the hub for points once its one candidate is used.
    const hub = await startNode('127.0.30.60')
    const others = await Promise.all(['127.0.30.61', '127.0.30.62', '127.0.30.63'].map((h) => startNode(h)))
    nodes.push(hub, ...others)
    for (const o of others) await o.connect(pointOf(hub))
    const reports: StepReport[] = []
    const newcomer = await createP2p(
      nodeConfig(
        '127.0.30.64',
        maintainedConfig({ bootstrapPeers: [pointOf(hub)], maintenance: { periodMs: 60_000 } }),
      ),
      { messages: chatMessages },
    )
    nodes.push(newcomer)
    newcomer.on('maintenance', (r) => reports.push(r)) // before start: the first step runs at start
    await newcomer.start()
    await waitUntil(() => withinBounds(newcomer), {
      message: 'the newcomer within its thresholds',
      timeoutMs: 15_000,
    })
    // The first step may still be running (it loops on Bootstrap): maintain() joins it.
    reports.push(await newcomer.maintain())
    assert.ok(
      reports.some((r) => r.bootstrapSent > 0),
      `a step sent Bootstrap once its one candidate was used: ${JSON.stringify(reports)}`,
    )
    const reached = new Set(newcomer.connections().map((c) => c.point))
    for (const o of others) assert.ok(reached.has(pointOf(o)), `it learned and dialed ${pointOf(o)}`)
  })

  test("a node whose peers die steps at once ('too_few') and gets back within its thresholds", async () => {
    const victim = defined(network[3])
    const reasons: string[] = []
    victim.on('maintenance', (r) => reasons.push(r.reason))
    const peers = new Set(victim.connections().map((c) => c.peerId))
    const [kept, ...killed] = nodes.filter((n) => n !== victim && peers.has(n.peerId))
    assert.ok(kept !== undefined && killed.length >= 3)
    await Promise.all(killed.map((n) => n.stop()))
    await waitUntil(() => reasons.includes('too_few'), { message: "a 'too_few' step", timeoutMs: 10_000 })
    const alive = nodes.filter((n) => n.running)
    await waitUntil(() => withinBounds(victim), {
      message: 'the node back within its thresholds',
      timeoutMs: 15_000,
    })
    assert.ok(victim.connections().every((c) => alive.some((n) => n.peerId === c.peerId)))
  })
})
