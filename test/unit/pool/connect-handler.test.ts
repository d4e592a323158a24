// The connect handler on fakes (no socket): every admission check before the dial and after the
// metadata, the Nack motives and alternatives, the slots on each path, failures and cancellation.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { MacError } from '../../../src/crypto/index.js'
import { ConnectionRefusedError } from '../../../src/pool/errors.js'
import { AbortedError } from '../../../src/socket/abort.js'
import {
  DialError,
  HandshakeDecodingError,
  HandshakeTimeoutError,
  ProofOfWorkTooLowError,
  RejectedByPeerError,
  SelfConnectionError,
} from '../../../src/socket/index.js'
import { defined } from '../../support/defined.js'
import {
  type Active,
  type FakeConnection,
  type Harness,
  harness,
  newPeerId,
  settle,
} from './connect-fixture.js'

const A = '52.0.0.1:9732'
const B = '52.0.1.2:9732'
const C = '52.0.2.3:9732'

function refused(reason: string) {
  return (err: unknown) => {
    assert.ok(err instanceof ConnectionRefusedError, `expected a refusal, got ${err}`)
    assert.equal(err.reason, reason)
    return true
  }
}

const aborted = (err: unknown) => {
  assert.ok(err instanceof AbortedError, `expected AbortedError, got ${err}`)
  assert.equal(err.code, 'DUNE_ABORTED')
  return true
}

/** Slots and handshake counters all back at rest, no connection alive. */
function assertAtRest(h: Harness): void {
  assert.deepEqual(h.slots.taken(), { inbound: 0, total: 0 })
  assert.equal(h.slots.reserved, 0)
  assert.equal(h.handler.handshakesInFlight, 0)
  assert.equal(h.tables.activeCount, 0)
}

async function closeConnection(active: Active): Promise<void> {
  await (active.connection as unknown as FakeConnection).close({ kind: 'eof' })
  await settle()
}

describe('ConnectHandler: the checks before the dial', () => {
  test('a stopped pool refuses (stopped) and dials nothing', async () => {
    const h = harness()
    h.lifetime.abort()
    await assert.rejects(h.handler.connect(A), refused('stopped'))
    assert.equal(h.net.dials.length, 0)
  })

  test('an aborted signal rejects with AbortedError before the dial', async () => {
    const h = harness()
    await assert.rejects(h.handler.connect(A, { signal: AbortSignal.abort() }), aborted)
    assert.equal(h.net.dials.length, 0)
    assert.equal(h.tables.points.get(A), undefined)
  })

  test('a banned point is refused; a trusted point is dialed though banned', async () => {
    const h = harness()
    h.acl.banPoint(A)
    await assert.rejects(h.handler.connect(A), refused('point_banned'))
    assert.equal(h.net.dials.length, 0)
    const t = harness({ trustedPoints: [B] })
    t.acl.banPoint(B)
    await t.handler.connect(B)
    assert.equal(t.net.dials.length, 1)
  })

  test('at the connection ceiling a dial is refused (too_many_connections) before it starts', async () => {
    const h = harness({ maxConnections: 2, minConnections: 1, expectedConnections: 1 })
    await h.handler.connect(A)
    await h.handler.connect(B)
    await assert.rejects(h.handler.connect(C), refused('too_many_connections'))
    assert.equal(h.net.dials.length, 2)
  })

  test('private mode dials trusted points only', async () => {
    const h = harness({ privateMode: true, trustedPoints: [B] })
    await assert.rejects(h.handler.connect(A), refused('private_mode'))
    await h.handler.connect(B)
    assert.deepEqual(
      h.net.dials.map((d) => d.point),
      [B],
    )
  })

  test('a full table of points it cannot forget refuses (table_full)', async () => {
    const h = harness({ trustedPoints: [A, B], maxKnownPoints: { max: 2, target: 1 } })
    await assert.rejects(h.handler.connect(C), refused('table_full'))
  })

  test('a connected point is already_connected; one being dialed is connecting', async () => {
    const h = harness()
    await h.handler.connect(A)
    await assert.rejects(h.handler.connect(A), refused('already_connected'))
    h.net.dialing(B, 'hang')
    const controller = new AbortController()
    const first = h.handler.connect(B, { signal: controller.signal })
    await assert.rejects(h.handler.connect(B), refused('connecting'))
    controller.abort()
    await assert.rejects(first, aborted)
  })

  test('a point that answered with our own identity is never dialed again (own_point)', async () => {
    const h = harness()
    h.net.peer(A, { authenticate: new SelfConnectionError({ point: A }) })
    await assert.rejects(h.handler.connect(A), SelfConnectionError)
    assert.equal(h.tables.points.get(A), undefined)
    await assert.rejects(h.handler.connect(A), refused('own_point'))
    assert.equal(h.net.dials.length, 1)
  })

  test('the dial is told the timeout and skips our own and banned addresses', async () => {
    const h = harness({ connectionTimeoutMs: 1234 })
    await h.handler.connect(A, { timeoutMs: 77 })
    await h.handler.connect(B)
    assert.equal(defined(h.net.dials[0]).request.timeoutMs, 77)
    assert.equal(defined(h.net.dials[1]).request.timeoutMs, 1234)
    h.acl.banPoint(C)
    assert.equal(defined(h.net.dials[1]).request.refused(C), 'point_banned')
    assert.equal(defined(h.net.dials[1]).request.refused('52.9.9.9:1'), undefined)
  })
})

