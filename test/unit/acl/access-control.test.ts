// Tests of AccessControl: bans and trusts of IPs, subnets, points and peer ids and their
// precedence; the greylist (expiry on a fake clock, GC, flush, bounds, trusted entries never
// greylisted); events; snapshots; typed errors; and a fast-check model of IP statuses.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  AccessControl,
  type AccessControlOptions,
  type AclChange,
  AclInputError,
  type AclSnapshot,
  DEFAULT_GREYLIST_TIMEOUT_MS,
  type GreylistEvent,
} from '../../../src/acl/index.js'
import { peerIdToB58 } from '../../../src/crypto/index.js'
import { defined } from '../../support/defined.js'
import { FakeClock } from '../../support/fake-clock.js'

const DAY = 86_400_000

/** An AccessControl on a clock the test moves by hand (`clock.time`, ms). */
function withClock(options: AccessControlOptions = {}) {
  const clock = new FakeClock(1_000_000)
  const acl = new AccessControl({ clock, ...options })
  return { acl, clock }
}

const newPeer = () => peerIdToB58(randomBytes(16))

/** Records the events an AccessControl emits. */
function record(acl: AccessControl) {
  const greylisted: GreylistEvent[] = []
  const changed: AclChange[] = []
  acl.on('greylisted', (e) => greylisted.push(e))
  acl.on('changed', (e) => changed.push(e))
  return { greylisted, changed }
}

function assertAclError(fn: () => unknown, kind: string, pattern?: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AclInputError, `expected AclInputError, got ${String(err)}`)
    assert.equal(err.code, 'DUNE_ACL_INPUT')
    assert.equal(err.kind, kind)
    if (pattern) assert.match(err.message, pattern)
    return true
  })
}

