// selectToEvict: the grace period, negative scores first, each protection (network groups,
// latency, recent useful messages, longest connected) and the youngest of the biggest group.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type EvictionCandidate, type EvictionRules, selectToEvict } from '../../../src/pool/eviction.js'

const NOW = 10_000_000
const none: EvictionRules = {
  graceMs: 0,
  protectGroups: 0,
  protectLowLatency: 0,
  protectRecentUseful: 0,
  protectLongestShare: 0,
}
const byName = (group: string) => group.charCodeAt(0)

function peer(
  peerId: string,
  group: string,
  age: number,
  extra: Partial<EvictionCandidate> = {},
): EvictionCandidate {
  return { peerId, group, connectedAt: NOW - age, latencyMs: 10, lastUsefulAt: undefined, score: 0, ...extra }
}

describe('selectToEvict', () => {
  test('the youngest member of the group with the most candidates goes', () => {
    const list = [peer('a1', 'a', 500), peer('a2', 'a', 100), peer('b1', 'b', 50), peer('a3', 'a', 300)]
    assert.equal(selectToEvict(list, none, NOW, byName), 'a2')
  })

  test('between groups of equal size, the one with the youngest member loses it', () => {
    const list = [peer('a1', 'a', 500), peer('b1', 'b', 600), peer('b2', 'b', 20), peer('a2', 'a', 30)]
    assert.equal(selectToEvict(list, none, NOW, byName), 'b2')
  })

  test('connections in their grace period are not candidates', () => {
    const rules = { ...none, graceMs: 1000 }
    assert.equal(selectToEvict([peer('new', 'a', 999)], rules, NOW, byName), undefined)
    assert.equal(selectToEvict([peer('new', 'a', 999), peer('old', 'b', 1000)], rules, NOW, byName), 'old')
  })

  test('a negative score goes first, the lowest, whatever the protections', () => {
    const rules = { ...none, protectGroups: 4, protectLowLatency: 8, protectLongestShare: 1 }
    const list = [
      peer('a1', 'a', 500),
      peer('bad', 'b', 900, { score: -1 }),
      peer('worse', 'c', 900, { score: -3 }),
    ]
    assert.equal(selectToEvict(list, rules, NOW, byName), 'worse')
  })

  test('each protection keeps its peers; when all are protected, nobody goes', () => {
    const list = [
      peer('fast', 'x', 100, { latencyMs: 1 }),
      peer('useful', 'x', 90, { lastUsefulAt: NOW - 5 }),
      peer('old', 'x', 10_000),
      peer('lone', 'y', 80),
      peer('victim', 'x', 50),
    ]
    // Without protections the youngest of group x (the biggest) would go.
    assert.equal(selectToEvict(list, none, NOW, byName), 'victim')
    const protectAll = {
      ...none,
      protectGroups: 1,
      protectLowLatency: 1,
      protectRecentUseful: 1,
      protectLongestShare: 0.5,
    }
    // Group rank: 'x' < 'y', so x's longest-connected ('old') is kept; 'fast', 'useful'; then half of
    // ['lone', 'victim'] by uptime keeps 'lone'; 'victim' goes.
    assert.equal(selectToEvict(list, protectAll, NOW, byName), 'victim')
    assert.equal(selectToEvict(list.slice(0, 4), protectAll, NOW, byName), 'lone')
    const all = { ...protectAll, protectLowLatency: 8 }
    assert.equal(selectToEvict(list, all, NOW, byName), undefined)
  })

  test('an attacker group filling the slots loses its own members, never the diverse honest peers', () => {
    const honest = ['h1', 'h2', 'h3', 'h4'].map((id, i) =>
      peer(id, `honest${i}`, 5000 + i, { latencyMs: 50 }),
    )
    const attackers = Array.from({ length: 20 }, (_, i) =>
      peer(`m${i}`, 'mallory', 2000 + i * 10, { latencyMs: 1 }),
    )
    const rules: EvictionRules = {
      graceMs: 0,
      protectGroups: 4,
      protectLowLatency: 8,
      protectRecentUseful: 4,
      protectLongestShare: 0.5,
    }
    for (let round = 0; round < 10; round++) {
      const list = [...honest, ...attackers]
      const chosen = selectToEvict(list, rules, NOW, (g) => g.length)
      assert.ok(chosen?.startsWith('m'), `round ${round}: ${chosen}`)
      attackers.splice(
        attackers.findIndex((a) => a.peerId === chosen),
        1,
      )
    }
  })
})
