// Misbehaviour and the ACL on real sockets: each greylisting cause (bad proof of work, a
// decoding error on a live connection, a MAC error through a bit-flipping relay, a wrong
// chain), refusal at accept before any byte is read, trust surviving misbehaviour, greylist GC.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { checkProofOfWork, type Identity, peerIdToB58 } from '../../../src/crypto/index.js'
import { IoScheduler } from '../../../src/io/scheduler.js'
import type { ConnectionRefusedError } from '../../../src/pool/errors.js'
import { Connection, HandshakeClosedError } from '../../../src/socket/index.js'
import { rawMessages } from '../../../src/wire/index.js'
import { testIdentity } from '../../support/identities.js'
import { chat, nextEvent, nodeFixture, pointOf, rawHandshake } from '../../support/p2p-nodes.js'
import { tcpProxy } from '../../support/tcp-proxy.js'
import { waitUntil } from '../../support/wait.js'

/** An identity whose stamp fails `bits` of proof of work. */
function weakIdentity(bits: number): Identity {
  for (;;) {
    const identity = testIdentity(0)
    if (!checkProofOfWork(identity.publicKey, identity.proofOfWorkStamp, bits)) return identity
  }
}

/**
 * These nodes' 127.0.x attackers stand for remote addresses: the loopback is not exempt from the
 * admission limits here, so misbehaviour greylists the IP (on an exempt address it greylists the
 * point and the peer id: test/integration/pool/shared-ip.test.ts).
 */
const REMOTE = { admission: { exempt: [] } }

