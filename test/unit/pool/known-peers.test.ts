// The table of known peers: initial metadata, where each was seen (bounded), and the GC.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { KnownPeers } from '../../../src/pool/known-peers.js'

describe('KnownPeers', () => {
  test('a new peer gets the initial metadata; seenAt keeps the latest 16 points, newest last', () => {
    const t = new KnownPeers(10, 5, () => ({ score: 1 }))
    const { record, created } = t.register('idA')
    assert.equal(created, true)
    assert.deepEqual(record.metadata, { score: 1 })
    assert.notEqual(t.register('idB').record.metadata, record.metadata, 'initial() is called per peer')
    for (let i = 0; i < 20; i++) t.seenAt(record, `10.0.0.${i}:1`)
    t.seenAt(record, '10.0.0.5:1')
    const points = [...record.points]
    assert.equal(points.length, 16)
    assert.equal(points.at(-1), '10.0.0.5:1')
    assert.ok(!points.includes('10.0.0.0:1'))
  })

  test('past max, the GC keeps trusted, connected and recently seen peers', () => {
    const t = new KnownPeers(3, 1, () => null)
    const a = t.register('idA').record
    const b = t.register('idB').record
    const c = t.register('idC').record
    a.trusted = true
    b.state = 'running'
    c.lastSeen = 5
    t.register('idD')
    assert.deepEqual(
      [...t.values()].map((r) => r.peerId),
      ['idA', 'idB', 'idD'],
    )
  })
})
