// Tests of the network groups used for connection diversity: IPv4 /16 and IPv6 /32 keys,
// IPv4-mapped addresses, configured prefix lengths, non-IP text, and point hosts.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { netGroup, pointHost } from '../../../src/acl/net-group.js'

describe('netGroup', () => {
  test('IPv4 addresses group by /16', () => {
    assert.equal(netGroup('10.11.12.13'), '10.11.0.0/16')
    assert.equal(netGroup('10.11.255.1'), netGroup('10.11.0.200'))
    assert.notEqual(netGroup('10.11.0.1'), netGroup('10.12.0.1'))
  })

  test('IPv4-mapped IPv6 addresses count as IPv4', () => {
    assert.equal(netGroup('::ffff:10.11.99.1'), '10.11.0.0/16')
  })

  test('IPv6 addresses group by /32', () => {
    assert.equal(netGroup('2001:db8:1:2::5'), '2001:db8::/32')
    assert.equal(netGroup('2001:db8:ffff::1'), netGroup('2001:db8::2'))
    assert.notEqual(netGroup('2001:db8::1'), netGroup('2001:db9::1'))
  })

  test('prefix lengths are configurable', () => {
    assert.equal(netGroup('10.11.99.1', { ipv4Bits: 20, ipv6Bits: 32 }), '10.11.96.0/20')
    assert.equal(netGroup('10.11.99.1', { ipv4Bits: 32, ipv6Bits: 128 }), '10.11.99.1/32')
    assert.equal(netGroup('2001:db8:1234::1', { ipv4Bits: 16, ipv6Bits: 36 }), '2001:db8:1000::/36')
    // Zero bits: one group for each family, i.e. no diversity.
    assert.equal(
      netGroup('1.2.3.4', { ipv4Bits: 0, ipv6Bits: 0 }),
      netGroup('9.9.9.9', { ipv4Bits: 0, ipv6Bits: 0 }),
    )
  })

  test('text that is not an IP address is its own group', () => {
    assert.equal(netGroup('Node.Example'), 'name:node.example')
    assert.notEqual(netGroup('a.example'), netGroup('b.example'))
  })

  test('two IPv4 addresses share a group exactly when their first two bytes match', () => {
    const byte = fc.integer({ min: 0, max: 255 })
    fc.assert(
      fc.property(fc.tuple(byte, byte, byte, byte), fc.tuple(byte, byte, byte, byte), (a, b) => {
        const same = netGroup(a.join('.')) === netGroup(b.join('.'))
        assert.equal(same, a[0] === b[0] && a[1] === b[1])
      }),
    )
  })
})

describe('pointHost', () => {
  test('takes the host of IPv4 and bracketed IPv6 points', () => {
    assert.equal(pointHost('1.2.3.4:9732'), '1.2.3.4')
    assert.equal(pointHost('[2001:db8::1]:9732'), '2001:db8::1')
  })
})
