// The table of known points: state transitions, reconnection backoff, and the GC that keeps
// trusted, busy and recently seen points.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { nextAttemptAt } from '../../../src/pool/backoff.js'
import { KnownPoints } from '../../../src/pool/known-points.js'
import { defined } from '../../support/defined.js'

describe('KnownPoints', () => {
  test('requested -> accepted -> running -> disconnected, with times; failures count and reset', () => {
    const t = new KnownPoints(10, 5)
    const { record: r, created } = t.register('10.0.0.1:9732')!
    assert.equal(created, true)
    assert.equal(t.register('10.0.0.1:9732')!.created, false)
    assert.equal(r.state, 'disconnected')
    t.requested(r, 1000)
    assert.deepEqual([r.state, r.lastAttempt], ['requested', 1000])
    t.failed(r, 1100)
    assert.deepEqual([r.state, r.lastFailure, r.failures], ['disconnected', 1100, 1])
    t.requested(r, 2000)
    t.accepted(r, 'idPeer')
    assert.deepEqual([r.state, r.peerId], ['accepted', 'idPeer'])
    t.running(r, 'idPeer', 2100)
    assert.deepEqual([r.state, r.lastEstablished, r.failures], ['running', 2100, 0])
    t.disconnected(r, 3000)
    assert.deepEqual([r.state, r.lastDisconnect], ['disconnected', 3000])
  })

  test("the history feeds the maintenance's backoff: 1 s after a failure, x1.2 per failure in a row; 60 s after a disconnection", () => {
    const t = new KnownPoints(10, 5)
    const r = t.register('10.0.0.1:1')!.record
    assert.equal(nextAttemptAt(r, 0), 0)
    t.failed(r, 10_000)
    assert.equal(nextAttemptAt(r, 0), 11_000)
    t.failed(r, 20_000)
    assert.equal(nextAttemptAt(r, 0), 21_200)
    t.failed(r, 30_000)
    assert.equal(Math.round(nextAttemptAt(r, 0)), 31_440)
    t.running(r, 'id', 40_000)
    t.disconnected(r, 50_000)
    assert.equal(nextAttemptAt(r, 0), 110_000)
  })

  test('past max, the GC forgets the least recently seen disconnected untrusted points down to target', () => {
    const t = new KnownPoints(4, 2)
    const recs = [1, 2, 3, 4].map((i) => t.register(`10.0.0.${i}:1`)!.record)
    defined(recs[0]).trusted = true
    t.running(defined(recs[1]), 'id', 500)
    t.disconnected(defined(recs[2]), 100)
    t.disconnected(defined(recs[3]), 900)
    assert.ok(t.register('10.0.0.5:1'))
    // Kept: trusted .1, running .2, the new .5; .3 (seen at 100) went first, then .4 had to go too.
    assert.deepEqual([...t.values()].map((r) => r.point).sort(), ['10.0.0.1:1', '10.0.0.2:1', '10.0.0.5:1'])
  })

  test('a table full of points it cannot forget refuses new ones', () => {
    const t = new KnownPoints(2, 1)
    for (const i of [1, 2]) t.register(`10.0.0.${i}:1`)!.record.trusted = true
    assert.equal(t.register('10.0.0.3:1'), undefined)
    assert.equal(t.size, 2)
  })
})
