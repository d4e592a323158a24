// The memory budget shared by queues: reservations and releases as items come and go, the
// over-budget call on the next microtask (once per crossing), and queues that share it.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { BoundedQueue } from '../../../src/io/bounded-queue.js'
import { MemoryBudget } from '../../../src/io/memory-budget.js'

const tick = () => new Promise<void>((resolve) => queueMicrotask(resolve))

describe('MemoryBudget', () => {
  test('counts what is reserved and released; tells once per crossing, after the push', async () => {
    const over: number[] = []
    const budget = new MemoryBudget(100, (held) => over.push(held))
    budget.reserve(60)
    budget.reserve(60)
    budget.reserve(10)
    assert.deepEqual(over, [], 'never inside the reservation')
    await tick()
    assert.deepEqual(over, [130])
    assert.equal(budget.peak, 130)
    budget.release(80)
    assert.equal(budget.held, 50)
    budget.reserve(20)
    await tick()
    assert.deepEqual(over, [130], 'under the limit: nothing to do')
  })

  test('released before the check runs: nothing to shed', async () => {
    let calls = 0
    const budget = new MemoryBudget(10, () => calls++)
    budget.reserve(20)
    budget.release(20)
    await tick()
    assert.equal(calls, 0)
  })

  test('queues sharing a budget: push, shift, drain and a direct hand-over to a taker', async () => {
    const budget = new MemoryBudget(1000, () => {})
    const a = new BoundedQueue<string>({ capacity: 100, budget })
    const b = new BoundedQueue<string>({ capacity: 100, budget })
    a.tryPush('x', 30)
    a.tryPush('y', 20)
    b.tryPush('z', 40)
    assert.equal(budget.held, 90)
    assert.equal(a.tryShift(), 'x')
    assert.equal(budget.held, 60)
    b.drain()
    assert.equal(budget.held, 20)
    const taken = b.shift()
    b.tryPush('w', 50) // handed to the waiting taker: never queued, never counted
    assert.equal(await taken, 'w')
    assert.equal(budget.held, 20)
    a.close()
    a.drain()
    assert.equal(budget.held, 0)
  })
})
