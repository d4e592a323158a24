// The P2p config: Octez's defaults filled in (SPEC 5), and every error naming its field.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { connectionCeiling, P2pConfigError, parseP2pConfig } from '../../../src/pool/config.js'
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
    assert.equal(c.incomingQueueBytes, undefined)
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
