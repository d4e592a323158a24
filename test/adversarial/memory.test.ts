// Memory has a bound no peer can lift (issue 14, section 1), against dune-node as it ships: a
// peer that stops reading during a gossip flood, and the layer's memory budget.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DEFAULT_WRITE_STALL_TIMEOUT_MS } from '../../src/pool/config.js'
import type { CloseReason } from '../../src/socket/index.js'
import { waitUntil } from '../support/wait.js'
import type { EvilPeer } from './support/evil-peer.js'
import { runNonReaderFlood } from './support/non-reader-flood.js'
import {
  assertServesGoodPeer,
  liveEvil,
  shippedFixture,
  startShippedTarget,
} from './support/shipped-target.js'

const MIB = 1024 * 1024

describe('adversarial: memory (shipped defaults)', () => {
  const start = shippedFixture()

  test('a peer that stops reading during a 20 s unique-gossip flood: out-queue < 16 MiB, RSS +< 64 MiB, closed for its write stall; the good peer keeps receiving', {
    timeout: DEFAULT_WRITE_STALL_TIMEOUT_MS + 90_000,
  }, async (t) => {
    const f = await runNonReaderFlood({ start, subnet: 38, floodSeconds: 20 })
    t.diagnostic(JSON.stringify(f))
    assert.ok(f.outQueueMaxBytes < 16 * MIB, `out-queue reached ${f.outQueueMaxBytes} bytes`)
    assert.ok(f.rssGrowthBytes < 64 * MIB, `RSS grew by ${f.rssGrowthBytes} bytes`)
    assert.ok(f.layerQueuedPeakBytes <= f.memoryBudgetBytes, `layer held ${f.layerQueuedPeakBytes} bytes`)
    assert.ok(f.nonReaderQueueMaxBytes > 0, 'the non-reader queue filled')
    assert.ok(
      f.nonReaderReason?.kind === 'write_stall' || f.nonReaderReason?.kind === 'memory_budget',
      `the non-reader closed for ${JSON.stringify(f.nonReaderReason)}`,
    )
    // The flooders sent twice the relay rate: the excess was dropped, the rest relayed.
    assert.ok(f.relayDropped > 0, 'flood over the relay rate dropped')
    assert.ok(f.goodReceived > 0 && f.goodReceivedWhileStalled > 0, 'the good peer kept receiving')
  })

  test('36 peers that stop reading while the node sends to each: the layer stays under its 64 MiB budget, the biggest holders dropped first', async (t) => {
    const target = await startShippedTarget(start, '127.40.0.1', '127.40.0.2')
    const { node } = target
    const budget = node.p2p.stats().memory.budgetBytes
    const readers: EvilPeer[] = []
    for (let i = 0; i < 36; i++) readers.push(await liveEvil(target, `127.40.1.${i + 1}`))
    const dropped: Array<CloseReason & { kind: 'memory_budget' }> = []
    node.p2p.on('disconnection', (e) => {
      if (e.reason.kind === 'memory_budget') dropped.push(e.reason)
    })
    for (const r of readers) r.stopReading()
    const message = {
      name: 'gossip',
      value: { id: Buffer.alloc(8, 1), origin: Buffer.alloc(16, 2), text: 'b'.repeat(256) },
    } as const
    let highest = 0
    // The node's application sends to every reader as fast as their queues take it.
    const full = new Set<string>()
    while (full.size + dropped.length < readers.length && dropped.length === 0) {
      for (const r of readers) {
        if (full.has(r.peerId)) continue
        for (let k = 0; k < 200; k++) {
          if (!node.p2p.trySend(r.peerId, message)) {
            if (node.p2p.connection(r.peerId)?.stats.outgoingQueueBytes) full.add(r.peerId)
            break
          }
        }
      }
      highest = Math.max(highest, node.p2p.stats().memory.queuedBytes)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await waitUntil(() => dropped.length > 0, {
      message: 'a reader to be dropped for the budget',
      timeoutMs: 20_000,
    })
    const memory = node.p2p.stats().memory
    t.diagnostic(JSON.stringify({ dropped: dropped.length, highest, ...memory }))
    assert.ok(memory.queuedBytes <= budget, `${memory.queuedBytes} bytes queued after shedding`)
    // Shedding runs on the next microtask: one synchronous run of sends may pass the budget a little.
    assert.ok(highest <= budget + 4 * 1024 * 1024, `at most ${highest} bytes queued at a sample`)
    // Each one dropped held the most: a full queue (1 MiB) and the socket's unsent bytes.
    for (const r of dropped) assert.ok(r.queuedBytes > 1024 * 1024, `dropped holding ${r.queuedBytes}`)
    assert.ok(node.p2p.connection(target.good.peerId), 'the good peer (holding nothing) stays')
    for (const r of readers) r.destroy()
    // Every byte reserved is released once the connections are gone (no accounting leak).
    await waitUntil(() => node.p2p.connections().length === 1, { message: 'the readers gone' })
    await waitUntil(() => node.p2p.stats().memory.queuedBytes === 0, { message: 'the budget back to 0' })
    await assertServesGoodPeer(target)
  })
})