describe('AccessControl: administrator lists', () => {
  test('bans an IP in either spelling', () => {
    const acl = new AccessControl()
    assert.equal(acl.isIpBanned('10.1.2.3'), false)
    assert.equal(acl.ipStatus('10.1.2.3'), 'ok')
    assert.equal(acl.banIp('::ffff:10.1.2.3'), true)
    assert.equal(acl.banIp('10.1.2.3'), false)
    assert.equal(acl.isIpBanned('10.1.2.3'), true)
    assert.equal(acl.isIpBanned('::ffff:a01:203'), true)
    assert.equal(acl.ipStatus('10.1.2.3'), 'banned')
    assert.equal(acl.isIpBanned('10.1.2.4'), false)
    assert.deepEqual(acl.bans().ips, ['10.1.2.3'])
    assert.equal(acl.unbanIp('10.1.2.3'), true)
    assert.equal(acl.unbanIp('10.1.2.3'), false)
    assert.equal(acl.isIpBanned('10.1.2.3'), false)
  })

  test('bans subnets: IPv4, IPv6 and /0', () => {
    const acl = new AccessControl()
    acl.banIp('10.0.0.0/8')
    assert.equal(acl.isIpBanned('10.1.2.3'), true)
    assert.equal(acl.isIpBanned('::ffff:10.200.0.1'), true)
    assert.equal(acl.isIpBanned('11.0.0.1'), false)
    acl.banIp('2001:db8::/32')
    assert.equal(acl.isIpBanned('2001:db8:ffff::1'), true)
    assert.equal(acl.isIpBanned('2001:db9::1'), false)
    acl.banIp('0.0.0.0/0')
    assert.equal(acl.isIpBanned('192.168.1.1'), true)
    assert.equal(acl.isIpBanned('fe80::1'), false)
    acl.banIp('::/0')
    assert.equal(acl.isIpBanned('fe80::1%eth0'), true)
    assert.deepEqual(acl.bans().ips, ['::/0', '2001:db8::/32', '0.0.0.0/0', '10.0.0.0/8'])
    // Unbanning is exact: lifting the /8 leaves the /0s.
    assert.equal(acl.unbanIp('10.0.0.0/8'), true)
    assert.equal(acl.unbanIp('10.1.2.3'), false)
    assert.equal(acl.isIpBanned('10.1.2.3'), true)
  })

  test('the longest entry decides between bans and trusts', () => {
    const acl = new AccessControl()
    acl.banIp('10.0.0.0/8')
    acl.trustIp('10.1.0.0/16')
    acl.banIp('10.1.2.3')
    assert.equal(acl.ipStatus('10.2.0.1'), 'banned')
    assert.equal(acl.ipStatus('10.1.9.9'), 'trusted')
    assert.equal(acl.isIpTrusted('10.1.9.9'), true)
    assert.equal(acl.isIpBanned('10.1.9.9'), false)
    assert.equal(acl.ipStatus('10.1.2.3'), 'banned')
    assert.equal(acl.isIpTrusted('10.1.2.3'), false)
    assert.equal(acl.ipStatus('11.0.0.1'), 'ok')
    acl.untrustIp('10.1.0.0/16')
    assert.equal(acl.ipStatus('10.1.9.9'), 'banned')
  })

  test('banning an entry drops the same trust and trusting drops the same ban', () => {
    const acl = new AccessControl()
    acl.trustIp('10.0.0.0/8')
    assert.equal(acl.banIp('10.0.0.0/8'), true)
    assert.deepEqual(acl.trusts().ips, [])
    assert.equal(acl.ipStatus('10.1.1.1'), 'banned')
    assert.equal(acl.trustIp('::ffff:10.0.0.0/104'), true)
    assert.deepEqual(acl.bans().ips, [])
    assert.deepEqual(acl.trusts().ips, ['10.0.0.0/8'])
    assert.equal(acl.ipStatus('10.1.1.1'), 'trusted')
    assert.equal(acl.untrustIp('10.0.0.0/8'), true)
    assert.equal(acl.untrustIp('10.0.0.0/8'), false)
    assert.equal(acl.ipStatus('10.1.1.1'), 'ok')
  })

  test('points: own ban or trust first, else the IP status', () => {
    const acl = new AccessControl()
    assert.equal(acl.banPoint('[::ffff:10.1.2.3]:9732'), true)
    assert.equal(acl.banPoint('10.1.2.3:9732'), false)
    assert.equal(acl.isPointBanned('10.1.2.3:9732'), true)
    assert.equal(acl.isPointBanned('10.1.2.3:9733'), false)
    assert.equal(acl.isIpBanned('10.1.2.3'), false) // a point ban is not an IP ban
    assert.deepEqual(acl.bans().points, ['10.1.2.3:9732'])

    acl.banIp('10.9.0.0/16')
    assert.equal(acl.isPointBanned('10.9.1.1:1'), true)
    assert.equal(acl.pointStatus('10.9.1.1:1'), 'banned')
    assert.equal(acl.trustPoint('10.9.1.1:1'), true)
    assert.equal(acl.pointStatus('10.9.1.1:1'), 'trusted')
    assert.equal(acl.isPointBanned('10.9.1.1:1'), false)
    assert.equal(acl.isPointTrusted('10.9.1.1:1'), true)

    acl.banPoint('10.9.1.1:1') // drops the trust
    assert.deepEqual(acl.trusts().points, [])
    assert.equal(acl.unbanPoint('10.9.1.1:1'), true)
    assert.equal(acl.isPointBanned('10.9.1.1:1'), true) // the IP is still banned

    acl.trustIp('2001:db8::/32')
    assert.equal(acl.isPointTrusted('[2001:db8::1]:9732'), true)
    assert.equal(acl.trustPoint('[2001:DB8:0::2]:80'), true)
    assert.deepEqual(acl.trusts().points, ['[2001:db8::2]:80'])
    assert.equal(acl.untrustPoint('[2001:db8::2]:80'), true)
    assert.equal(acl.untrustPoint('[2001:db8::2]:80'), false)
  })

  test('peers: ban, trust, and their exclusion', () => {
    const acl = new AccessControl()
    const a = newPeer()
    const b = newPeer()
    assert.equal(acl.peerStatus(a), 'ok')
    assert.equal(acl.banPeer(a), true)
    assert.equal(acl.banPeer(a), false)
    assert.equal(acl.isPeerBanned(a), true)
    assert.equal(acl.peerStatus(a), 'banned')
    assert.equal(acl.isPeerBanned(b), false)
    assert.equal(acl.trustPeer(a), true)
    assert.equal(acl.isPeerBanned(a), false)
    assert.equal(acl.isPeerTrusted(a), true)
    assert.deepEqual(acl.bans().peers, [])
    assert.deepEqual(acl.trusts().peers, [a])
    acl.banPeer(a)
    assert.deepEqual(acl.trusts().peers, [])
    assert.equal(acl.unbanPeer(a), true)
    assert.equal(acl.unbanPeer(a), false)
    assert.equal(acl.peerStatus(a), 'ok')
    acl.trustPeer(b)
    assert.equal(acl.untrustPeer(b), true)
    assert.equal(acl.untrustPeer(b), false)
    // Queries do not validate: an unknown string is simply not listed.
    assert.equal(acl.isPeerBanned('not a peer id'), false)
  })

  test('emits changed only when a call changes the lists', () => {
    const acl = new AccessControl()
    const events = record(acl)
    const peer = newPeer()
    acl.banIp('10.0.0.0/8')
    acl.banIp('10.0.0.0/8')
    acl.unbanIp('10.0.0.0/8')
    acl.unbanIp('10.0.0.0/8')
    acl.trustPoint('[::1]:80')
    acl.untrustPoint('[0::1]:80')
    acl.banPeer(peer)
    acl.trustPeer(peer)
    acl.untrustPeer(peer)
    assert.deepEqual(events.changed, [
      { action: 'ban', kind: 'ip', entry: '10.0.0.0/8' },
      { action: 'unban', kind: 'ip', entry: '10.0.0.0/8' },
      { action: 'trust', kind: 'point', entry: '[::1]:80' },
      { action: 'untrust', kind: 'point', entry: '[::1]:80' },
      { action: 'ban', kind: 'peer', entry: peer },
      { action: 'trust', kind: 'peer', entry: peer },
      { action: 'untrust', kind: 'peer', entry: peer },
    ])
    assert.deepEqual(events.greylisted, [])
  })
})

