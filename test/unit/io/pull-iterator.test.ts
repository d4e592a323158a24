// pullIterator: ready items without waiting, waits in order, ends on the end error, rethrows others.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BoundedQueue } from '../../../src/io/bounded-queue.js'
import { QueueClosedError } from '../../../src/io/errors.js'
import { pullIterator } from '../../../src/io/pull-iterator.js'

const over = (queue: BoundedQueue<number>) =>
  pullIterator(
    () => queue.tryShift(),
    () => queue.shift(),
    (err) => err instanceof QueueClosedError,
  )

test('yields queued and later items in order, then ends when the queue closes', async () => {
  const queue = new BoundedQueue<number>()
  queue.tryPush(1, 1)
  queue.tryPush(2, 1)
  const seen: number[] = []
  const loop = (async () => {
    for await (const n of over(queue)) seen.push(n)
  })()
  await new Promise((resolve) => setImmediate(resolve))
  queue.tryPush(3, 1)
  queue.tryPush(4, 1)
  await new Promise((resolve) => setImmediate(resolve))
  queue.close('stopped')
  await loop
  assert.deepEqual(seen, [1, 2, 3, 4])
})

test('ends when take resolves undefined (a shiftOrEnd source), with no error made', async () => {
  const queue = new BoundedQueue<number>()
  queue.tryPush(1, 1)
  const seen: number[] = []
  const loop = (async () => {
    for await (const n of pullIterator(
      () => queue.tryShift(),
      () => queue.shiftOrEnd(),
    ))
      seen.push(n)
  })()
  await new Promise((resolve) => setImmediate(resolve))
  queue.tryPush(2, 1)
  await new Promise((resolve) => setImmediate(resolve))
  queue.close('stopped')
  await loop
  assert.deepEqual(seen, [1, 2])
})

test('an error that is not the end reaches the loop, and the iterator stays done', async () => {
  const iterator = pullIterator<number>(
    () => undefined,
    () => Promise.reject(new RangeError('boom')),
    () => false,
  )
  await assert.rejects(iterator.next(), RangeError)
  assert.deepEqual(await iterator.next(), { value: undefined, done: true })
})

test('break ends the iterator: later next() calls are done without taking', async () => {
  const queue = new BoundedQueue<number>()
  for (let i = 0; i < 5; i++) queue.tryPush(i, 1)
  const iterator = over(queue)
  for await (const n of iterator) if (n === 1) break
  assert.deepEqual(await iterator.next(), { value: undefined, done: true })
  assert.equal(queue.length, 3, 'nothing taken after the break')
})

test('a closed queue makes its error once, carrying the first reason', async () => {
  const queue = new BoundedQueue<number>()
  queue.close('first')
  queue.close('second')
  const a = await queue.shift().catch((err: unknown) => err)
  const b = await queue.push(1, 1).catch((err: unknown) => err)
  assert.ok(a instanceof QueueClosedError)
  assert.equal(a, b)
  assert.equal(a.reason, 'first')
  assert.throws(() => queue.tryPush(1, 1), QueueClosedError)
})
