// Tests of the maintenance's pure decisions: the bounds and their validation, the reconnection
// backoff, the choice of candidates (eligibility, trust, diversity, age) and of connections to drop.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { DEFAULT_NET_GROUP_PREFIXES } from '../../../src/acl/net-group.js'
import { isDuneP2pError } from '../../../src/errors/index.js'
import { DEFAULT_BACKOFF, nextAttemptAt } from '../../../src/pool/backoff.js'
import { MaintenanceConfigError, maintenanceBounds } from '../../../src/pool/connection-bounds.js'
import {
  type CandidateView,
  chooseCandidates,
  chooseVictims,
  type KnownPointView,
} from '../../../src/workers/maintenance-policy.js'
import { defined } from '../../support/defined.js'
import { connection, point, seededRandom } from './fake-pool.js'

describe('maintenanceBounds', () => {
  test('the defaults 10/50/100 give 23/36/68/84', () => {
    assert.deepEqual(maintenanceBounds(10, 50, 100), {
      minThreshold: 23,
      minTarget: 36,
      maxTarget: 68,
      maxThreshold: 84,
    })
  })

  test('integer division of the steps', () => {
    // step_min = 4 / 3 = 1, step_max = 5 / 3 = 1.
    assert.deepEqual(maintenanceBounds(2, 6, 11), {
      minThreshold: 3,
      minTarget: 4,
      maxTarget: 9,
      maxThreshold: 10,
    })
    assert.deepEqual(maintenanceBounds(5, 5, 5), {
      minThreshold: 5,
      minTarget: 5,
      maxTarget: 5,
      maxThreshold: 5,
    })
  })

  test('min <= minThreshold <= minTarget <= maxTarget <= maxThreshold <= max', () => {
    const n = fc.nat({ max: 10_000 })
    fc.assert(
      fc.property(n, n, n, (a, b, c) => {
        const [min, expected, max] = [a, b, c].sort((x, y) => x - y) as [number, number, number]
        const bounds = maintenanceBounds(min, expected, max)
        const levels = [
          min,
          bounds.minThreshold,
          bounds.minTarget,
          bounds.maxTarget,
          bounds.maxThreshold,
          max,
        ]
        for (let i = 1; i < levels.length; i++)
          assert.ok(defined(levels[i - 1]) <= defined(levels[i]), levels.join(' '))
      }),
    )
  })

  test('min > expected: a typed error naming both fields and the fix', () => {
    assert.throws(
      () => maintenanceBounds(60, 50, 100),
      (err: unknown) => {
        assert.ok(err instanceof MaintenanceConfigError)
        assert.ok(isDuneP2pError(err, 'DUNE_MAINTENANCE_CONFIG'))
        assert.equal(err.field, 'minConnections')
        assert.match(err.message, /minConnections \(60\) must not exceed expectedConnections \(50\)/)
        assert.match(err.message, /lower minConnections or raise expectedConnections/)
        return true
      },
    )
  })

  test('expected > max: a typed error naming both fields and the fix', () => {
    assert.throws(
      () => maintenanceBounds(10, 150, 100),
      (err: unknown) =>
        err instanceof MaintenanceConfigError &&
        err.field === 'maxConnections' &&
        /expectedConnections \(150\) must not exceed maxConnections \(100\)/.test(err.message) &&
        /raise maxConnections or lower expectedConnections/.test(err.message),
    )
  })

  test('negative or fractional counts are refused', () => {
    assert.throws(() => maintenanceBounds(-1, 50, 100), {
      code: 'DUNE_MAINTENANCE_CONFIG',
      field: 'minConnections',
    })
    assert.throws(() => maintenanceBounds(10, 50.5, 100), { field: 'expectedConnections' })
    assert.throws(() => maintenanceBounds(10, 50, Number.NaN), { field: 'maxConnections' })
  })
})

describe('nextAttemptAt', () => {
  const now = 1_000_000

  test('a point never tried or failed may be dialed now', () => {
    assert.equal(nextAttemptAt({ failures: 0 }, now), now)
  })

  test('backoff from 1 s, x1.2 per failure in a row', () => {
    const delays = [1, 2, 3, 4, 5].map((failures) => nextAttemptAt({ failures, lastFailure: now }, now) - now)
    const expected = [1000, 1200, 1440, 1728, 2073.6]
    for (const [i, d] of delays.entries())
      assert.ok(Math.abs(d - defined(expected[i])) < 1e-6, `${d} vs ${expected[i]}`)
  })

  test('the wait is capped', () => {
    const config = { ...DEFAULT_BACKOFF, maxRetryMs: 300_000 }
    assert.equal(nextAttemptAt({ failures: 60, lastFailure: now }, now, config), now + 300_000)
    assert.equal(nextAttemptAt({ failures: 10_000, lastFailure: now }, now, config), now + 300_000)
    const custom = { firstRetryMs: 500, retryFactor: 2, maxRetryMs: 3000, afterDisconnectMs: 0 }
    const delays = [1, 2, 3, 4, 5].map(
      (failures) => nextAttemptAt({ failures, lastFailure: now }, now, custom) - now,
    )
    assert.deepEqual(delays, [500, 1000, 2000, 3000, 3000])
  })

  test('60 s after a normal disconnection', () => {
    assert.equal(nextAttemptAt({ failures: 0, lastDisconnect: now }, now), now + 60_000)
    assert.equal(nextAttemptAt({ failures: 0, lastDisconnect: now - 60_000 }, now), now)
  })

  test('the later of the two waits, never before now', () => {
    const both = { failures: 3, lastFailure: now, lastDisconnect: now - 59_000 }
    assert.equal(nextAttemptAt(both, now), now + 1440)
    assert.equal(nextAttemptAt({ failures: 1, lastFailure: now - 10_000 }, now), now)
  })
})

