// The slot counters: reservations below the ceiling and the inbound maximum, live connections by
// direction, and connections being evicted, whose slots count as free until they close.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Slots } from '../../../src/pool/slots.js'

const limits = { ceiling: 3, minOutbound: 1, maxInbound: 2 }

describe('Slots', () => {
  test('outbound reservations stop at the ceiling, live connections included', () => {
    const slots = new Slots<string>(limits)
    slots.opened(true)
    assert.ok(slots.reserveOutbound())
    assert.ok(slots.reserveOutbound())
    assert.equal(slots.reserveOutbound(), false)
    assert.equal(slots.mayDial(), false)
    slots.unreserve(false)
    assert.ok(slots.mayDial())
    assert.deepEqual(slots.taken(), { inbound: 1, total: 2 })
  })

  test('inbound is full at maxInbound even below the ceiling', () => {
    const slots = new Slots<string>(limits)
    slots.opened(true)
    assert.equal(slots.inboundFull(), false)
    slots.reserveInbound()
    assert.ok(slots.inboundFull())
    slots.unreserve(true)
    slots.opened(true)
    assert.ok(slots.inboundFull())
    assert.equal(slots.inbound, 2)
    assert.equal(slots.outbound, 0)
  })

  test('an evicted connection frees its slot at once, and is counted once when it closes', () => {
    const slots = new Slots<string>(limits)
    slots.opened(true)
    slots.opened(true)
    slots.evict('a', true)
    slots.evict('a', true) // twice is once
    assert.ok(slots.isEvicting('a'))
    assert.deepEqual(slots.taken(), { inbound: 1, total: 1 })
    assert.equal(slots.inboundFull(), false)
    slots.closed(true)
    slots.evicted('a')
    slots.evicted('a')
    assert.equal(slots.isEvicting('a'), false)
    assert.deepEqual(slots.taken(), { inbound: 1, total: 1 })
  })

  test('handshakes outside the table are counted by kind', () => {
    const slots = new Slots<string>(limits)
    slots.handshakeStarted('outgoing')
    slots.handshakeStarted('refusing')
    slots.handshakeStarted('outgoing')
    assert.equal(slots.handshakesOutsideTable, 3)
    slots.handshakeEnded('outgoing')
    slots.handshakeEnded('refusing')
    assert.equal(slots.handshakesOutsideTable, 1)
  })
})
