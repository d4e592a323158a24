// PeerScores with an injected clock: each counter decays at its own half-life, uptime accrues
// while connected, contributions are weighted and capped, records are kept retainMs after disconnect.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { PeerScores, SCORE_COMPONENTS, type ScoreRules } from '../../../src/pool/peer-score.js'
import { FakeClock } from '../../support/fake-clock.js'

const HOUR = 3_600_000

function rules(overrides: Partial<ScoreRules> = {}): ScoreRules {
  return {
    components: {
      uptime: { weight: 0.001, halfLifeMs: HOUR, cap: 3600 },
      useful: { weight: 0.05, halfLifeMs: 600_000, cap: 100 },
      invalid: { weight: -2, halfLifeMs: HOUR, cap: 1000 },
      oversized: { weight: -5, halfLifeMs: HOUR, cap: 1000 },
      violation: { weight: -5, halfLifeMs: HOUR, cap: 1000 },
      handshakeFailure: { weight: -2, halfLifeMs: HOUR, cap: 1000 },
    },
    retainMs: HOUR,
    disconnectBelow: -20,
    maxRecords: 100,
    ...overrides,
  }
}

function clocked(r = rules()) {
  const clock = new FakeClock(1_000_000)
  return { clock, scores: new PeerScores(r, clock) }
}

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} ≉ ${b}`)

describe('PeerScores', () => {
  test('an unknown peer scores 0 and its detail lists every component at 0', () => {
    const { scores } = clocked()
    assert.equal(scores.behaviour('p'), 0)
    const d = scores.detail('p', 1.5)
    assert.equal(d.total, 1.5)
    assert.equal(d.application, 1.5)
    assert.deepEqual(Object.keys(d.components), [...SCORE_COMPONENTS])
    for (const c of SCORE_COMPONENTS) assert.equal(d.components[c].value, 0)
  })

  test('counters are weighted, and each halves with its own half-life', () => {
    const { clock, scores } = clocked()
    scores.add('p', 'invalid', 2)
    scores.add('p', 'useful', 10)
    close(scores.behaviour('p'), -4 + 0.5)
    clock.time += 600_000 // useful's half-life
    const d = scores.detail('p', 0)
    close(d.components.useful.value, 5)
    close(d.components.invalid.value, 2 * 2 ** (-1 / 6))
    close(d.components.invalid.contribution, -4 * 2 ** (-1 / 6))
    close(d.total, d.components.useful.contribution + d.components.invalid.contribution)
  })

  test('uptime accrues while connected (decaying as it goes) and stops at disconnect', () => {
    const { clock, scores } = clocked()
    scores.connected('p')
    clock.time += 60_000
    const lambda = Math.LN2 / HOUR
    const expected = (1 - Math.exp(-lambda * 60_000)) / lambda / 1000
    close(scores.detail('p', 0).components.uptime.value, expected, 1e-6)
    assert.ok(expected > 59.4 && expected < 60)
    scores.disconnected('p')
    clock.time += HOUR / 2
    close(scores.detail('p', 0).components.uptime.value, expected * 2 ** -0.5, 1e-6)
  })

  test('counters stop at their cap', () => {
    const { clock, scores } = clocked()
    scores.add('p', 'useful', 1000)
    assert.equal(scores.detail('p', 0).components.useful.value, 100)
    scores.connected('q')
    clock.time += 100 * HOUR
    assert.equal(scores.detail('q', 0).components.uptime.value, 3600)
  })

  test('a reconnection within retainMs finds the counters; after it, a fresh record', () => {
    const { clock, scores } = clocked()
    scores.connected('p')
    scores.add('p', 'violation', 4)
    scores.disconnected('p')
    clock.time += HOUR - 1
    assert.ok(scores.has('p'))
    scores.connected('p')
    assert.ok(scores.behaviour('p') < -9.9, 'the penalty survived the reconnection')
    scores.disconnected('p')
    clock.time += HOUR
    assert.equal(scores.has('p'), false)
    assert.equal(scores.behaviour('p'), 0)
  })

  test('gc drops records past retention, never connected ones; the table stays bounded', () => {
    const { clock, scores } = clocked(rules({ maxRecords: 3 }))
    scores.connected('a')
    scores.add('b', 'handshakeFailure')
    clock.time += HOUR
    assert.equal(scores.gc(), 1)
    assert.ok(scores.has('a'))
    scores.add('c', 'invalid')
    clock.time += 1
    scores.add('d', 'invalid')
    scores.add('e', 'invalid') // full: the disconnected peer gone longest (c) makes room
    assert.equal(scores.size, 3)
    assert.deepEqual(
      ['a', 'c', 'd', 'e'].map((p) => scores.has(p)),
      [true, false, true, true],
    )
  })

  test('lastUsefulAt is the time of the last useful report', () => {
    const { clock, scores } = clocked()
    assert.equal(scores.lastUsefulAt('p'), undefined)
    scores.add('p', 'useful')
    clock.time += 5
    scores.add('p', 'useful')
    assert.equal(scores.lastUsefulAt('p'), clock.time)
  })

  test('property: without new events, a negative-only score never falls, a positive-only one never rises', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...SCORE_COMPONENTS.filter((c) => c !== 'uptime')), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.array(fc.integer({ min: 0, max: 10 * HOUR }), { minLength: 1, maxLength: 5 }),
        (events, steps) => {
          const { clock, scores } = clocked()
          for (const e of events) scores.add('p', e)
          let last = scores.behaviour('p')
          const negative = last < 0
          for (const step of steps) {
            clock.time += step
            const now = scores.behaviour('p')
            if (events.every((e) => e !== 'useful')) assert.ok(now >= last - 1e-12 || !negative)
            if (events.every((e) => e === 'useful')) assert.ok(now <= last + 1e-12)
            last = now
          }
        },
      ),
    )
  })
})