describe('ConnectHandler: dial and handshake failures', () => {
  test('a failed dial rejects with its error, counts a failure and frees everything', async () => {
    const h = harness()
    h.net.dialing(A, new DialError(A, 'refused'))
    await assert.rejects(h.handler.connect(A), DialError)
    const record = h.tables.points.get(A)!
    assert.equal(record.state, 'disconnected')
    assert.equal(record.failures, 1)
    assert.equal(record.history?.events().at(-1)?.kind, 'request_rejected')
    assertAtRest(h)
  })

  test('a handshake timeout is not greylisted but costs the score and frees the slot', async () => {
    const h = harness()
    const peerId = newPeerId()
    h.net.peer(A, { authenticate: new HandshakeTimeoutError({ point: A, peerId }, 5000) })
    await assert.rejects(h.handler.connect(A), HandshakeTimeoutError)
    assert.equal(h.acl.ipStatus('52.0.0.1'), 'ok')
    assert.equal(h.acl.peerStatus(peerId), 'ok')
    assert.ok(h.scores.behaviour(peerId) < 0)
    assert.equal(h.tables.points.get(A)!.failures, 1)
    assert.equal(h.count('handshake-failed'), 1)
    assertAtRest(h)
  })

  test('a proof of work too low or a decoding failure greylists the IP and the peer', async () => {
    for (const make of [
      (peerId: string) => new ProofOfWorkTooLowError({ point: A, peerId }, 20),
      (peerId: string) => new HandshakeDecodingError({ point: A, peerId }, 'metadata', new Error('bad')),
    ]) {
      const h = harness()
      const peerId = newPeerId()
      h.net.peer(A, { authenticate: make(peerId) })
      await assert.rejects(h.handler.connect(A))
      assert.equal(h.acl.ipStatus('52.0.0.1'), 'greylisted')
      assert.equal(h.acl.peerStatus(peerId), 'greylisted')
      assertAtRest(h)
    }
  })

  test("a peer's Nack teaches its alternatives and does not cost its score", async () => {
    const h = harness()
    const peerId = newPeerId()
    h.net.peer(A, {
      authenticate: new RejectedByPeerError({ point: A, peerId }, 'too_many_connections', [B, C]),
    })
    await assert.rejects(h.handler.connect(A), RejectedByPeerError)
    assert.ok(h.tables.points.get(B))
    assert.ok(h.tables.points.get(C))
    assert.equal(h.scores.behaviour(peerId), 0)
    assertAtRest(h)
  })

  test('a failure after our Ack (the peer Nacks) gives the reserved slot back', async () => {
    const h = harness()
    const peerId = newPeerId()
    h.net.peer(A, { peerId, accept: new RejectedByPeerError({ point: A, peerId }, 'no_motive', []) })
    await assert.rejects(h.handler.connect(A), RejectedByPeerError)
    assert.equal(h.tables.peers.get(peerId)!.state, 'disconnected')
    assert.equal(h.tables.points.get(A)!.state, 'disconnected')
    assertAtRest(h)
    h.net.peer(A, { peerId })
    await h.handler.connect(A)
    assert.equal(h.tables.activeCount, 1)
  })
})

