// The maintenance part of the P2p config: its defaults, Octez's `connections: N` shorthand
// (N/2, N, 3N/2 and tables of 8N), errors naming the bad field, and reading a default off the schema.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  DEFAULT_BACKOFF,
  P2pConfigError,
  p2pConfigDefault,
  parseP2pConfig,
} from '../../../src/pool/config.js'
import { testIdentity } from '../../support/identities.js'

const base = { identity: testIdentity(), chainName: 'DUNE_TEST' }

/** The field named by the P2pConfigError that parsing `input` throws. */
function badField(input: object): string {
  try {
    parseP2pConfig({ ...base, ...input })
  } catch (err) {
    assert.ok(err instanceof P2pConfigError)
    return err.field
  }
  assert.fail('expected a P2pConfigError')
}

describe('maintenance config', () => {
  test('defaults: on, every 120 s, 5 s Bootstrap wait, SPEC 5 backoff, all filled in', () => {
    const { maintenance } = parseP2pConfig(base)
    assert.deepEqual(maintenance, {
      enabled: true,
      periodMs: 120_000,
      bootstrapWaitMs: 5000,
      bootstrapRounds: 6,
      maxParallelDials: 8,
      protectedBest: 4,
      lowestScoreBias: 0.5,
      backoff: { firstRetryMs: 1000, retryFactor: 1.2, maxRetryMs: 300_000, afterDisconnectMs: 60_000 },
    })
    assert.deepEqual(maintenance.backoff, DEFAULT_BACKOFF)
    const partial = parseP2pConfig({ ...base, maintenance: { backoff: { maxRetryMs: 10_000 } } })
    assert.deepEqual(partial.maintenance.backoff, { ...DEFAULT_BACKOFF, maxRetryMs: 10_000 })
  })

  test('connections: N sets min/expected/max to N/2, N, 3N/2 and the tables to 8N (GC to 7N)', () => {
    const c = parseP2pConfig({ ...base, connections: 11 })
    assert.deepEqual([c.minConnections, c.expectedConnections, c.maxConnections], [5, 11, 16])
    assert.deepEqual(c.maxKnownPoints, { max: 88, target: 77 })
    assert.deepEqual(c.maxKnownPeerIds, { max: 88, target: 77 })
    const explicit = parseP2pConfig({ ...base, connections: 10, maxConnections: 40 })
    assert.deepEqual([explicit.minConnections, explicit.maxConnections], [5, 40])
  })

  test('errors name the field', () => {
    assert.equal(badField({ minConnections: 20, expectedConnections: 10 }), 'expectedConnections')
    assert.equal(badField({ expectedConnections: 200 }), 'expectedConnections')
    assert.equal(badField({ connections: 0 }), 'connections')
    assert.equal(badField({ maintenance: { periodMs: 0 } }), 'maintenance.periodMs')
    assert.equal(badField({ maintenance: { enable: true } }), 'maintenance.enable')
    assert.equal(
      badField({ maintenance: { backoff: { retryFactor: 0.5 } } }),
      'maintenance.backoff.retryFactor',
    )
    // The worker trusts these: the schema is their one check.
    assert.equal(badField({ maintenance: { maxParallelDials: 0 } }), 'maintenance.maxParallelDials')
    assert.equal(badField({ maintenance: { bootstrapRounds: -1 } }), 'maintenance.bootstrapRounds')
    assert.equal(badField({ maintenance: { protectedBest: 1.5 } }), 'maintenance.protectedBest')
    assert.equal(badField({ maintenance: { lowestScoreBias: 0 } }), 'maintenance.lowestScoreBias')
    assert.equal(badField({ maintenance: { lowestScoreBias: 1.5 } }), 'maintenance.lowestScoreBias')
    assert.equal(
      badField({ maintenance: { backoff: { maxRetryMs: Number.POSITIVE_INFINITY } } }),
      'maintenance.backoff.maxRetryMs',
    )
  })
})

describe('p2pConfigDefault', () => {
  test("reads a field's default from the schema, as parsing fills it in", () => {
    const parsed = parseP2pConfig(base)
    assert.equal(p2pConfigDefault('greylistTimeoutMs'), 86_400_000)
    assert.equal(p2pConfigDefault('greylistTimeoutMs'), parsed.greylistTimeoutMs)
    assert.equal(p2pConfigDefault('connectionTimeoutMs'), parsed.connectionTimeoutMs)
    assert.deepEqual(p2pConfigDefault('maintenance'), parsed.maintenance)
    assert.deepEqual(p2pConfigDefault('tcpKeepalive'), parsed.tcpKeepalive)
  })

  test('a field without a default is a TypeError', () => {
    assert.throws(() => p2pConfigDefault('identity'), TypeError)
    assert.throws(() => p2pConfigDefault('connections'), TypeError)
  })
})
