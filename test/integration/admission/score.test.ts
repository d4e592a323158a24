// Peer scores on real nodes: the application's reports and their decay, the score kept across a
// reconnection, and a score below the threshold disconnecting, greylisting and refusing the peer.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { ConnectionRefusedError } from '../../../src/pool/errors.js'
import type { RejectedByPeerError } from '../../../src/socket/index.js'
import { nextEvent, nodeFixture, pointOf } from '../../support/p2p-nodes.js'
import { waitUntil } from '../../support/wait.js'

describe('peer scores', () => {
  const node = nodeFixture()

  test('reports show in the peer list, decay, and survive a reconnection', async () => {
    const h = await node('127.52.0.1', { score: { useful: { halfLifeMs: 200 } } })
    const p = await node('127.52.0.2')
    await p.connect(pointOf(h))
    await waitUntil(() => h.connection(p.peerId) !== undefined, { message: 'h to adopt p' })
    h.reportInvalid(p.peerId, 2)
    h.reportUseful(p.peerId, 10)
    const info = h.peer(p.peerId)!
    const detail = info.scoreDetail
    assert.ok(Math.abs(detail.components.invalid.value - 2) < 1e-3)
    assert.equal(detail.components.invalid.weight, -2)
    assert.ok(detail.components.useful.value > 9 && detail.components.useful.value <= 10)
    assert.equal(detail.application, 0)
    assert.equal(info.score, detail.total, 'one reading: the score is the total of its parts')
    assert.ok(detail.total < -3 && detail.total > -4, `total ${detail.total}`)
    await waitUntil(() => h.peer(p.peerId)!.scoreDetail.components.useful.value < 5, {
      message: 'useful to decay',
    })
    // Reconnecting does not reset the score.
    await p.disconnect(h.peerId)
    await waitUntil(() => h.connection(p.peerId) === undefined, { message: 'h to see p go' })
    await p.connect(pointOf(h))
    await waitUntil(() => h.connection(p.peerId) !== undefined, { message: 'h to adopt p again' })
    const after = h.peer(p.peerId)!.scoreDetail
    assert.ok(after.components.invalid.value > 1.99, 'the penalty was kept')
    assert.ok(h.connection(p.peerId)!.score < -3)
  })

  test('below disconnectBelow: disconnected, greylisted, then refused on its score alone', async () => {
    const h = await node('127.52.0.3', { score: { disconnectBelow: -5 } })
    const p = await node('127.52.0.4')
    await p.connect(pointOf(h))
    await waitUntil(() => h.connection(p.peerId) !== undefined, { message: 'h to adopt p' })
    const low = nextEvent(h, 'low-score')
    const gone = nextEvent(h, 'disconnection', (e) => e.peerId === p.peerId)
    h.reportInvalid(p.peerId, 3)
    const [{ peerId, score }] = await low
    assert.equal(peerId, p.peerId)
    assert.ok(score < -5)
    assert.equal((await gone)[0].reason.kind, 'local')
    assert.equal(h.peer(p.peerId)!.greylisted, true)
    await waitUntil(() => p.connection(h.peerId) === undefined, { message: 'p to see the disconnection' })
    // The greylist flushed, the retained score still refuses it.
    h.acl.flushGreylist()
    const refused = nextEvent(h, 'handshake-failed')
    await assert.rejects(
      p.connect(pointOf(h)),
      (err: RejectedByPeerError) => err.code === 'DUNE_REJECTED_BY_PEER',
    )
    const [{ error }] = await refused
    assert.equal((error as ConnectionRefusedError).reason, 'low_score')
    assert.equal(h.connection(p.peerId), undefined)
  })

  test('trusted peers are never disconnected for their score', async () => {
    const h = await node('127.52.0.5', { score: { disconnectBelow: -5 } })
    const p = await node('127.52.0.6')
    h.acl.trustPeer(p.peerId)
    await p.connect(pointOf(h))
    await waitUntil(() => h.connection(p.peerId) !== undefined, { message: 'h to adopt p' })
    h.reportInvalid(p.peerId, 10)
    assert.ok(h.peer(p.peerId)!.score < -5)
    assert.equal(h.enforceScores(), 0)
    assert.ok(h.connection(p.peerId))
  })
})
