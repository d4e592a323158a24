// Tests of the byte-bounded FIFO: waiting and admission, FIFO order, oversize items, close
// and drain semantics, byte accounting, and a fast-check model of arbitrary operation runs.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { isDuneP2pError } from '../../../src/errors/index.js'
import { BoundedQueue } from '../../../src/io/bounded-queue.js'
import { IoArgumentError, QueueClosedError } from '../../../src/io/errors.js'
import { defined } from '../../support/defined.js'

/** Lets pending promise reactions run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Tracks a promise's outcome without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false }
  promise.then(
    (value) => {
      state.done = true
      state.value = value
    },
    (error) => {
      state.done = true
      state.error = error
    },
  )
  return state
}

describe('BoundedQueue', () => {
  test('is FIFO and counts items and bytes', async () => {
    const q = new BoundedQueue<string>({ capacity: 100 })
    await q.push('a', 10)
    assert.equal(q.tryPush('b', 20), true)
    await q.push('c', 30)
    assert.equal(q.length, 3)
    assert.equal(q.bytes, 60)
    assert.equal(q.capacity, 100)
    assert.equal(await q.shift(), 'a')
    assert.equal(q.tryShift(), 'b')
    assert.equal(q.bytes, 30)
    assert.equal(await q.shift(), 'c')
    assert.equal(q.tryShift(), undefined)
    assert.equal(q.length, 0)
    assert.equal(q.bytes, 0)
  })

  test('defaults to unbounded', () => {
    const q = new BoundedQueue<number>()
    assert.equal(q.capacity, Number.POSITIVE_INFINITY)
    for (let i = 0; i < 1000; i++) assert.equal(q.tryPush(i, 1e9), true)
    assert.equal(q.bytes, 1e12)
  })

  test('push waits while full and proceeds when space frees', async () => {
    const q = new BoundedQueue<string>({ capacity: 10 })
    await q.push('a', 6)
    const b = track(q.push('b', 6))
    await settle()
    assert.equal(b.done, false)
    assert.equal(q.waitingPushes, 1)
    assert.equal(q.length, 1)
    assert.equal(q.tryShift(), 'a')
    await settle()
    assert.equal(b.done, true)
    assert.equal(b.error, undefined)
    assert.equal(q.length, 1)
    assert.equal(q.bytes, 6)
    assert.equal(q.tryShift(), 'b')
  })

  test('tryPush returns false without queueing when the item does not fit', () => {
    const q = new BoundedQueue<string>({ capacity: 10 })
    assert.equal(q.tryPush('a', 8), true)
    assert.equal(q.tryPush('b', 3), false)
    assert.equal(q.length, 1)
    assert.equal(q.bytes, 8)
    assert.equal(q.tryPush('c', 2), true)
    assert.deepEqual(q.drain(), ['a', 'c'])
  })

  test('tryPush and push never overtake a waiting push', async () => {
    const q = new BoundedQueue<string>({ capacity: 10 })
    q.tryPush('a', 8)
    const big = track(q.push('big', 5))
    assert.equal(q.tryPush('small', 1), false)
    const small = track(q.push('small', 1))
    await settle()
    assert.equal(big.done, false)
    assert.equal(small.done, false)
    q.tryShift()
    await settle()
    assert.equal(big.done, true)
    assert.equal(small.done, true)
    assert.deepEqual(q.drain(), ['big', 'small'])
  })

  test('admits an item larger than the capacity when the queue is empty', async () => {
    const q = new BoundedQueue<string>({ capacity: 10 })
    assert.equal(q.tryPush('huge', 50), true)
    assert.equal(q.bytes, 50)
    assert.equal(q.tryPush('x', 1), false)
    const waiting = track(q.push('huge2', 50))
    await settle()
    assert.equal(waiting.done, false)
    assert.equal(q.tryShift(), 'huge')
    await settle()
    assert.equal(waiting.done, true)
    assert.equal(q.tryShift(), 'huge2')
  })

  test('a zero capacity holds one item at a time', async () => {
    const q = new BoundedQueue<number>({ capacity: 0 })
    assert.equal(q.tryPush(1, 0), true)
    assert.equal(q.tryPush(2, 0), true)
    assert.equal(q.tryPush(3, 1), false)
    assert.deepEqual(q.drain(), [1, 2])
  })

  test('shift waits for an item and a push hands it over', async () => {
    const q = new BoundedQueue<string>({ capacity: 10 })
    const first = track(q.shift())
    const second = track(q.shift())
    await settle()
    assert.equal(first.done, false)
    q.tryPush('a', 100)
    await q.push('b', 100)
    await settle()
    assert.equal(first.value, 'a')
    assert.equal(second.value, 'b')
    assert.equal(q.length, 0)
    assert.equal(q.bytes, 0)
  })

  test('an immediate push returns one shared settled promise (no allocation)', () => {
    const q = new BoundedQueue<number>()
    assert.equal(q.push(1, 1), q.push(2, 1))
  })

  test('close rejects waiting shifts with a typed error carrying the reason', async () => {
    const q = new BoundedQueue<string>()
    const waiting = track(q.shift())
    const reason = new Error('peer went away')
    q.close(reason)
    await settle()
    assert.ok(waiting.error instanceof QueueClosedError)
    assert.equal(waiting.error.code, 'DUNE_QUEUE_CLOSED')
    assert.equal(waiting.error.reason, reason)
    assert.equal(waiting.error.cause, reason)
    assert.match(waiting.error.message, /peer went away/)
    assert.ok(isDuneP2pError(waiting.error, 'DUNE_QUEUE_CLOSED'))
  })

  test('close rejects waiting pushes; their items are not queued', async () => {
    const q = new BoundedQueue<string>({ capacity: 1 })
    q.tryPush('kept', 1)
    const waiting = track(q.push('refused', 1))
    q.close('shutdown')
    await settle()
    assert.ok(waiting.error instanceof QueueClosedError)
    assert.equal(waiting.error.reason, 'shutdown')
    assert.equal(q.closed, true)
    assert.deepEqual(q.drain(), ['kept'])
  })

  test('after close, queued items can still be shifted, then shift rejects', async () => {
    const q = new BoundedQueue<string>()
    q.tryPush('a', 1)
    q.tryPush('b', 1)
    q.close('done')
    assert.equal(await q.shift(), 'a')
    assert.equal(q.tryShift(), 'b')
    await assert.rejects(
      q.shift(),
      (err: unknown) => err instanceof QueueClosedError && err.reason === 'done',
    )
    await assert.rejects(q.push('c', 1), QueueClosedError)
    assert.throws(() => q.tryPush('c', 1), QueueClosedError)
  })

  test('shiftOrEnd returns queued items after close, then undefined; a waiting one ends quietly', async () => {
    const q = new BoundedQueue<string>()
    const waiting = q.shiftOrEnd()
    assert.ok(q.tryPush('a', 1), 'a waiting shiftOrEnd takes the push')
    assert.equal(await waiting, 'a')
    q.tryPush('b', 1)
    const ends = q.shiftOrEnd().then((x) => (x === 'b' ? q.shiftOrEnd() : x))
    const rejected = new BoundedQueue<string>()
    const plain = rejected.shift()
    const quiet = rejected.shiftOrEnd()
    rejected.close('gone')
    q.close('done')
    assert.equal(await ends, undefined)
    assert.equal(await q.shiftOrEnd(), undefined, 'closed and empty: ends at once')
    assert.equal(await quiet, undefined, 'a waiting shiftOrEnd resolves at the close')
    await assert.rejects(plain, (err: unknown) => err instanceof QueueClosedError && err.reason === 'gone')
  })

  test('closing twice keeps the first reason', async () => {
    const q = new BoundedQueue<string>()
    q.close('first')
    q.close('second')
    await assert.rejects(
      q.shift(),
      (err: unknown) => err instanceof QueueClosedError && err.reason === 'first',
    )
  })

  test('drain on an open queue empties it and admits waiting pushes', async () => {
    const q = new BoundedQueue<string>({ capacity: 4 })
    q.tryPush('a', 4)
    const waiting = track(q.push('b', 4))
    assert.deepEqual(q.drain(), ['a'])
    await settle()
    assert.equal(waiting.done, true)
    assert.equal(q.bytes, 4)
    assert.deepEqual(q.drain(), ['b'])
  })

  test('keeps FIFO order across ring growth and shrinking', () => {
    const q = new BoundedQueue<number>()
    let next = 0
    let expected = 0
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 1000; i++) q.tryPush(next++, 1)
      for (let i = 0; i < 990; i++) assert.equal(q.tryShift(), expected++)
    }
    while (q.length > 0) assert.equal(q.tryShift(), expected++)
    assert.equal(expected, next)
  })

  test('rejects bad sizes and capacities with a typed error', () => {
    const q = new BoundedQueue<number>()
    for (const size of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => q.tryPush(1, size), IoArgumentError)
      assert.throws(
        () => q.push(1, size),
        (err: unknown) => isDuneP2pError(err, 'DUNE_IO_ARGUMENT'),
      )
    }
    assert.throws(() => new BoundedQueue({ capacity: -1 }), IoArgumentError)
    assert.throws(() => new BoundedQueue({ capacity: Number.NaN }), IoArgumentError)
  })
})

// ---- model-based property ----

type Op =
  | { kind: 'tryPush'; size: number }
  | { kind: 'push'; size: number }
  | { kind: 'tryShift' }
  | { kind: 'shift' }
  | { kind: 'drain' }
  | { kind: 'close' }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('tryPush' as const), size: fc.integer({ min: 0, max: 40 }) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('push' as const), size: fc.integer({ min: 0, max: 40 }) }),
  },
  { weight: 4, arbitrary: fc.constant({ kind: 'tryShift' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'shift' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drain' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
)

/** The obvious array implementation of the queue's contract. */
class Model {
  items: { id: number; size: number }[] = []
  pushers: { id: number; size: number }[] = []
  takers: number[] = []
  closed = false
  /** Outcome per push id: true admitted, false rejected. Per shift id: item id or 'rejected'. */
  pushes = new Map<number, boolean>()
  shifts = new Map<number, number | 'rejected'>()

