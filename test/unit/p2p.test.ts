// The P2p entry's wiring, with no socket (listen: false): the one clock given to createP2p is the
// time of the ACL and the maintenance worker's timer, and gc() counts what every table dropped.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createP2p } from '../../src/p2p.js'
import { defineMessages, string } from '../../src/wire/index.js'
import type { StepReport } from '../../src/workers/maintenance.js'
import { FakeClock } from '../support/fake-clock.js'
import { testIdentity } from '../support/identities.js'

/** Lets callbacks run until `done()` holds, at most `rounds` turns of the event loop. */
async function settleUntil(done: () => boolean, rounds = 1000): Promise<void> {
  for (let i = 0; i < rounds && !done(); i++) await new Promise((resolve) => setImmediate(resolve))
}

const messages = defineMessages({ chat: { tag: 0x10, encoding: string({ max: 64 }), maxSize: 68 } })

test('the injected clock drives greylist expiries, the maintenance timer and the GC', async () => {
  const clock = new FakeClock(1_000_000)
  const p2p = await createP2p(
    {
      identity: testIdentity(4),
      chainName: 'DUNE_TEST',
      expectedProofOfWork: 4,
      listen: false,
      greylistTimeoutMs: 5000,
      maintenance: { periodMs: 60_000, bootstrapRounds: 0 },
    },
    { messages, clock },
  )
  const reports: StepReport[] = []
  p2p.on('maintenance', (report) => reports.push(report))
  try {
    p2p.acl.greylistIp('192.0.2.1', 'test')
    assert.deepEqual(p2p.acl.greylist().ips, [{ ip: '192.0.2.1', reason: 'test', until: 1_005_000 }])

    await p2p.start()
    await settleUntil(() => reports.length > 0)
    assert.equal(reports[0]?.reason, 'start')
    assert.equal(reports[0]?.collected, 0, 'nothing expired yet')

    clock.advance(59_999)
    await settleUntil(() => reports.length > 1, 20)
    assert.equal(reports.length, 1, 'the period is on the fake clock, not yet over')
    clock.advance(1)
    await settleUntil(() => reports.length > 1)
    assert.equal(reports[1]?.reason, 'timer')
    assert.equal(reports[1]?.collected, 1, 'the greylist entry expired on the fake clock')
    assert.deepEqual(p2p.acl.greylist().ips, [])
  } finally {
    await p2p.stop()
  }
})
