// The P2p config: Octez's defaults filled in (SPEC 5), and every error naming its field.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  connectionCeiling,
  handshakeCap,
  P2pConfigError,
  parseP2pConfig,
  slotLimits,
} from '../../../src/pool/config.js'
import { testIdentity } from '../../support/identities.js'

const identity = testIdentity()

describe('parseP2pConfig', () => {
  test('fills in the defaults of SPEC 5', () => {
    const c = parseP2pConfig({ identity, chainName: 'DUNE_TEST' })
    assert.equal(c.maxConnections, 100)
    assert.equal(c.minConnections, 10)
    assert.equal(c.expectedConnections, 50)
    assert.equal(c.maxIncomingConnections, 20)
    assert.equal(c.backlog, 20)
    assert.equal(c.connectionTimeoutMs, 10_000)
    assert.equal(c.authenticationTimeoutMs, 5_000)
    assert.equal(c.greylistTimeoutMs, 86_400_000)
    assert.equal(c.swapLingerMs, 30_000)
    assert.deepEqual(c.maxKnownPoints, { max: 400, target: 300 })
    assert.deepEqual(c.maxKnownPeerIds, { max: 400, target: 300 })
    assert.equal(c.expectedProofOfWork, 26)
    assert.equal(c.privateMode, false)
    assert.equal(c.listenPort, 9732)
    // Every queue is bounded by default, and so is the whole layer (docs/SECURITY.md, Memory).
    assert.equal(c.incomingQueueBytes, 1024 * 1024)
    assert.equal(c.outgoingQueueBytes, 1024 * 1024)
    assert.equal(c.applicationQueueBytes, 4 * 1024 * 1024)
    assert.equal(c.memoryBudgetBytes, 64 * 1024 * 1024)
    assert.equal(c.writeStallTimeoutMs, 30_000)
    assert.equal(c.violationBudget, 100)
    assert.equal(c.maxUploadSpeed, undefined)
    // SPEC 5: with maintenance on, new connections are refused from max_threshold (84) on.
    assert.equal(connectionCeiling(c), 84)
    const manual = parseP2pConfig({ identity, chainName: 'X', maintenance: { enabled: false } })
    assert.equal(connectionCeiling(manual), 100)
    assert.equal(connectionCeiling(parseP2pConfig({ identity, chainName: 'X', maxThreshold: 90 })), 90)
  })

  test('port 0 (ephemeral) is allowed', () => {
    assert.equal(parseP2pConfig({ identity, chainName: 'X', listenPort: 0 }).listenPort, 0)
  })

  const cases: Array<[string, Record<string, unknown>]> = [
    ['chainName', { identity }],
    ['listenPort', { identity, chainName: 'X', listenPort: 70_000 }],
    ['maxConnections', { identity, chainName: 'X', maxConnections: 0 }],
    ['maxKnownPoints', { identity, chainName: 'X', maxKnownPoints: { max: 3, target: 5 } }],
    ['expectedConnections', { identity, chainName: 'X', minConnections: 60 }],
    ['maxThreshold', { identity, chainName: 'X', maxThreshold: 101 }],
    ['identity', { identity: {}, chainName: 'X' }],
    ['identity', { identity: { ...identity, peerId: Buffer.alloc(16) }, chainName: 'X' }],
    ['trustedPoints.1', { identity, chainName: 'X', trustedPoints: ['10.0.0.1:1', 'nope'] }],
    ['maxUploadSpeed', { identity, chainName: 'X', maxUploadSpeed: -1 }],
    ['authenticationTimeoutMs', { identity, chainName: 'X', authenticationTimeoutMs: 1.5 }],
    ['bogus', { identity, chainName: 'X', bogus: true }],
  ]
  for (const [field, input] of cases) {
    test(`a bad ${field} is a P2pConfigError naming it`, () => {
      assert.throws(
        () => parseP2pConfig(input),
        (err: P2pConfigError) =>
          err instanceof P2pConfigError &&
          err.code === 'DUNE_CONFIG' &&
          err.field === field &&
          err.message.includes(field),
      )
    })
  }
})

describe('scores, slots, admission and eviction settings', () => {
  test('defaults, and the slots in effect', () => {
    const c = parseP2pConfig({ identity, chainName: 'DUNE_TEST' })
    assert.deepEqual(c.score.invalid, { weight: -2, halfLifeMs: 3_600_000, cap: 1000 })
    assert.equal(c.score.disconnectBelow, -20)
    assert.equal(c.score.retainMs, 3_600_000)
    assert.deepEqual(c.admission.perAddress, {
      ipv4Bits: 32,
      ipv6Bits: 56,
      maxConnections: 4,
      newPerMinute: 20,
    })
    assert.deepEqual(c.admission.perSubnet, {
      ipv4Bits: 16,
      ipv6Bits: 48,
      maxConnections: 16,
      newPerMinute: 60,
    })
    assert.deepEqual(c.admission.exempt, ['127.0.0.0/8', '::1/128'])
    assert.equal(c.eviction.graceMs, 60_000)
    // Ceiling 84 (max_threshold), 8 outbound slots reserved, 76 inbound.
    assert.deepEqual(slotLimits(c), { ceiling: 84, minOutbound: 8, maxInbound: 76 })
    assert.equal(handshakeCap(c), 48)
    // Small nodes reserve at most a quarter of the ceiling; maxInbound only lowers the inbound bound.
    const small = parseP2pConfig({
      identity,
      chainName: 'DUNE_TEST',
      connections: 6,
      slots: { maxInbound: 100 },
    })
    assert.deepEqual(slotLimits(small), { ceiling: 8, minOutbound: 2, maxInbound: 6 })
  })

  test('bad values name their field', () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ score: { invalid: { halfLifeMs: 0 } } }, 'score.invalid.halfLifeMs'],
      [{ admission: { exempt: ['10.0.0.1/8'] } }, 'admission.exempt.0'],
      [{ admission: { perSubnet: { ipv4Bits: 33 } } }, 'admission.perSubnet.ipv4Bits'],
      [{ eviction: { protectLongestShare: 2 } }, 'eviction.protectLongestShare'],
      [{ slots: { minOutbound: -1 } }, 'slots.minOutbound'],
    ]
    for (const [input, field] of bad) {
      assert.throws(
        () => parseP2pConfig({ identity, chainName: 'DUNE_TEST', ...input }),
        (err: unknown) => err instanceof P2pConfigError && err.field === field,
        field,
      )
    }
  })
})