describe('AccessControl: greylist', () => {
  test('a greylisted IP is refused until the timeout, then let in', () => {
    const { acl, clock } = withClock()
    const events = record(acl)
    assert.equal(acl.greylistTimeoutMs, DEFAULT_GREYLIST_TIMEOUT_MS)
    assert.equal(acl.greylistIp('::ffff:192.0.2.1', 'bad proof of work'), true)
    assert.deepEqual(events.greylisted, [
      { kind: 'ip', ip: '192.0.2.1', reason: 'bad proof of work', until: clock.time + DAY },
    ])
    assert.equal(acl.isIpBanned('192.0.2.1'), true)
    assert.equal(acl.isIpGreylisted('192.0.2.1'), true)
    assert.equal(acl.ipStatus('192.0.2.1'), 'greylisted')
    assert.equal(acl.isPointBanned('192.0.2.1:9732'), true)
    assert.equal(acl.pointStatus('192.0.2.1:9732'), 'greylisted')
    assert.equal(acl.isIpBanned('192.0.2.2'), false)
    assert.deepEqual(acl.greylist().ips, [
      { ip: '192.0.2.1', reason: 'bad proof of work', until: clock.time + DAY },
    ])
    clock.time += DAY - 1
    assert.equal(acl.isIpBanned('192.0.2.1'), true)
    clock.time += 1
    assert.equal(acl.isIpBanned('192.0.2.1'), false)
    assert.equal(acl.ipStatus('192.0.2.1'), 'ok')
    assert.deepEqual(acl.greylist().ips, [])
  })

  test('greylisting again renews the entry', () => {
    const { acl, clock } = withClock({ greylistTimeoutMs: 1000 })
    acl.greylistIp('192.0.2.1', 'first')
    clock.time += 900
    acl.greylistIp('192.0.2.1', 'second')
    clock.time += 900
    assert.equal(acl.isIpGreylisted('192.0.2.1'), true)
    assert.deepEqual(acl.greylist().ips, [{ ip: '192.0.2.1', reason: 'second', until: clock.time + 100 }])
    clock.time += 100
    assert.equal(acl.isIpGreylisted('192.0.2.1'), false)
  })

  test('a greylisted peer is refused until the timeout', () => {
    const { acl, clock } = withClock({ greylistTimeoutMs: 5000 })
    const events = record(acl)
    const peer = newPeer()
    assert.equal(acl.greylistPeer(peer, 'wrong chain'), true)
    assert.deepEqual(events.greylisted, [
      { kind: 'peer', peerId: peer, reason: 'wrong chain', until: clock.time + 5000 },
    ])
    assert.equal(acl.isPeerBanned(peer), true)
    assert.equal(acl.isPeerGreylisted(peer), true)
    assert.equal(acl.peerStatus(peer), 'greylisted')
    assert.deepEqual(acl.greylist().peers, [
      { peerId: peer, reason: 'wrong chain', until: clock.time + 5000 },
    ])
    clock.time += 5000
    assert.equal(acl.isPeerBanned(peer), false)
    assert.equal(acl.peerStatus(peer), 'ok')
  })

  test('trusted IPs and peers are never greylisted', () => {
    const { acl } = withClock()
    const events = record(acl)
    const peer = newPeer()
    acl.trustIp('198.51.100.0/24')
    acl.trustPeer(peer)
    assert.equal(acl.greylistIp('198.51.100.7', 'decryption error'), false)
    assert.equal(acl.greylistIp('::ffff:198.51.100.8', 'decryption error'), false)
    assert.equal(acl.greylistPeer(peer, 'decoding error'), false)
    assert.equal(acl.isIpBanned('198.51.100.7'), false)
    assert.equal(acl.isIpGreylisted('198.51.100.7'), false)
    assert.equal(acl.isPeerBanned(peer), false)
    assert.deepEqual(acl.greylist(), { ips: [], points: [], peers: [] })
    assert.deepEqual(events.greylisted, [])
    // A banned (not trusted) IP can be greylisted.
    acl.banIp('203.0.113.1')
    assert.equal(acl.greylistIp('203.0.113.1', 'x'), true)
    assert.equal(acl.isIpGreylisted('203.0.113.1'), true)
    assert.equal(acl.ipStatus('203.0.113.1'), 'banned')
  })

  test('trusting or unbanning lifts the greylist entries it covers', () => {
    const { acl } = withClock()
    const peer = newPeer()
    acl.greylistIp('10.1.2.3', 'a')
    acl.greylistIp('10.1.2.4', 'a')
    acl.greylistIp('10.2.0.1', 'a')
    acl.greylistIp('2001:db8::1', 'a')
    acl.greylistPeer(peer, 'a')
    assert.equal(acl.trustIp('10.1.0.0/16'), true)
    assert.deepEqual(
      acl.greylist().ips.map((e) => e.ip),
      ['10.2.0.1', '2001:db8::1'],
    )
    assert.equal(acl.isIpBanned('10.1.2.3'), false)
    assert.equal(acl.untrustIp('10.1.0.0/16'), true)
    assert.equal(acl.isIpBanned('10.1.2.3'), false) // the entry is gone, not just hidden
    // Unbanning forgives greylist entries too, even without an admin ban.
    assert.equal(acl.unbanIp('10.0.0.0/8'), true)
    assert.equal(acl.unbanIp('10.0.0.0/8'), false)
    assert.equal(acl.isIpBanned('10.2.0.1'), false)
    assert.equal(acl.isIpBanned('2001:db8::1'), true)
    assert.equal(acl.unbanPeer(peer), true)
    assert.equal(acl.isPeerBanned(peer), false)
    acl.greylistPeer(peer, 'again')
    acl.trustPeer(peer)
    acl.untrustPeer(peer)
    assert.equal(acl.isPeerBanned(peer), false)
  })

  test('a greylisted point is refused, not its IP; bounded, expiring, lifted by flush, unban and trust', () => {
    const { acl, clock } = withClock({ greylistTimeoutMs: 1000, maxGreylistedPoints: 2 })
    const events = record(acl)
    assert.equal(acl.greylistPoint('127.0.0.1:9732', 'handshake: proof_of_work'), true)
    assert.deepEqual(events.greylisted, [
      {
        kind: 'point',
        point: '127.0.0.1:9732',
        reason: 'handshake: proof_of_work',
        until: clock.time + 1000,
      },
    ])
    assert.equal(acl.pointStatus('127.0.0.1:9732'), 'greylisted')
    assert.equal(acl.isPointBanned('[::ffff:127.0.0.1]:9732'), true)
    assert.equal(acl.isPointBanned('127.0.0.1:9733'), false, 'another node on the same IP')
    assert.equal(acl.ipStatus('127.0.0.1'), 'ok')
    // Bounded: the oldest falls out.
    acl.greylistPoint('127.0.0.1:9734', 'a')
    acl.greylistPoint('[::1]:9732', 'b')
    assert.deepEqual(
      acl.greylist().points.map((e) => e.point),
      ['127.0.0.1:9734', '[::1]:9732'],
    )
    assert.equal(acl.isPointBanned('127.0.0.1:9732'), false)
    // Saved and restored.
    const restored = AccessControl.fromJSON(JSON.parse(JSON.stringify(acl)), { clock })
    assert.equal(restored.isPointGreylisted('[::1]:9732'), true)
    // Lifted by unbanning or trusting the point, by unbanning its IP, by flush; expires.
    assert.equal(acl.unbanPoint('[::1]:9732'), true)
    assert.equal(acl.isPointGreylisted('[::1]:9732'), false)
    assert.equal(acl.unbanIp('127.0.0.0/8'), true)
    assert.equal(acl.isPointGreylisted('127.0.0.1:9734'), false)
    acl.greylistPoint('127.0.0.1:9735', 'c')
    assert.equal(acl.flushGreylist(), 1)
    acl.greylistPoint('127.0.0.1:9736', 'd')
    clock.time += 1000
    assert.equal(acl.isPointBanned('127.0.0.1:9736'), false)
    assert.equal(acl.gcGreylist(), 1)
    // A trusted point (or one on a trusted IP) is never greylisted.
    acl.trustPoint('127.0.0.1:9737')
    assert.equal(acl.greylistPoint('127.0.0.1:9737', 'e'), false)
    acl.trustIp('10.0.0.0/8')
    assert.equal(acl.greylistPoint('10.1.2.3:9732', 'e'), false)
  })

  test('mayTrustSomeoneAt: a trusted peer id (from anywhere) or a trusted point on the IP', () => {
    const { acl } = withClock()
    assert.equal(acl.mayTrustSomeoneAt('127.0.0.1'), false)
    acl.trustPoint('127.0.0.1:9732')
    assert.equal(acl.mayTrustSomeoneAt('127.0.0.1'), true)
    assert.equal(acl.mayTrustSomeoneAt('127.0.0.11'), false)
    acl.trustPoint('[2001:db8::1]:9732')
    assert.equal(acl.mayTrustSomeoneAt('2001:db8::1'), true)
    acl.trustPeer(newPeer())
    assert.equal(acl.mayTrustSomeoneAt('192.0.2.1'), true)
  })

  test('gcGreylist removes only expired entries and returns how many', () => {
    const { acl, clock } = withClock({ greylistTimeoutMs: 1000 })
    const peers = [newPeer(), newPeer()]
    acl.greylistIp('192.0.2.1', 'a') // until t0 + 1000
    acl.greylistPeer(defined(peers[0]), 'a')
    clock.time += 500
    acl.greylistIp('192.0.2.2', 'b') // until t0 + 1500
    acl.greylistPeer(defined(peers[1]), 'b')
    assert.equal(acl.gcGreylist(), 0)
    clock.time += 500
    assert.equal(acl.gcGreylist(), 2)
    assert.equal(acl.gcGreylist(), 0)
    assert.equal(acl.isIpGreylisted('192.0.2.2'), true)
    assert.equal(acl.isPeerGreylisted(defined(peers[1])), true)
    assert.equal(acl.gcGreylist(clock.time + 10_000), 2) // an explicit time
    assert.deepEqual(acl.greylist(), { ips: [], points: [], peers: [] })
  })

  test('flushGreylist clears the greylist but not the bans', () => {
    const { acl } = withClock()
    const peers = [newPeer(), newPeer()]
    acl.banIp('10.0.0.0/8')
    acl.banPoint('192.0.2.9:9732')
    acl.banPeer(defined(peers[0]))
    acl.greylistIp('192.0.2.1', 'a')
    acl.greylistIp('10.0.0.1', 'a')
    acl.greylistPeer(defined(peers[1]), 'a')
    assert.equal(acl.flushGreylist(), 3)
    assert.equal(acl.flushGreylist(), 0)
    assert.equal(acl.isIpBanned('192.0.2.1'), false)
    assert.equal(acl.isPeerBanned(defined(peers[1])), false)
    assert.equal(acl.isIpBanned('10.0.0.1'), true)
    assert.equal(acl.isPointBanned('192.0.2.9:9732'), true)
    assert.equal(acl.isPeerBanned(defined(peers[0])), true)
    assert.deepEqual(acl.bans(), { ips: ['10.0.0.0/8'], points: ['192.0.2.9:9732'], peers: [peers[0]] })
  })

  test('bounded greylists drop the oldest entry; renewal makes an entry the newest', () => {
    const { acl } = withClock({ maxGreylistedPeers: 3, maxGreylistedIps: 2 })
    const peers = [newPeer(), newPeer(), newPeer(), newPeer(), newPeer()]
    for (const p of peers.slice(0, 3)) acl.greylistPeer(p, 'x')
    acl.greylistPeer(defined(peers[0]), 'renewed') // now the newest
    acl.greylistPeer(defined(peers[3]), 'x') // drops peers[1]
    assert.deepEqual(
      acl.greylist().peers.map((e) => e.peerId),
      [peers[2], peers[0], peers[3]],
    )
    assert.equal(acl.isPeerBanned(defined(peers[1])), false)
    acl.greylistPeer(defined(peers[4]), 'x') // drops peers[2]
    assert.equal(acl.isPeerBanned(defined(peers[2])), false)
    assert.equal(acl.isPeerBanned(defined(peers[0])), true)

    acl.greylistIp('192.0.2.1', 'x')
    acl.greylistIp('192.0.2.2', 'x')
    acl.greylistIp('::ffff:192.0.2.3', 'x')
    assert.deepEqual(
      acl.greylist().ips.map((e) => e.ip),
      ['192.0.2.2', '192.0.2.3'],
    )
    assert.equal(acl.isIpBanned('192.0.2.1'), false)
  })
})