describe('ConnectHandler: the checks after the metadata (Nack)', () => {
  test('another peer than the one pinned: unexpected_peer_id, Nack, event, IP greylisted', async () => {
    const h = harness()
    const expected = newPeerId()
    const got = newPeerId()
    h.net.peer(A, { peerId: got })
    await assert.rejects(h.handler.connect(`${A}#${expected}`), refused('unexpected_peer_id'))
    assert.deepEqual(
      h.net.nacks.map((n) => n.motive),
      ['no_motive'],
    )
    const event = h.emitted.find((e) => e.name === 'unexpected-peer')!.args[0] as { got: string }
    assert.equal(event.got, got)
    assert.equal(h.acl.ipStatus('52.0.0.1'), 'greylisted')
    assertAtRest(h)
  })

  test('the pinned peer is accepted', async () => {
    const h = harness()
    const peerId = newPeerId()
    h.net.peer(A, { peerId })
    const active = await h.handler.connect(`${A}#${peerId}`)
    assert.equal(active.peerId, peerId)
  })

  test('an incoming peer on a greylisted IP is refused once known; a trusted peer there is not', async () => {
    const h = harness()
    h.acl.greylistIp('52.0.0.9', 'test')
    h.handler.accept(h.net.incoming('52.0.0.9', { port: 9732 }).asSocket())
    await settle()
    assert.deepEqual(
      h.net.nacks.map((n) => n.motive),
      ['no_motive'],
    )
    const refusal = h.emitted.filter((e) => e.name === 'handshake-failed').at(-1)!.args[0] as {
      error: unknown
    }
    refused('greylisted')(refusal.error)
    const trusted = newPeerId()
    h.acl.trustPeer(trusted)
    h.handler.accept(h.net.incoming('52.0.0.9', { port: 9732, peerId: trusted }).asSocket())
    await settle()
    assert.equal(h.tables.activeCount, 1)
  })

  test('a point greylisted while it was dialed is refused after the metadata (greylisted)', async () => {
    const h = harness()
    const original = h.net.dependencies.authenticate
    h.net.dependencies.authenticate = async (...args) => {
      h.acl.greylistPoint(A, 'test')
      return original(...args)
    }
    await assert.rejects(h.handler.connect(A), refused('greylisted'))
    assert.equal(h.net.nacks.length, 1)
  })

  test('a banned peer is refused (peer_banned)', async () => {
    const h = harness()
    const peerId = newPeerId()
    h.acl.banPeer(peerId)
    h.net.peer(A, { peerId })
    await assert.rejects(h.handler.connect(A), refused('peer_banned'))
    assert.equal(defined(h.net.nacks[0]).motive, 'no_motive')
  })

  test('another network: Nack with the version motive, the peer greylisted, the point forgotten', async () => {
    const h = harness()
    const peerId = newPeerId()
    h.net.peer(A, { peerId, version: 'unknown_chain_name' })
    await assert.rejects(h.handler.connect(A), refused('unknown_chain_name'))
    assert.equal(defined(h.net.nacks[0]).motive, 'unknown_chain_name')
    assert.equal(h.acl.peerStatus(peerId), 'greylisted')
    assert.equal(h.tables.points.get(A), undefined)
    assert.ok(h.scores.behaviour(peerId) < 0)
  })

  test('a score below score.disconnectBelow is refused (low_score)', async () => {
    const h = harness()
    const peerId = newPeerId()
    h.scores.add(peerId, 'invalid', 1000)
    h.net.peer(A, { peerId })
    await assert.rejects(h.handler.connect(A), refused('low_score'))
  })

  test('a trusted point lets a low-scored or banned peer through', async () => {
    const h = harness({ trustedPoints: [A] })
    const peerId = newPeerId()
    h.scores.add(peerId, 'invalid', 1000)
    h.acl.banPeer(peerId)
    h.net.peer(A, { peerId })
    const active = await h.handler.connect(A)
    assert.equal(active.peerId, peerId)
    assert.equal(h.net.nacks.length, 0)
  })

  test('private mode refuses an untrusted incoming peer, without alternatives', async () => {
    const h = harness({ privateMode: true })
    h.tables.registerPoint(B)
    h.handler.accept(h.net.incoming('52.0.3.4', { port: 9732 }).asSocket())
    await settle()
    assert.deepEqual(h.net.nacks, [
      { peerId: defined(h.net.nacks[0]).peerId, motive: 'no_motive', alternatives: [] },
    ])
    assert.equal(h.tables.activeCount, 0)
  })

  test('a second connection with a connected peer is refused (already_connected)', async () => {
    const h = harness()
    const peerId = newPeerId()
    h.net.peer(A, { peerId }).peer(B, { peerId })
    await h.handler.connect(A)
    await assert.rejects(h.handler.connect(B), refused('already_connected'))
    assert.equal(defined(h.net.nacks[0]).motive, 'already_connected')
    assert.equal(h.tables.activeCount, 1)
    assert.deepEqual(h.slots.taken(), { inbound: 0, total: 1 })
  })

  test('an incoming peer whose point we are dialing is refused (already_connected)', async () => {
    const h = harness()
    h.net.peer(A, { authenticate: 'hang' })
    const controller = new AbortController()
    const dialing = h.handler.connect(A, { signal: controller.signal })
    await settle()
    h.handler.accept(h.net.incoming('52.0.0.1', { port: 9732 }).asSocket())
    await settle()
    assert.equal(defined(h.net.nacks[0]).motive, 'already_connected')
    controller.abort()
    await assert.rejects(dialing, aborted)
  })

  test('the ceiling reached during a handshake: Nack too_many_connections with known points', async () => {
    const h = harness({ maxConnections: 1, minConnections: 1, expectedConnections: 1 })
    h.tables.registerPoint(C)
    const [first, second] = await Promise.allSettled([h.handler.connect(A), h.handler.connect(B)])
    assert.equal(first.status, 'fulfilled')
    assert.equal(second.status, 'rejected')
    refused('too_many_connections')((second as PromiseRejectedResult).reason)
    assert.equal(defined(h.net.nacks[0]).motive, 'too_many_connections')
    // Alternatives: good known points, not the refused peer's own point.
    assert.ok(defined(h.net.nacks[0]).alternatives.includes(C))
    assert.ok(!defined(h.net.nacks[0]).alternatives.includes(B))
    assert.deepEqual(h.slots.taken(), { inbound: 0, total: 1 })
  })

  test('inbound slots full and nobody to evict: Nack too_many_connections', async () => {
    const h = harness({
      maxConnections: 4,
      minConnections: 1,
      expectedConnections: 2,
      slots: { maxInbound: 1 },
    })
    h.handler.accept(h.net.incoming('52.0.5.1', { port: 9732 }).asSocket())
    await settle()
    assert.equal(h.slots.inbound, 1)
    // The only inbound connection is within its eviction grace period (it just arrived).
    h.handler.accept(h.net.incoming('52.0.6.1', { port: 9732 }).asSocket())
    await settle()
    assert.equal(h.net.nacks.at(-1)!.motive, 'too_many_connections')
    assert.equal(h.slots.inbound, 1)
    assert.equal(h.count('evicted'), 0)
  })

  test('inbound slots full with an evictable inbound connection: it is evicted for the newcomer', async () => {
    const h = harness({
      maxConnections: 4,
      minConnections: 1,
      expectedConnections: 2,
      slots: { maxInbound: 1 },
      eviction: {
        graceMs: 0,
        protectGroups: 0,
        protectLowLatency: 0,
        protectRecentUseful: 0,
        protectLongestShare: 0,
      },
    })
    h.handler.accept(h.net.incoming('52.0.5.1', { port: 9732 }).asSocket())
    await settle()
    h.handler.accept(h.net.incoming('52.0.6.1', { port: 9732 }).asSocket())
    await settle()
    assert.equal(h.count('evicted'), 1)
    assert.equal(h.adopted.length, 2)
    assert.equal((defined(h.adopted[0]).connection as unknown as FakeConnection).closeReason?.kind, 'local')
    await settle()
    assert.equal(h.slots.inbound, 1)
    assert.equal(h.tables.activeCount, 1)
    assert.equal(h.net.nacks.length, 0)
  })

  test('a trusted inbound connection is never evicted', async () => {
    const h = harness({
      maxConnections: 4,
      minConnections: 1,
      expectedConnections: 2,
      slots: { maxInbound: 1 },
      eviction: {
        graceMs: 0,
        protectGroups: 0,
        protectLowLatency: 0,
        protectRecentUseful: 0,
        protectLongestShare: 0,
      },
    })
    const trustedPeer = newPeerId()
    h.acl.trustPeer(trustedPeer)
    h.handler.accept(h.net.incoming('52.0.5.1', { port: 9732, peerId: trustedPeer }).asSocket())
    await settle()
    h.handler.accept(h.net.incoming('52.0.6.1', { port: 9732 }).asSocket())
    await settle()
    assert.equal(h.count('evicted'), 0)
    assert.equal(h.net.nacks.at(-1)!.motive, 'too_many_connections')
  })
})

