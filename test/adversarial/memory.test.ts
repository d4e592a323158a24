// Memory has a bound no peer can lift (issue 14, section 1), against dune-node as it ships: a
// peer that stops reading during a gossip flood, and the layer's memory budget.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DEFAULT_WRITE_STALL_TIMEOUT_MS } from '../../src/pool/config.js'
import { runNonReaderFlood } from './support/non-reader-flood.js'
import { shippedFixture } from './support/shipped-target.js'

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
})