describe('AccessControl: snapshots', () => {
  function populated() {
    const { acl, clock } = withClock({ greylistTimeoutMs: 1000 })
    const peers = [newPeer(), newPeer(), newPeer()]
    acl.banIp('10.0.0.0/8')
    acl.banIp('2001:db8::/32')
    acl.banIp('192.0.2.7')
    acl.trustIp('10.1.0.0/16')
    acl.banPoint('[::ffff:198.51.100.1]:9732')
    acl.trustPoint('[2001:db8::5]:9732')
    acl.banPeer(defined(peers[0]))
    acl.trustPeer(defined(peers[1]))
    acl.greylistIp('203.0.113.5', 'bad proof of work')
    clock.time += 500
    acl.greylistIp('fe80::1%eth0', 'decryption error')
    acl.greylistPeer(defined(peers[2]), 'decoding error')
    return { acl, clock, peers }
  }

  test('round trip through JSON', () => {
    const { acl, clock, peers } = populated()
    const snapshot = JSON.parse(JSON.stringify(acl)) as AclSnapshot
    assert.deepEqual(snapshot, {
      bannedIps: ['2001:db8::/32', '10.0.0.0/8', '192.0.2.7'],
      bannedPoints: ['198.51.100.1:9732'],
      bannedPeers: [peers[0]],
      trustedIps: ['10.1.0.0/16'],
      trustedPoints: ['[2001:db8::5]:9732'],
      trustedPeers: [peers[1]],
      greylistedIps: [
        { ip: '203.0.113.5', reason: 'bad proof of work', until: clock.time + 500 },
        { ip: 'fe80::1', reason: 'decryption error', until: clock.time + 1000 },
      ],
      greylistedPeers: [{ peerId: peers[2], reason: 'decoding error', until: clock.time + 1000 }],
      greylistedPoints: [],
    })
    const restored = AccessControl.fromJSON(snapshot, { clock, greylistTimeoutMs: 1000 })
    assert.deepEqual(restored.toJSON(), acl.toJSON())
    assert.equal(restored.ipStatus('10.1.2.3'), 'trusted')
    assert.equal(restored.ipStatus('10.2.0.1'), 'banned')
    assert.equal(restored.isPointBanned('198.51.100.1:9732'), true)
    assert.equal(restored.isPeerGreylisted(defined(peers[2])), true)
    assert.equal(restored.isIpGreylisted('203.0.113.5'), true)
    // Entries expired by load time are dropped; the order (oldest first) is kept.
    clock.time += 600
    const later = AccessControl.fromJSON(snapshot, { clock })
    assert.deepEqual(later.greylist().ips, [
      { ip: 'fe80::1', reason: 'decryption error', until: clock.time + 400 },
    ])
  })

  test('the greylist is optional and reasons default', () => {
    const peer = newPeer()
    const lists = {
      bannedIps: [],
      bannedPoints: [],
      bannedPeers: [],
      trustedIps: ['10.0.0.0/8'],
      trustedPoints: [],
      trustedPeers: [],
    }
    const acl = AccessControl.fromJSON({ ...lists, unknownKey: 1 })
    assert.deepEqual(acl.toJSON(), { ...lists, greylistedIps: [], greylistedPeers: [], greylistedPoints: [] })
    const now = Date.now()
    const withGreylist = AccessControl.fromJSON({
      ...lists,
      greylistedIps: [
        { ip: '192.0.2.1', until: now + 60_000 },
        { ip: '10.0.0.1', until: now + 60_000 }, // trusted: skipped
      ],
      greylistedPeers: [{ peerId: peer, until: now + 60_000 }],
    })
    assert.deepEqual(withGreylist.greylist(), {
      ips: [{ ip: '192.0.2.1', reason: 'unknown', until: now + 60_000 }],
      points: [],
      peers: [{ peerId: peer, reason: 'unknown', until: now + 60_000 }],
    })
  })

  test('bad snapshots are typed errors naming the entry', () => {
    const good = populated().acl.toJSON()
    const cases: [unknown, RegExp][] = [
      [null, /\(top\)/],
      ['text', /\(top\)/],
      [{ ...good, bannedIps: undefined }, /bannedIps/],
      [{ ...good, bannedPeers: [42] }, /bannedPeers\.0/],
      [{ ...good, greylistedIps: [{ ip: '1.2.3.4', until: 'soon' }] }, /greylistedIps\.0\.until/],
      [{ ...good, bannedIps: ['10.0.0.0/8', 'nope'] }, /bannedIps\.1: "nope" is not an IP address or subnet/],
      [{ ...good, bannedIps: ['10.1.0.0/8'] }, /bannedIps\.0: .*the subnet is 10\.0\.0\.0\/8/],
      [{ ...good, trustedPoints: ['example.com:80'] }, /trustedPoints\.0/],
      [{ ...good, bannedPeers: ['idNotAPeer'] }, /bannedPeers\.0/],
      [
        { ...good, trustedIps: ['::ffff:10.0.0.0/104'] },
        /trustedIps\.0: "::ffff:10\.0\.0\.0\/104" is both banned and trusted/,
      ],
      [{ ...good, trustedPoints: ['198.51.100.1:9732'] }, /both banned and trusted/],
      [{ ...good, trustedPeers: good.bannedPeers }, /both banned and trusted/],
      [{ ...good, greylistedIps: [{ ip: '10.0.0.0/8', until: 1 }] }, /greylistedIps\.0: .*not an IP address/],
      [{ ...good, greylistedPeers: [{ peerId: 'x', until: 1 }] }, /greylistedPeers\.0/],
    ]
    for (const [data, pattern] of cases)
      assertAclError(() => AccessControl.fromJSON(data), 'snapshot', pattern)
  })
})

