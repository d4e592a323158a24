// HandshakeTable with an injected clock: the share per subnet, the eviction of the most
// represented subnet's silent handshake when full, and no churn between near-equal subnets.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { HandshakeTable } from '../../../src/pool/handshake-table.js'
import { defined } from '../../support/defined.js'
import { FakeClock } from '../../support/fake-clock.js'

describe('HandshakeTable', () => {
  test('a subnet holds at most its share; others still get free slots', () => {
    const table = new HandshakeTable<string>(6, 2)
    table.add('a1', '10.1.0.1')
    table.add('a2', '10.1.200.2')
    assert.equal(table.plan('10.1.9.9').kind, 'share')
    assert.equal(table.plan('10.2.0.1').kind, 'free')
    assert.equal(table.heldBy('10.1.0.7'), 2)
    // IPv6: a /32 is one subnet.
    table.add('v1', '2001:db8:1::1')
    table.add('v2', '2001:db8:ffff::1')
    assert.equal(table.plan('2001:db8::5').kind, 'share')
  })

  test('full: a newcomer takes the oldest silent handshake of the largest subnet', () => {
    const clock = new FakeClock()
    const table = new HandshakeTable<string>(4, 4, clock)
    const entries = ['10.1.0.1', '10.1.0.2', '10.1.0.3', '10.2.0.1'].map((ip, i) => {
      clock.time = i
      return table.add(`s${i}`, ip)
    })
    defined(entries[0]).stage = 'authenticating' // past its connection message: spared first
    const plan = table.plan('10.3.0.1')
    assert.equal(plan.kind, 'evict')
    assert.equal(plan.kind === 'evict' && plan.victim.handle, 's1')
    // A subnet two short of the largest evicts too.
    assert.equal(table.plan('10.2.0.9').kind, 'evict')
    table.remove(defined(entries[1]))
    table.remove(defined(entries[1])) // idempotent
    assert.equal(table.size, 3)
    assert.deepEqual(table.bySubnet(), [
      { subnet: '10.1.0.0/16', count: 2 },
      { subnet: '10.2.0.0/16', count: 1 },
    ])
  })

  test('no churn between near-equals: one short of the largest is refused, not evicting', () => {
    const table = new HandshakeTable<string>(4, 4)
    for (const ip of ['10.1.0.1', '10.1.0.2', '10.2.0.1', '10.2.0.2']) table.add(ip, ip)
    assert.equal(table.plan('10.1.0.3').kind, 'full')
    assert.equal(table.plan('10.3.0.1').kind, 'evict')
    const ones = new HandshakeTable<string>(3, 1)
    for (const ip of ['10.1.0.1', '10.2.0.1', '10.3.0.1']) ones.add(ip, ip)
    assert.equal(ones.plan('10.4.0.1').kind, 'full')
  })
})
