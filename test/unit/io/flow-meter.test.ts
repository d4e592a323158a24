// Tests of the flow meters on a manual clock: totals, Octez's moving average (weight 0.2
// per 1 s tick, scaled by the real elapsed time), and one shared timer for all meters.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { IoArgumentError } from '../../../src/io/errors.js'
import { FlowRegistry } from '../../../src/io/flow-meter.js'
import { FakeClock } from '../../support/fake-clock.js'

function near(actual: number, expected: number, epsilon = 1e-9) {
  assert.ok(Math.abs(actual - expected) <= epsilon, `${actual} should be ${expected}`)
}

describe('FlowMeter', () => {
  test('counts bytes and averages the flow with weight 0.2 per tick', () => {
    const clock = new FakeClock()
    const registry = new FlowRegistry({ clock })
    const meter = registry.meter()
    meter.add(600)
    meter.add(400)
    assert.equal(meter.total, 1000)
    assert.equal(meter.flow, 0, 'no tick yet')
    clock.advance(1000)
    near(meter.flow, 200)
    clock.advance(1000)
    near(meter.flow, 160, 1e-9)
    meter.add(5000)
    clock.advance(1000)
    near(meter.flow, 0.2 * 5000 + 0.8 * 160)
    assert.equal(meter.total, 6000)
  })

  test('converges to a steady rate', () => {
    const clock = new FakeClock()
    const meter = new FlowRegistry({ clock }).meter()
    for (let second = 0; second < 60; second++) {
      for (let i = 0; i < 10; i++) meter.add(1000)
      clock.advance(1000)
    }
    near(meter.flow, 10_000, 1)
  })

  test('scales a late tick by the real elapsed time', () => {
    const clock = new FakeClock()
    const meter = new FlowRegistry({ clock }).meter()
    meter.add(2000)
    clock.jump(2000) // the loop was blocked: the tick comes 2 s after the previous one
    clock.advance(0)
    near(meter.flow, 0.2 * 1000)
  })

  test('all meters share one timer, which stops with the last meter and restarts', () => {
    const clock = new FakeClock()
    const registry = new FlowRegistry({ clock })
    assert.equal(clock.active, 0, 'no timer before the first meter')
    const meters = Array.from({ length: 50 }, () => registry.meter())
    assert.equal(clock.created, 1)
    assert.equal(clock.active, 1)
    assert.equal(registry.size, 50)
    meters.forEach((meter, i) => {
      meter.add(i * 10)
    })
    clock.advance(1000)
    meters.forEach((meter, i) => {
      near(meter.flow, 0.2 * i * 10)
    })
    for (const meter of meters) meter.close()
    assert.equal(registry.size, 0)
    assert.equal(clock.active, 0, 'timer stopped')
    registry.meter()
    assert.equal(clock.active, 1)
    assert.equal(clock.created, 2)
  })

  test('a closed meter is no longer ticked and keeps its counters; close is idempotent', () => {
    const clock = new FakeClock()
    const registry = new FlowRegistry({ clock })
    const kept = registry.meter()
    const closed = registry.meter()
    closed.add(1000)
    clock.advance(1000)
    closed.close()
    closed.close()
    assert.equal(closed.closed, true)
    assert.equal(registry.size, 1)
    clock.advance(5000)
    near(closed.flow, 200)
    assert.equal(closed.total, 1000)
    assert.equal(kept.flow, 0)
  })

  test('honours a custom period and alpha', () => {
    const clock = new FakeClock()
    const meter = new FlowRegistry({ clock, periodMs: 100, alpha: 0.5 }).meter()
    meter.add(100)
    clock.advance(100)
    near(meter.flow, 0.5 * 1000)
  })

  test('rejects unusable options with a typed error', () => {
    assert.throws(() => new FlowRegistry({ periodMs: 0 }), IoArgumentError)
    assert.throws(() => new FlowRegistry({ alpha: 0 }), IoArgumentError)
    assert.throws(() => new FlowRegistry({ alpha: 1.5 }), IoArgumentError)
  })
})
