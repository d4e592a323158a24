// Address classification: Bitcoin Core's IsRoutable ranges (IPv4, IPv6, IPv4-mapped), and the
// learnable rule: routable, the operator's ranges, the special range of the node's own address.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isRoutable, LearnableAddresses, specialRangeOf } from '../../../src/acl/index.js'

describe('address classification', () => {
  test('special ranges are not routable, public addresses are', () => {
    const special: Array<[string, string]> = [
      ['0.0.0.0', '0.0.0.0/8'],
      ['255.255.255.255', '240.0.0.0/4'],
      ['224.0.0.1', '224.0.0.0/4'],
      ['169.254.169.254', '169.254.0.0/16'],
      ['127.0.0.1', '127.0.0.0/8'],
      ['10.1.2.3', '10.0.0.0/8'],
      ['172.31.255.255', '172.16.0.0/12'],
      ['192.168.0.1', '192.168.0.0/16'],
      ['100.127.0.1', '100.64.0.0/10'],
      ['198.19.0.1', '198.18.0.0/15'],
      ['192.0.2.1', '192.0.2.0/24'],
      ['::', '::/8'],
      ['::1', '::1/128'],
      ['fe80::1', 'fe80::/10'],
      ['fd00::1', 'fc00::/7'],
      ['ff02::1', 'ff00::/8'],
      ['2001:db8::7', '2001:db8::/32'],
      ['::ffff:10.0.0.1', '10.0.0.0/8'],
    ]
    for (const [ip, cidr] of special) {
      assert.equal(specialRangeOf(ip)?.cidr, cidr, ip)
      assert.equal(isRoutable(ip), false, ip)
    }
    for (const ip of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2a00:1450::1', '::ffff:8.8.4.4', '1.2.3.4'])
      assert.equal(isRoutable(ip), true, ip)
    assert.equal(isRoutable('example.com'), false)
  })

  test('learnable: routable, the allowed ranges, and the range the node itself is on', () => {
    const internet = new LearnableAddresses({ allowRanges: [], ownAddresses: ['0.0.0.0'] })
    assert.equal(internet.allows('8.8.8.8'), true)
    assert.equal(internet.allows('127.0.0.1'), false, 'a wildcard listener learns no local range')
    assert.match(internet.refusal('169.254.169.254') ?? '', /link-local .*169\.254\.0\.0\/16/)
    const sandbox = new LearnableAddresses({ allowRanges: [], ownAddresses: ['127.0.0.1'] })
    assert.equal(sandbox.allows('127.9.9.9'), true)
    assert.equal(sandbox.allows('::1'), true, 'loopback is one range')
    assert.equal(sandbox.allows('10.0.0.1'), false)
    const lan = new LearnableAddresses({ allowRanges: ['192.168.7.0/24'], ownAddresses: ['10.3.0.5'] })
    assert.equal(lan.allows('10.200.0.1'), true)
    assert.equal(lan.allows('192.168.7.9'), true)
    assert.equal(lan.allows('192.168.8.9'), false)
    assert.equal(lan.allows('0.0.0.0'), false)
  })
})