describe('chooseCandidates', () => {
  const now = 1_000_000
  const view = (points: KnownPointView[], fields: Partial<CandidateView> = {}): CandidateView => ({
    points,
    connections: [],
    dialing: new Set(),
    exclude: new Set(),
    now,
    ...fields,
  })
  const choose = (v: CandidateView, count: number) =>
    chooseCandidates(v, count, DEFAULT_BACKOFF, DEFAULT_NET_GROUP_PREFIXES).map((p) => p.point)

  test('points in distinct /16 groups go before many points of one /16', () => {
    const crowd = Array.from({ length: 10 }, (_, i) => point(`10.1.0.${i + 1}:9732`, { lastAttempt: i }))
    const distinct = [
      point('20.1.0.1:9732', { lastAttempt: 500 }),
      point('30.1.0.1:9732'),
      point('40.1.0.1:9732'),
    ]
    const points = [...crowd, ...distinct]
    // One connection in the crowded /16: the three others are strictly first.
    const connected = view(points, { connections: [connection('10.1.200.1')] })
    assert.deepEqual(choose(connected, 3).sort(), ['20.1.0.1:9732', '30.1.0.1:9732', '40.1.0.1:9732'])
    // No connection at all: one point per group first, the crowded group being just one of four.
    const all = choose(view(points), 13)
    assert.deepEqual(all.slice(0, 4).sort(), [
      '10.1.0.1:9732',
      '20.1.0.1:9732',
      '30.1.0.1:9732',
      '40.1.0.1:9732',
    ])
    // The crowded group gets its other slots only once every group has one.
    assert.deepEqual(
      all.slice(4),
      crowd.slice(1).map((p) => p.point),
    )
  })

  test('groups we are connected to come after groups we are not', () => {
    const points = [point('10.1.0.1:9732'), point('10.2.0.1:9732')]
    const connections = [connection('10.1.9.9')]
    assert.deepEqual(choose(view(points, { connections }), 2), ['10.2.0.1:9732', '10.1.0.1:9732'])
    // A dial in progress counts like a connection.
    const dialing = new Set(['10.2.7.7:9732'])
    assert.deepEqual(choose(view([...points, point('10.3.0.1:9732')], { connections, dialing }), 1), [
      '10.3.0.1:9732',
    ])
  })

  test('IPv6 points group by /32', () => {
    const points = [point('[2001:db8::1]:9732'), point('[2001:db8::2]:9732'), point('[2001:db9::1]:9732')]
    const chosen = choose(view(points), 2)
    assert.ok(chosen.includes('[2001:db9::1]:9732'), chosen.join(' '))
  })

  test('trusted points first, even in a crowded group', () => {
    const points = [point('10.1.0.1:9732'), point('10.2.0.1:9732', { trusted: true }), point('10.3.0.1:9732')]
    const connections = [connection('10.2.0.9')]
    assert.equal(choose(view(points, { connections }), 1)[0], '10.2.0.1:9732')
  })

  test('among equals, the oldest last attempt first (never tried counts as oldest)', () => {
    const points = [
      point('10.1.0.1:9732', { lastAttempt: 300 }),
      point('10.2.0.1:9732', { lastAttempt: 100 }),
      point('10.3.0.1:9732'),
      point('10.4.0.1:9732', { lastAttempt: 200 }),
    ]
    assert.deepEqual(choose(view(points), 4), [
      '10.3.0.1:9732',
      '10.2.0.1:9732',
      '10.4.0.1:9732',
      '10.1.0.1:9732',
    ])
  })

  test('skips greylisted, banned, excluded, dialing, connected, busy and backing-off points', () => {
    const points = [
      point('10.1.0.1:9732', { greylisted: true }),
      point('10.2.0.1:9732', { banned: true }),
      point('10.3.0.1:9732'),
      point('10.4.0.1:9732'),
      point('10.5.0.1:9732', { state: 'requested' }),
      point('10.6.0.1:9732', { state: 'running' }),
      point('10.7.0.1:9732'),
      point('10.8.0.1:9732', { failures: 2, lastFailure: now - 1000 }),
      point('10.9.0.1:9732', { lastDisconnect: now - 30_000 }),
      point('10.10.0.1:9732', { failures: 2, lastFailure: now - 1200 }),
      point('10.11.0.1:9732'),
    ]
    const v = view(points, {
      exclude: new Set(['10.3.0.1:9732']),
      dialing: new Set(['10.4.0.1:9732']),
      connections: [connection('10.7.0.1', { point: '10.7.0.1:9732' })],
    })
    assert.deepEqual(choose(v, 20).sort(), ['10.10.0.1:9732', '10.11.0.1:9732'])
  })

  test('returns at most count points, each once', () => {
    const points = Array.from({ length: 30 }, (_, i) => point(`10.${i % 5}.0.${i}:9732`))
    fc.assert(
      fc.property(fc.nat({ max: 40 }), (count) => {
        const chosen = choose(view(points), count)
        assert.equal(chosen.length, Math.min(count, 30))
        assert.equal(new Set(chosen).size, chosen.length)
      }),
    )
  })
})