describe('ConnectHandler: live connections and their slots', () => {
  test('a connection holds its slot until it closes; the tables follow', async () => {
    const h = harness({ maxConnections: 1, minConnections: 1, expectedConnections: 1 })
    const active = await h.handler.connect(A)
    assert.equal(h.tables.points.get(A)!.state, 'running')
    assert.equal(h.tables.peers.get(active.peerId)!.state, 'running')
    assert.deepEqual(h.slots.taken(), { inbound: 0, total: 1 })
    assert.equal(h.slots.outbound, 1)
    assert.equal(h.count('too-many-connections'), 1)
    await closeConnection(active)
    assert.equal(h.tables.points.get(A)!.state, 'disconnected')
    assert.equal(h.tables.peers.get(active.peerId)!.state, 'disconnected')
    assert.equal(h.count('disconnection'), 1)
    assert.equal(h.count('too-few-connections'), 1)
    assertAtRest(h)
    await h.handler.connect(B)
  })

  test('a connection closed on a MAC error greylists its IP and peer', async () => {
    const h = harness()
    const active = await h.handler.connect(A)
    await (active.connection as unknown as FakeConnection).close({
      kind: 'mac_error',
      error: new MacError('bad mac'),
    })
    await settle()
    assert.equal(h.acl.ipStatus('52.0.0.1'), 'greylisted')
    assert.equal(h.acl.peerStatus(active.peerId), 'greylisted')
  })

  test('an incoming connection counts as inbound; its listening point is learnt', async () => {
    const h = harness()
    h.handler.accept(h.net.incoming('52.0.7.1', { port: 9000 }).asSocket())
    await settle()
    assert.equal(h.slots.inbound, 1)
    assert.equal(defined(h.adopted[0]).point, '52.0.7.1:9000')
    assert.equal(h.tables.points.get('52.0.7.1:9000')!.state, 'running')
    assert.equal(h.handler.incomingHandshakes, 0)
  })
})