  constructor(readonly capacity: number) {}

  get bytes() {
    return this.items.reduce((sum, item) => sum + item.size, 0)
  }

  fits(size: number) {
    return this.items.length === 0 || this.bytes + size <= this.capacity
  }

  admit(id: number, size: number): boolean {
    const taker = this.takers.shift()
    if (taker !== undefined) {
      this.shifts.set(taker, id)
      return true
    }
    if (!this.fits(size)) return false
    this.items.push({ id, size })
    return true
  }

  admitWaiting() {
    while (
      this.pushers.length > 0 &&
      this.admit(defined(this.pushers[0]).id, defined(this.pushers[0]).size)
    ) {
      this.pushes.set(this.pushers.shift()!.id, true)
    }
  }

  take(): number {
    const item = this.items.shift()!
    this.admitWaiting()
    return item.id
  }
}

describe('BoundedQueue against a model', () => {
  test('any run of operations matches the model', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 100 }),
        fc.array(opArb, { maxLength: 60 }),
        async (capacity, ops) => {
          const q = new BoundedQueue<number>({ capacity })
          const model = new Model(capacity)
          const pushes = new Map<number, { done: boolean; error?: unknown }>()
          const shifts = new Map<number, { done: boolean; value?: number; error?: unknown }>()
          let nextId = 0
          for (const op of ops) {
            const id = nextId++
            switch (op.kind) {
              case 'tryPush': {
                if (model.closed) {
                  assert.throws(() => q.tryPush(id, op.size), QueueClosedError)
                  break
                }
                const expected = model.pushers.length === 0 && model.admit(id, op.size)
                assert.equal(q.tryPush(id, op.size), expected)
                break
              }
              case 'push': {
                pushes.set(id, track(q.push(id, op.size)))
                if (model.closed) model.pushes.set(id, false)
                else if (model.pushers.length === 0 && model.admit(id, op.size)) model.pushes.set(id, true)
                else model.pushers.push({ id, size: op.size })
                break
              }
              case 'tryShift':
                assert.equal(q.tryShift(), model.items.length > 0 ? model.take() : undefined)
                break
              case 'shift': {
                shifts.set(id, track(q.shift()))
                if (model.items.length > 0) model.shifts.set(id, model.take())
                else if (model.closed) model.shifts.set(id, 'rejected')
                else model.takers.push(id)
                break
              }
              case 'drain':
                assert.deepEqual(
                  q.drain(),
                  model.items.map((item) => item.id),
                )
                model.items = []
                model.admitWaiting()
                break
              case 'close':
                q.close('model')
                if (!model.closed) {
                  model.closed = true
                  for (const taker of model.takers) model.shifts.set(taker, 'rejected')
                  for (const pusher of model.pushers) model.pushes.set(pusher.id, false)
                  model.takers = []
                  model.pushers = []
                }
                break
            }
            assert.equal(q.length, model.items.length)
            assert.equal(q.bytes, model.bytes)
            assert.equal(q.waitingPushes, model.pushers.length)
            assert.ok(q.bytes <= capacity || q.length <= 1, 'only a lone item may exceed the capacity')
          }
          await settle()
          for (const [id, state] of pushes) {
            const expected = model.pushes.get(id)
            if (expected === undefined) assert.equal(state.done, false, `push ${id} still waits`)
            else if (expected) assert.ok(state.done && state.error === undefined, `push ${id} admitted`)
            else assert.ok(state.error instanceof QueueClosedError, `push ${id} rejected`)
          }
          for (const [id, state] of shifts) {
            const expected = model.shifts.get(id)
            if (expected === undefined) assert.equal(state.done, false, `shift ${id} still waits`)
            else if (expected === 'rejected') assert.ok(state.error instanceof QueueClosedError)
            else assert.equal(state.value, expected, `shift ${id} got item ${expected}`)
          }
        },
      ),
      { numRuns: 300 },
    )
  })
})
