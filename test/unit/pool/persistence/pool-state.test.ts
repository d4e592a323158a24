// The tables and ACL as peers.json and back: through the state file's own schema, with peer
// metadata as hex of the application's encoding, and points in canonical form.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { AccessControl } from '../../../../src/acl/index.js'
import { peerIdToB58 } from '../../../../src/crypto/index.js'
import { KnownPeers } from '../../../../src/pool/known-peers.js'
import { KnownPoints } from '../../../../src/pool/known-points.js'
import { poolStateOf, recordsOf } from '../../../../src/pool/persistence/pool-state.js'
import { parseStateFile, stateFileText } from '../../../../src/pool/persistence/state-schema.js'
import { canonicalPoint } from '../../../../src/pool/point-text.js'
import { int32, obj } from '../../../../src/wire/index.js'
import { defined } from '../../../support/defined.js'
import { testIdentity } from '../../../support/identities.js'

const metaEncoding = obj('meta', { good: int32 })
const initial = () => ({ good: 0 })

describe('pool state', () => {
  test('points, peers (with metadata) and the ACL round-trip through peers.json', () => {
    const peerId = peerIdToB58(testIdentity().peerId)
    const points = new KnownPoints(10, 5)
    const r = points.register('10.0.0.1:9732')!.record
    points.requested(r, 1000)
    points.running(r, peerId, 1100)
    points.disconnected(r, 1200)
    points.register('[2001:db8::1]:1')!.record.trusted = true
    const peers = new KnownPeers(10, 5, initial)
    const p = peers.register(peerId).record
    p.metadata = { good: 7 }
    p.lastSeen = 1200
    peers.seenAt(p, '10.0.0.1:9732')
    const acl = new AccessControl()
    acl.banIp('10.9.0.0/16')
    acl.trustPeer(peerId)

    const text = stateFileText(poolStateOf(points.values(), peers.values(), acl, metaEncoding, (m) => m.good))
    const state = parseStateFile(text)
    assert.equal(defined(state.peers[0]).score, 7)
    assert.equal(defined(state.peers[0]).metadata, '00000007')
    const back = recordsOf(state, metaEncoding, initial)
    assert.deepEqual(back.points[0], { ...r, private: false })
    assert.equal(defined(back.points[1]).trusted, true)
    assert.deepEqual(defined(back.peers[0]).metadata, { good: 7 })
    assert.deepEqual([...(back.peers[0]?.points ?? [])], ['10.0.0.1:9732'])
    assert.deepEqual(AccessControl.fromJSON(state.acl).bans().ips, ['10.9.0.0/16'])
  })

  test('metadata that no longer decodes falls back to initial()', () => {
    const peerId = peerIdToB58(testIdentity().peerId)
    const state = parseStateFile(
      stateFileText({
        points: [],
        peers: [
          { peerId, trusted: false, points: [], metadata: 'zz' },
          { peerId, trusted: false, points: [], metadata: '0001' },
        ],
        acl: {
          bannedIps: [],
          bannedPoints: [],
          bannedPeers: [],
          trustedIps: [],
          trustedPoints: [],
          trustedPeers: [],
        },
      }),
    )
    const back = recordsOf(state, metaEncoding, initial)
    assert.deepEqual(
      back.peers.map((x) => x.metadata),
      [{ good: 0 }, { good: 0 }],
    )
  })
})

describe('canonicalPoint', () => {
  test('one text per address and port', () => {
    assert.equal(canonicalPoint('10.0.0.1:9732'), '10.0.0.1:9732')
    assert.equal(canonicalPoint('[::ffff:10.0.0.1]:9732'), '10.0.0.1:9732')
    assert.equal(canonicalPoint('[2001:0db8:0:0::1]:1'), '[2001:db8::1]:1')
    for (const bad of ['host:1', '10.0.0.1', '[::1%eth0]:1', 'x'.repeat(47), '10.0.0.1:65536']) {
      assert.equal(canonicalPoint(bad), undefined, bad)
    }
  })
})