describe('AccessControl: bad input', () => {
  test('changes and queries throw AclInputError with the kind of input', () => {
    const acl = new AccessControl()
    assertAclError(() => acl.banIp('nope'), 'cidr')
    assertAclError(() => acl.banIp('10.1.0.0/8'), 'cidr', /the subnet is 10\.0\.0\.0\/8/)
    assertAclError(() => acl.trustIp('::/129'), 'cidr')
    assertAclError(() => acl.unbanIp(''), 'cidr')
    assertAclError(() => acl.banPoint('10.1.2.3'), 'point')
    assertAclError(() => acl.banPoint('example.com:9732'), 'point')
    assertAclError(() => acl.trustPoint('[::1]'), 'point')
    assertAclError(() => acl.unbanPoint(7 as unknown as string), 'point')
    assertAclError(() => acl.banPeer('idXYZ'), 'peer_id')
    assertAclError(() => acl.trustPeer(''), 'peer_id')
    assertAclError(() => acl.greylistPeer('nope', 'x'), 'peer_id')
    assertAclError(() => acl.greylistIp('10.0.0.0/8', 'x'), 'ip')
    assertAclError(() => acl.isIpBanned('999.1.1.1'), 'ip')
    assertAclError(() => acl.ipStatus(undefined as unknown as string), 'ip')
    assertAclError(() => acl.isPointBanned('1.2.3.4:70000'), 'point')
    assertAclError(() => acl.isPeerBanned(null as unknown as string), 'peer_id')
    assert.deepEqual(acl.toJSON().bannedIps, [])
  })

  test('options are checked', () => {
    for (const options of [
      { greylistTimeoutMs: 0 },
      { greylistTimeoutMs: Number.NaN },
      { maxGreylistedIps: -1 },
      { maxGreylistedPeers: 1.5 },
    ]) {
      assertAclError(() => new AccessControl(options), 'option')
    }
  })
})

