// AdmissionLimiter with an injected clock: concurrent and rate limits per address (/32, /56)
// and per subnet (/16, /48), release on close, exempt subnets.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { AdmissionLimiter, type AdmissionRules } from '../../../src/pool/admission.js'
import { FakeClock } from '../../support/fake-clock.js'

function limiter(overrides: Partial<AdmissionRules> = {}) {
  const clock = new FakeClock()
  const rules: AdmissionRules = {
    perAddress: { ipv4Bits: 32, ipv6Bits: 56, maxConnections: 2, newPerMinute: 3 },
    perSubnet: { ipv4Bits: 16, ipv6Bits: 48, maxConnections: 4, newPerMinute: 100 },
    exempt: [],
    ...overrides,
  }
  return { clock, limiter: new AdmissionLimiter(rules, clock) }
}

const admitted = (r: unknown): (() => void) => {
  assert.equal(typeof r, 'function', `refused: ${String(r)}`)
  return r as () => void
}

describe('AdmissionLimiter', () => {
  test('per address: concurrent sockets bounded, a release makes room', () => {
    const { limiter: l } = limiter()
    const first = admitted(l.admit('10.1.0.1'))
    admitted(l.admit('10.1.0.1'))
    assert.equal(l.admit('10.1.0.1'), 'address_limit')
    assert.deepEqual(l.held('10.1.0.1'), { address: 2, subnet: 2 })
    first()
    first() // twice: counted once
    assert.deepEqual(l.held('10.1.0.1'), { address: 1, subnet: 1 })
    admitted(l.admit('10.1.0.1'))
  })

  test('per address: new sockets per minute, refilled evenly', () => {
    const { clock, limiter: l } = limiter()
    for (let i = 0; i < 3; i++) admitted(l.admit('10.1.0.1'))()
    assert.equal(l.admit('10.1.0.1'), 'address_rate')
    clock.time += 20_000 // one token back
    admitted(l.admit('10.1.0.1'))()
    assert.equal(l.admit('10.1.0.1'), 'address_rate')
  })

  test('per subnet: addresses of one /16 share a limit, another /16 is not affected', () => {
    const { limiter: l } = limiter()
    for (let i = 1; i <= 4; i++) admitted(l.admit(`10.1.${i}.1`))
    assert.equal(l.admit('10.1.9.9'), 'subnet_limit')
    admitted(l.admit('10.2.0.1'))
  })

  test('IPv6: a /56 is one address, a /48 one subnet', () => {
    const { limiter: l } = limiter()
    admitted(l.admit('2001:db8:0:1::1'))
    admitted(l.admit('2001:db8:0:1:ffff::2'))
    assert.equal(l.admit('2001:db8:0:10::1'), 'address_limit', 'same /56 as 2001:db8:0:1::')
    admitted(l.admit('2001:db8:0:100::1'))
    admitted(l.admit('2001:db8:0:200::1'))
    assert.equal(l.admit('2001:db8:0:300::1'), 'subnet_limit')
    admitted(l.admit('2001:db8:1::1'))
  })

  test('exempt subnets are never limited', () => {
    const { limiter: l } = limiter({ exempt: ['127.0.0.0/8'] })
    for (let i = 0; i < 20; i++) admitted(l.admit('127.0.0.1'))
    assert.deepEqual(l.held('127.0.0.1'), { address: 0, subnet: 0 })
    assert.equal(l.isExempt('::ffff:127.1.2.3'), true)
    assert.equal(l.isExempt('10.0.0.1'), false)
  })
})