describe('chooseVictims', () => {
  const policy = { protectedBest: 4, lowestScoreBias: 0.5 }

  test('never trusted connections nor the best-scored few', () => {
    const connections = Array.from({ length: 20 }, (_, i) =>
      connection(`10.${i}.0.1`, { score: i, trusted: i < 3 }),
    )
    const victims = chooseVictims(connections, 100, policy, seededRandom(1))
    const scores = victims.map((c) => c.score).sort((a, b) => a - b)
    // 17 untrusted (scores 3..19), the 4 best (16..19) protected.
    assert.deepEqual(
      scores,
      Array.from({ length: 13 }, (_, i) => i + 3),
    )
  })

  test('returns count connections, each once', () => {
    const connections = Array.from({ length: 30 }, (_, i) => connection(`10.${i}.0.1`, { score: i % 7 }))
    const victims = chooseVictims(connections, 10, policy, seededRandom(2))
    assert.equal(victims.length, 10)
    assert.equal(new Set(victims.map((v) => v.peerId)).size, 10)
  })

  test('bias 1: strictly the lowest scores', () => {
    const connections = [5, 1, 9, 3, 7, 2, 8, 4, 6, 0].map((score) =>
      connection(`10.${score}.0.1`, { score }),
    )
    const victims = chooseVictims(connections, 3, { protectedBest: 0, lowestScoreBias: 1 }, seededRandom(3))
    assert.deepEqual(
      victims.map((v) => v.score),
      [0, 1, 2],
    )
  })

  test('statistically, lower scores go first', () => {
    const connections = Array.from({ length: 20 }, (_, i) => connection(`10.${i}.0.1`, { score: i * 10 }))
    const random = seededRandom(42)
    const dropped = new Array<number>(20).fill(0)
    const trials = 2000
    for (let t = 0; t < trials; t++)
      for (const v of chooseVictims(connections, 5, { protectedBest: 0, lowestScoreBias: 0.5 }, random))
        dropped[v.score / 10] = defined(dropped[v.score / 10]) + 1
    // Drop frequency falls with the score, and the randomness reaches past the five lowest.
    assert.ok(defined(dropped[0]) > 0.9 * trials, `lowest dropped ${dropped[0]} times`)
    for (let i = 1; i < 10; i++) assert.ok(defined(dropped[i - 1]) >= defined(dropped[i]), dropped.join(' '))
    assert.ok(defined(dropped[5]) > 0, dropped.join(' '))
    assert.ok(dropped.slice(15).reduce((a, b) => a + b, 0) < defined(dropped[0]) / 20, dropped.join(' '))
  })

  test('connections within the grace period are never dropped', () => {
    const now = 1_000_000
    const connections = Array.from({ length: 6 }, (_, i) =>
      connection(`10.${i}.0.1`, { score: i, incoming: true, connectedAt: now - i * 1000 }),
    )
    const victims = chooseVictims(
      connections,
      6,
      { protectedBest: 0, lowestScoreBias: 1, graceMs: 3000 },
      seededRandom(4),
      now,
    )
    assert.deepEqual(
      victims.map((v) => v.score),
      [3, 4, 5],
    )
  })

  test('outbound connections are never dropped below minOutbound; inbound ones go instead', () => {
    const connections = Array.from({ length: 8 }, (_, i) =>
      connection(`10.${i}.0.1`, { score: i, incoming: i >= 4 }),
    )
    const victims = chooseVictims(
      connections,
      8,
      { protectedBest: 0, lowestScoreBias: 1, minOutbound: 3 },
      seededRandom(5),
    )
    // Outbound 0..3 (lowest scores): only one may go, leaving 3.
    assert.deepEqual(
      victims.map((v) => v.score),
      [0, 4, 5, 6, 7],
    )
  })
})