describe('AccessControl: model', () => {
  test('IP statuses match a naive model of random operations', () => {
    // A small universe of subnets and addresses so that entries overlap.
    const cidrs = [
      '0.0.0.0/0',
      '10.0.0.0/8',
      '10.1.0.0/16',
      '10.1.2.0/24',
      '10.1.2.3',
      '10.2.0.1',
      '::/0',
      '2001:db8::/32',
    ]
    const ips = ['10.1.2.3', '10.1.2.4', '10.1.3.1', '10.2.0.1', '11.0.0.1', '2001:db8::1', '2001:db9::1']
    const v4 = (ip: string) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0)
    const covers = (cidr: string, ip: string): number => {
      const [base, bits] = cidr.split('/') as [string, string | undefined]
      // An IPv6 prefix (even ::/0) covers no IPv4 address; an IPv4 one no IPv6 address.
      if (base.includes(':') !== ip.includes(':')) return -1
      if (ip.includes(':')) {
        if (cidr === '::/0') return 0
        if (cidr === '2001:db8::/32') return ip.startsWith('2001:db8:') ? 32 : -1
        return -1
      }
      const length = bits === undefined ? 32 : Number(bits)
      const shift = 2 ** (32 - length)
      return Math.floor(v4(base) / shift) === Math.floor(v4(ip) / shift) ? 96 + length : -1
    }
    const opArb = fc.oneof(
      fc.record({
        op: fc.constantFrom('banIp', 'unbanIp', 'trustIp', 'untrustIp'),
        cidr: fc.constantFrom(...cidrs),
      }),
      fc.record({ op: fc.constant('greylistIp'), ip: fc.constantFrom(...ips) }),
      fc.record({ op: fc.constant('tick') }),
    )
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const { acl, clock } = withClock({ greylistTimeoutMs: 3 })
        const banned = new Set<string>()
        const trusted = new Set<string>()
        const greylist = new Map<string, number>()
        const longest = (set: Set<string>, ip: string) => Math.max(-1, ...[...set].map((c) => covers(c, ip)))
        const status = (ip: string) => {
          const b = longest(banned, ip)
          const t = longest(trusted, ip)
          if (t > b) return 'trusted'
          if (b >= 0) return 'banned'
          return (greylist.get(ip) ?? 0) > clock.time ? 'greylisted' : 'ok'
        }
        for (const step of ops) {
          if (step.op === 'tick') {
            clock.time += 1
          } else if (step.op === 'greylistIp') {
            const expected = status(step.ip) !== 'trusted'
            assert.equal(acl.greylistIp(step.ip, 'x'), expected)
            if (expected) greylist.set(step.ip, clock.time + 3)
          } else {
            const { op, cidr } = step
            const lift = () => {
              for (const ip of greylist.keys()) if (covers(cidr, ip) >= 0) greylist.delete(ip)
            }
            if (op === 'banIp') {
              assert.equal(acl.banIp(cidr), !banned.has(cidr))
              banned.add(cidr)
              trusted.delete(cidr)
            } else if (op === 'trustIp') {
              assert.equal(acl.trustIp(cidr), !trusted.has(cidr))
              trusted.add(cidr)
              banned.delete(cidr)
              lift()
            } else if (op === 'untrustIp') {
              assert.equal(acl.untrustIp(cidr), trusted.delete(cidr))
            } else {
              // Greylist entries count until collected, expired or not.
              const listed = [...greylist.keys()].some((ip) => covers(cidr, ip) >= 0)
              assert.equal(acl.unbanIp(cidr), banned.delete(cidr) || listed)
              lift()
            }
          }
          for (const ip of ips)
            assert.equal(acl.ipStatus(ip), status(ip), `${ip} after ${JSON.stringify(step)}`)
        }
      }),
      { numRuns: 300 },
    )
  })
})
