// The answerer's dispatch and its per-connection rate limits (Bootstrap/Advertise 0.1 s, swap
// messages 60 s), on a fake connection and a fake clock.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { AnswerThrottle, runAnswerer } from '../../../src/pool/answerer.js'
import type { Connection } from '../../../src/socket/index.js'
import type { P2pMessage } from '../../../src/wire/index.js'
import { FakeClock } from '../../support/fake-clock.js'

function fakeConnection(messages: Array<P2pMessage<string>>): Connection<string, unknown> {
  return {
    async *[Symbol.asyncIterator]() {
      yield* messages
    },
  } as unknown as Connection<string, unknown>
}

describe('AnswerThrottle', () => {
  test('one of each kind per cooldown; kinds are independent', () => {
    const clock = new FakeClock(1_000_000)
    const throttle = new AnswerThrottle(clock)
    assert.equal(throttle.admit('bootstrap'), true)
    assert.equal(throttle.admit('bootstrap'), false)
    assert.equal(throttle.admit('advertise'), true)
    clock.time += 99
    assert.equal(throttle.admit('bootstrap'), false)
    clock.time += 1
    assert.equal(throttle.admit('bootstrap'), true)
    assert.equal(throttle.admit('swapRequest'), true)
    clock.time += 59_999
    assert.equal(throttle.admit('swapRequest'), false)
    assert.equal(throttle.admit('swapAck'), true)
    clock.time += 1
    assert.equal(throttle.admit('swapRequest'), true)
  })
})

describe('runAnswerer', () => {
  test('dispatches each kind; drops what exceeds the rate; application messages in order', async () => {
    const calls: string[] = []
    const peerId = Buffer.alloc(16)
    await runAnswerer(
      fakeConnection([
        { kind: 'application', message: 'one' },
        { kind: 'bootstrap' },
        { kind: 'bootstrap' },
        { kind: 'advertise', points: ['10.0.0.1:1'] },
        { kind: 'swap_request', point: '10.0.0.2:1', peerId },
        { kind: 'swap_request', point: '10.0.0.3:1', peerId },
        { kind: 'swap_ack', point: '10.0.0.4:1', peerId },
        { kind: 'application', message: 'two' },
      ]),
      {
        application: async (m) => {
          calls.push(`app ${m}`)
        },
        bootstrap: () => calls.push('bootstrap'),
        advertise: (points) => calls.push(`advertise ${points.join()}`),
        swapRequest: (point) => calls.push(`swap_request ${point}`),
        swapAck: (point) => calls.push(`swap_ack ${point}`),
      },
      new AnswerThrottle(new FakeClock()),
    )
    assert.deepEqual(calls, [
      'app one',
      'bootstrap',
      'advertise 10.0.0.1:1',
      'swap_request 10.0.0.2:1',
      'swap_ack 10.0.0.4:1',
      'app two',
    ])
  })

  test('what exceeds the rate is reported as an excess of its kind (a violation the pool charges)', async () => {
    const excess: string[] = []
    const peerId = Buffer.alloc(16)
    const point = '192.0.2.1:1'
    await runAnswerer(
      fakeConnection([
        { kind: 'bootstrap' },
        { kind: 'bootstrap' },
        { kind: 'bootstrap' },
        { kind: 'advertise', points: [] },
        { kind: 'advertise', points: [] },
        { kind: 'swap_request', point, peerId },
        { kind: 'swap_request', point, peerId },
        { kind: 'swap_ack', point, peerId },
        { kind: 'swap_ack', point, peerId },
      ]),
      {
        application: async () => {},
        bootstrap: () => {},
        advertise: () => {},
        swapRequest: () => {},
        swapAck: () => {},
        excess: (kind) => excess.push(kind),
      },
      new AnswerThrottle(new FakeClock()),
    )
    assert.deepEqual(excess, ['bootstrap', 'bootstrap', 'advertise', 'swap_request', 'swap_ack'])
  })

  test('stops when the application side rejects (the pool stopped)', async () => {
    let handled = 0
    await runAnswerer(
      fakeConnection([
        { kind: 'application', message: 'a' },
        { kind: 'application', message: 'b' },
      ]),
      {
        application: async () => {
          handled++
          throw new Error('closed')
        },
        bootstrap: () => {},
        advertise: () => {},
        swapRequest: () => {},
        swapAck: () => {},
      },
    )
    assert.equal(handled, 1)
  })
})