describe('greylisting and the ACL', () => {
  const node = nodeFixture()
  const scheduler = new IoScheduler()
  after(() => scheduler.close())

  test('a bad proof of work greylists the IP and the peer id; the IP is then refused before the handshake', async () => {
    const b = await node('127.0.2.1', { expectedProofOfWork: 10, ...REMOTE })
    const weak = weakIdentity(10)
    const greylisted = nextEvent(b, 'greylisted', (e) => e.kind === 'ip')
    await assert.rejects(rawHandshake('127.0.2.2', pointOf(b), { identity: weak }), HandshakeClosedError)
    const [event] = await greylisted
    assert.deepEqual(
      { kind: event.kind, reason: event.reason },
      { kind: 'ip', reason: 'handshake: proof_of_work' },
    )
    assert.equal(b.acl.isIpGreylisted('127.0.2.2'), true)
    assert.equal(b.acl.isPeerGreylisted(peerIdToB58(weak.peerId)), true)

    // Greylisted now: closed at accept, before the handshake (nothing read, no handshake started).
    const refused = nextEvent(b, 'refused')
    const handshakes: unknown[] = []
    b.on('handshake-failed', (e) => handshakes.push(e))
    await assert.rejects(rawHandshake('127.0.2.2', pointOf(b)), HandshakeClosedError)
    assert.deepEqual((await refused)[0], { remoteAddress: '127.0.2.2', reason: 'greylisted' })
    assert.deepEqual(handshakes, [])
    assert.equal(b.stats().incomingHandshakes, 0)
  })

  test('an administrator ban refuses the IP at accept; the banned dialer sees the socket closed', async () => {
    const b = await node('127.0.2.3')
    b.acl.banIp('127.0.2.4')
    const refused = nextEvent(b, 'refused')
    await assert.rejects(rawHandshake('127.0.2.4', pointOf(b)), HandshakeClosedError)
    assert.deepEqual((await refused)[0], { remoteAddress: '127.0.2.4', reason: 'banned' })
    // A node at a banned point is not dialed either, and a ban kicks a live connection.
    const c = await node('127.0.2.5')
    b.acl.banPoint(pointOf(c))
    await assert.rejects(
      b.connect(pointOf(c)),
      (err: ConnectionRefusedError) => err.reason === 'point_banned',
    )
    const d = await node('127.0.2.6')
    await b.connect(pointOf(d))
    const kicked = nextEvent(b, 'disconnection')
    b.acl.banPeer(d.peerId)
    assert.equal((await kicked)[0].peerId, d.peerId)
  })

  test('a decoding error on a live connection greylists the peer id and its IP', async () => {
    const b = await node('127.0.2.7', REMOTE)
    const identity = testIdentity()
    const pending = await rawHandshake('127.0.2.8', pointOf(b), { identity })
    const raw = new Connection(await pending.accept(), rawMessages(), scheduler)
    const closed = nextEvent(b, 'disconnection')
    await raw.send({ kind: 'application', message: { tag: 0x7777, body: Buffer.from('not a chat') } })
    const [event] = await closed
    assert.equal(event.reason.kind, 'decode_error')
    assert.equal(b.acl.isPeerGreylisted(peerIdToB58(identity.peerId)), true)
    assert.equal(b.acl.isIpGreylisted('127.0.2.8'), true)
    raw.destroy()
  })

  test('a MAC error (a relay flips a bit) greylists the sender and the IP it came from', async () => {
    const b = await node('127.0.2.9', REMOTE)
    const a = await node('127.0.2.10')
    const proxy = await tcpProxy(b.port!, '127.0.2.9')
    try {
      await a.connect(`127.0.0.1:${proxy.port}`)
      await waitUntil(() => b.connections().length === 1, { message: 'b to adopt the connection' })
      const closed = nextEvent(b, 'disconnection')
      proxy.corruptNextToServer()
      await a.send(b.peerId, chat('flipped on the way'))
      assert.equal((await closed)[0].reason.kind, 'mac_error')
      assert.equal(b.acl.isPeerGreylisted(a.peerId), true)
      assert.equal(b.acl.isIpGreylisted('127.0.0.1'), true, 'the relay is the IP b saw')
    } finally {
      await proxy.close()
    }
  })

  test('a wrong chain greylists the peer id only, never its IP', async () => {
    const b = await node('127.0.2.11')
    const stranger = await node('127.0.2.12', { chainName: 'OTHER_CHAIN' })
    const greylisted = nextEvent(b, 'greylisted', (e) => e.kind === 'peer')
    await assert.rejects(
      stranger.connect(pointOf(b)),
      (err: ConnectionRefusedError) => err.reason === 'unknown_chain_name',
    )
    await greylisted
    assert.equal(b.acl.isPeerGreylisted(stranger.peerId), true)
    assert.equal(b.acl.isIpGreylisted('127.0.2.12'), false)
    assert.equal(stranger.point(pointOf(b)), undefined, 'a point of another network is forgotten')
    // Another node of our chain at the same IP is welcome.
    const friend = await node('127.0.2.12')
    const info = await friend.connect(pointOf(b))
    assert.equal(info.peerId, b.peerId)
  })

  test('trusted peers and IPs are never greylisted, whatever they do', async () => {
    const b = await node('127.0.2.13', { expectedProofOfWork: 10 })
    const weak = weakIdentity(10)
    b.acl.trustIp('127.0.2.14')
    await assert.rejects(rawHandshake('127.0.2.14', pointOf(b), { identity: weak }))
    assert.equal(b.acl.isIpGreylisted('127.0.2.14'), false)
    assert.equal(b.acl.isPeerGreylisted(peerIdToB58(weak.peerId)), false)

    const identity = testIdentity(10)
    b.acl.trustPeer(peerIdToB58(identity.peerId))
    for (let round = 0; round < 2; round++) {
      const pending = await rawHandshake('127.0.2.15', pointOf(b), { identity })
      const raw = new Connection(await pending.accept(), rawMessages(), scheduler)
      const closed = nextEvent(b, 'disconnection')
      await raw.send({ kind: 'application', message: { tag: 0x7777, body: Buffer.alloc(1) } })
      assert.equal((await closed)[0].reason.kind, 'decode_error')
      raw.destroy()
      assert.equal(b.acl.isPeerGreylisted(peerIdToB58(identity.peerId)), false)
      assert.equal(b.acl.isIpGreylisted('127.0.2.15'), false)
    }
    assert.equal(b.peer(peerIdToB58(identity.peerId))?.trusted, true)
  })

  test('greylist entries expire; gc collects them and the IP is welcome again', async () => {
    const b = await node('127.0.2.16', { expectedProofOfWork: 10, greylistTimeoutMs: 200, ...REMOTE })
    await assert.rejects(rawHandshake('127.0.2.17', pointOf(b), { identity: weakIdentity(10) }))
    assert.equal(b.acl.isIpGreylisted('127.0.2.17'), true)
    await waitUntil(() => !b.acl.isIpGreylisted('127.0.2.17'), { message: 'the greylist entry to expire' })
    assert.deepEqual(b.gc(), { greylist: 2, scores: 0, points: 0, peers: 0 })
    assert.deepEqual(b.acl.greylist(), { ips: [], points: [], peers: [] })
    const pending = await rawHandshake('127.0.2.17', pointOf(b), { identity: testIdentity(10) })
    await pending.accept()
    await waitUntil(() => b.connections().length === 1, { message: 'b to accept the IP again' })
  })
})