describe('ConnectHandler: incoming sockets', () => {
  test('a stopped pool destroys an incoming socket at once', () => {
    const h = harness()
    h.lifetime.abort()
    const socket = h.net.incoming('52.0.8.1')
    h.handler.accept(socket.asSocket())
    assert.ok(socket.destroyed)
    assert.equal(h.net.authSignals.length, 0)
  })

  test('a subnet over its share of the handshake table is answered Nack(too_many_connections)', async () => {
    const h = harness({ admission: { handshakesPerSubnet: 1 } })
    h.handler.accept(h.net.incoming('52.0.9.1', { authenticate: 'hang' }).asSocket())
    h.handler.accept(h.net.incoming('52.0.9.2', { port: 9732 }).asSocket())
    await settle()
    assert.equal(defined(h.net.nacks[0]).motive, 'too_many_connections')
    assert.equal(h.handler.incomingHandshakes, 1)
    h.lifetime.abort()
    await settle()
    assert.equal(h.handler.incomingHandshakes, 0)
    assert.equal(h.handler.handshakesInFlight, 0)
  })

  test('admitIncoming refuses over the cap on handshakes in flight, when the table has no room', async () => {
    const h = harness({
      maxIncomingConnections: 1,
      admission: { maxHandshakesInFlight: 1, handshakesPerSubnet: 1 },
    })
    const first = h.net.incoming('52.0.10.1', { authenticate: 'hang' })
    assert.equal(h.handler.admitIncoming('52.0.10.1', first.asSocket()), undefined)
    h.handler.accept(first.asSocket())
    const second = h.net.incoming('52.0.10.2')
    assert.equal(h.handler.admitIncoming('52.0.10.2', second.asSocket()), 'too_many_handshakes')
    h.lifetime.abort()
    await settle()
  })
})

