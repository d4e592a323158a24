// The many-peers workload of the conn benchmark over real sockets: paced stamped messages over
// many connections reach the listener's collector, every one counted; options parse.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { encodeCommand } from '../../../bench/conn/control.js'
import type { BenchConnection, Driver } from '../../../bench/conn/driver.js'
import { duneDriver } from '../../../bench/conn/driver-dune.js'
import { rawTcpDriver } from '../../../bench/conn/driver-raw-tcp.js'
import { closePaced, pacedCollector, sendPaced } from '../../../bench/conn/many.js'
import { parseOptions } from '../../../bench/conn/options.js'
import { respond } from '../../../bench/conn/responder.js'
import { waitUntil } from '../../support/wait.js'

for (const driver of [rawTcpDriver, duneDriver] as Driver[]) {
  describe(`many-peers workload over ${driver.name}`, () => {
    test('every recorded message of every connection reaches the collector; closing closes all', async () => {
      const open = new Set<BenchConnection>()
      const peers = new Set<BenchConnection>()
      const listener = await driver.listen({
        host: '127.0.0.1',
        onConnection: (connection) => {
          open.add(connection)
          peers.add(connection)
          connection.onClose(() => open.delete(connection))
          respond(connection)
        },
      })
      try {
        const messages = 300
        pacedCollector.reset(messages)
        const sent = await sendPaced(
          driver,
          {
            address: listener.address,
            connections: 24,
            rate: 5_000,
            messages,
            warmup: 30,
            size: 100,
            lanes: 4,
          },
          encodeCommand({ mode: 'stamped' }),
        )
        assert.equal(sent.sent, messages)
        assert.equal(peers.size, 24, 'one listener connection per paced connection')
        await waitUntil(() => pacedCollector.report() !== undefined, { timeoutMs: 20_000 })
        const report = pacedCollector.report()!
        assert.equal(report.received, messages, 'warm-up messages are not counted')
        assert.ok(report.p50Us > 0 && report.p50Us <= report.p90Us && report.p90Us <= report.p99Us)
        assert.ok(report.cpuNs >= 0 && report.firstToLastNs > 0)
        await closePaced()
        await waitUntil(() => open.size === 0, { timeoutMs: 20_000 })
      } finally {
        await closePaced()
        await listener.close()
      }
    })
  })
}

test('--many adds N = 1 as the baseline, sorts, and 0 skips the figure', () => {
  assert.deepEqual(parseOptions(['--many', '1000,100']).many, [1, 100, 1000])
  assert.deepEqual(parseOptions(['--many', '0']).many, [])
  assert.deepEqual(parseOptions(['--quick']).many, [1, 100])
  assert.throws(() => parseOptions(['--many', '100000']), /above/)
  assert.throws(() => parseOptions(['--many-rate', '0']), /many-rate/)
})
