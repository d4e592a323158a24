// Per-connection violations as a leaky bucket (a burst tolerated, a slow rate forgiven), the
// write-stall watch, and the memory budget's choice of the connection to drop.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { budgetVictim } from '../../../src/pool/memory-guard.js'
import { ViolationCounter } from '../../../src/pool/violations.js'
import { WriteStallWatch } from '../../../src/socket/write-stall.js'
import { FakeClock } from '../../support/fake-clock.js'

describe('ViolationCounter', () => {
  test('over budget at the violation past it; forgiven at its rate', () => {
    const clock = new FakeClock()
    const counter = new ViolationCounter(10, 1, clock)
    for (let i = 0; i < 10; i++) assert.equal(counter.charge(), false)
    assert.equal(counter.charge(), true, 'the 11th in a burst')
    clock.time += 5000
    assert.ok(Math.abs(counter.level - 6) < 1e-9)
    assert.equal(counter.charge(), false)
    assert.equal(counter.total, 12)
  })

  test('a rate below the forgiveness never passes the budget', () => {
    const clock = new FakeClock()
    const counter = new ViolationCounter(3, 1, clock)
    for (let i = 0; i < 1000; i++) {
      assert.equal(counter.charge(), false)
      clock.time += 1100
    }
  })
})

describe('WriteStallWatch', () => {
  test('fires once the clock ran its timeout; progress stops it; a new refusal restarts it', async () => {
    const fired: number[] = []
    const watch = new WriteStallWatch(40, (ms) => fired.push(ms))
    watch.refused()
    await delay(15)
    watch.refused() // already running: the clock is not restarted
    watch.progressed()
    assert.equal(watch.stalled, false)
    await delay(50)
    assert.deepEqual(fired, [])
    watch.refused()
    await delay(60)
    assert.equal(fired.length, 1)
    assert.ok((fired[0] ?? 0) >= 39, `stalled ${fired[0]} ms`)
  })

  test('an infinite timeout never arms', () => {
    const watch = new WriteStallWatch(Number.POSITIVE_INFINITY, () => assert.fail('fired'))
    watch.refused()
    assert.equal(watch.stalled, false)
  })
})

describe('budgetVictim', () => {
  test('the untrusted connection holding the most; trusted only when no other holds anything', () => {
    const a = { name: 'a', queuedBytes: 10, trusted: false }
    const b = { name: 'b', queuedBytes: 30, trusted: false }
    const t = { name: 't', queuedBytes: 99, trusted: true }
    const idle = { name: 'idle', queuedBytes: 0, trusted: false }
    assert.equal(budgetVictim([a, t, b, idle])?.name, 'b')
    assert.equal(budgetVictim([t, idle])?.name, 't')
    assert.equal(budgetVictim([idle]), undefined)
  })
})