describe('ConnectHandler: cancellation', () => {
  test('an abort in the dial phase rejects, marks the attempt failed and frees the point', async () => {
    const h = harness()
    h.net.dialing(A, 'hang')
    const controller = new AbortController()
    const connecting = h.handler.connect(A, { signal: controller.signal })
    await settle()
    const dialSignal = defined(h.net.dials[0]).request.signal!
    assert.equal(dialSignal.aborted, false)
    controller.abort(new Error('caller gave up'))
    await assert.rejects(connecting, aborted)
    assert.ok(dialSignal.aborted)
    assert.equal(h.tables.points.get(A)!.state, 'disconnected')
    assertAtRest(h)
    h.net.dialing(A, 'ok')
    await h.handler.connect(A)
  })

  test('a dial that resolves after the abort has its socket destroyed', async () => {
    const h = harness()
    h.net.dialing(A, 'ignore-abort')
    const controller = new AbortController()
    const connecting = h.handler.connect(A, { signal: controller.signal })
    await settle()
    controller.abort()
    h.net.releaseLateDials()
    await assert.rejects(connecting, aborted)
    assert.ok(defined(h.net.sockets[0]).destroyed)
    assert.equal(h.net.authSignals.length, 0)
    assertAtRest(h)
  })

  test('an abort in the handshake phase rejects, destroys the socket and frees the handshake', async () => {
    const h = harness()
    h.net.peer(A, { authenticate: 'hang' })
    const controller = new AbortController()
    const connecting = h.handler.connect(A, { signal: controller.signal })
    await settle()
    assert.equal(h.handler.handshakesInFlight, 1)
    controller.abort()
    await assert.rejects(connecting, aborted)
    assert.ok(defined(h.net.sockets[0]).destroyed)
    assert.equal(h.tables.points.get(A)!.state, 'disconnected')
    assertAtRest(h)
  })

  test('an abort after our Ack (waiting for the peer’s) gives the reserved slot back', async () => {
    const h = harness()
    h.net.peer(A, { accept: 'hang' })
    const controller = new AbortController()
    const connecting = h.handler.connect(A, { signal: controller.signal })
    await settle()
    assert.equal(h.slots.reserved, 1)
    controller.abort()
    await assert.rejects(connecting, aborted)
    assert.ok(defined(h.net.sockets[0]).destroyed)
    assertAtRest(h)
  })

  test('stopping the pool rejects the connects in flight with stopped, in every phase', async () => {
    const h = harness()
    h.net.dialing(A, 'hang').peer(B, { authenticate: 'hang' }).peer(C, { accept: 'hang' })
    const connects = [A, B, C].map((p) => h.handler.connect(p))
    await settle()
    h.lifetime.abort()
    for (const connect of connects) await assert.rejects(connect, refused('stopped'))
    assert.ok(h.net.sockets.every((s) => s.destroyed))
    assertAtRest(h)
  })

  test('the pool stopping between the metadata and the checks: Nack without alternatives', async () => {
    const h = harness()
    h.tables.registerPoint(C)
    const original = h.net.dependencies.authenticate
    h.net.dependencies.authenticate = async (...args) => {
      const pending = await original(...args)
      h.lifetime.abort()
      return pending
    }
    await assert.rejects(h.handler.connect(A), refused('stopped'))
    assert.deepEqual(defined(h.net.nacks[0]).alternatives, [])
    assertAtRest(h)
  })
})
