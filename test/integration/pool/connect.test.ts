// Connections through createP2p on 127.0.0.x: messages both ways, the tables' state
// transitions, duplicate connections (already_connected), disconnection, errors of the API.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createP2p } from '../../../src/p2p.js'
import {
  type ConnectionRefusedError,
  NotConnectedError,
  P2pNotRunningError,
} from '../../../src/pool/errors.js'
import { DialError, RejectedByPeerError } from '../../../src/socket/index.js'
import { InvalidPointError } from '../../../src/wire/index.js'
import { chat, chatMessages, nextEvent, nodeConfig, nodeFixture, pointOf } from '../../support/p2p-nodes.js'
import { waitUntil } from '../../support/wait.js'

describe('P2p connections', () => {
  const node = nodeFixture()

  test('connect, send both ways, broadcast, receive through the iterator', async () => {
    const a = await node('127.0.1.1')
    const b = await node('127.0.1.2')
    const established = nextEvent(b, 'connection')
    const info = await a.connect(pointOf(b))
    assert.equal(info.peerId, b.peerId)
    assert.equal(info.point, pointOf(b))
    assert.equal(info.incoming, false)
    assert.equal(info.trusted, false)
    assert.ok(info.score >= 0 && info.score < 0.01, 'a new peer: uptime only, nearly 0')
    assert.deepEqual(info.metadata, { disableMempool: false, privateNode: false })
    const [seen] = await established
    assert.equal(seen.peerId, a.peerId)
    assert.equal(seen.incoming, true)
    assert.equal(seen.point, pointOf(a), 'the incoming side learns the listening point announced')

    await a.send(b.peerId, chat('hello b'))
    assert.deepEqual(await b.receive(), { peer: a.peerId, message: chat('hello b') })
    assert.equal(b.trySend(a.peerId, chat('hello a')), true)
    assert.equal(b.broadcast(chat('to all')), 1)
    const received: string[] = []
    for await (const { peer, message } of a) {
      assert.equal(peer, b.peerId)
      received.push(message.value)
      if (received.length === 2) break
    }
    assert.deepEqual(received, ['hello a', 'to all'])
    assert.equal(a.connections().length, 1)
    assert.equal(a.connection(b.peerId)?.stats.messagesSent, 1)
    assert.equal(a.stats().activeConnections, 1)
  })

  test('tables: requested -> running -> disconnected on both sides, with times and peers', async () => {
    const a = await node('127.0.1.3')
    const b = await node('127.0.1.4')
    const before = Date.now()
    const pending = a.connect(pointOf(b))
    assert.equal(a.point(pointOf(b))?.state, 'requested')
    await pending
    await waitUntil(() => b.peer(a.peerId)?.state === 'running', { message: 'b to see a running' })
    const pa = a.point(pointOf(b))!
    assert.equal(pa.state, 'running')
    assert.equal(pa.peerId, b.peerId)
    assert.ok(pa.lastAttempt! >= before && pa.lastEstablished! >= pa.lastAttempt!)
    assert.equal(a.peer(b.peerId)?.state, 'running')
    assert.deepEqual(a.peer(b.peerId)?.points, [pointOf(b)])
    assert.equal(b.point(pointOf(a))?.state, 'running')

    const closed = nextEvent(b, 'disconnection')
    await a.disconnect(b.peerId)
    const [event] = await closed
    assert.equal(event.peerId, a.peerId)
    assert.equal(event.reason.kind, 'peer_disconnect')
    assert.equal(a.point(pointOf(b))?.state, 'disconnected')
    assert.ok(a.point(pointOf(b))!.lastDisconnect! >= pa.lastEstablished!)
    assert.ok(a.point(pointOf(b))!.nextAttemptAt > a.point(pointOf(b))!.lastDisconnect!)
    assert.equal(a.peer(b.peerId)?.state, 'disconnected')
    await waitUntil(() => b.peer(a.peerId)?.state === 'disconnected', { message: 'b to see a disconnected' })
    assert.equal(b.point(pointOf(a))?.state, 'disconnected')
    await assert.rejects(a.send(b.peerId, chat('late')), NotConnectedError)
    assert.equal(a.trySend(b.peerId, chat('late')), false)
  })

  test('a second connection to a connected peer is refused: locally, and by Nack already_connected', async () => {
    const a = await node('127.0.1.5')
    const b = await node('127.0.1.6')
    await a.connect(pointOf(b))
    await waitUntil(() => b.peer(a.peerId)?.state === 'running', { message: 'b to see a' })
    await assert.rejects(
      a.connect(pointOf(b)),
      (err: ConnectionRefusedError) => err.reason === 'already_connected',
    )
    await assert.rejects(
      b.connect(pointOf(a)),
      (err: ConnectionRefusedError) => err.reason === 'already_connected',
    )
    // The same identity from elsewhere: b answers Nack already_connected.
    const twin = await node('127.0.1.7', { identity: a.config.identity })
    const refused = nextEvent(b, 'handshake-failed')
    await assert.rejects(
      twin.connect(pointOf(b)),
      (err: RejectedByPeerError) => err instanceof RejectedByPeerError && err.motive === 'already_connected',
    )
    const [failure] = await refused
    assert.equal((failure.error as ConnectionRefusedError).reason, 'already_connected')
    assert.equal(b.connections().length, 1)
    assert.equal(b.acl.isPeerGreylisted(a.peerId), false, 'a duplicate is not misbehaviour')
  })

  test('failed dials count failures and back off; bad points and stopped nodes are refused', async () => {
    const a = await node('127.0.1.8', { maintenance: { enabled: false, backoff: { firstRetryMs: 7000 } } })
    const closedPoint = '127.0.1.9:1' // nothing listens there
    await assert.rejects(a.connect(closedPoint), DialError)
    const info = a.point(closedPoint)!
    assert.equal(info.state, 'disconnected')
    assert.equal(info.failures, 1)
    assert.equal(info.nextAttemptAt, info.lastFailure! + 7000, "the maintenance's backoff as configured")
    await assert.rejects(a.connect('not a point'), InvalidPointError)
    const idle = await createP2p(nodeConfig('127.0.1.10'), { messages: chatMessages })
    await assert.rejects(idle.connect(pointOf(a)), P2pNotRunningError)
    await idle.stop()
  })

  test('stop closes connections with Disconnect and ends the message iterator', async () => {
    const a = await node('127.0.1.11')
    const b = await node('127.0.1.12')
    await a.connect(pointOf(b))
    const iterating = (async () => {
      let n = 0
      for await (const _ of a) n++
      return n
    })()
    const closed = nextEvent(b, 'disconnection')
    await a.stop()
    assert.equal((await closed)[0].reason.kind, 'peer_disconnect')
    assert.equal(await iterating, 0)
    assert.equal(a.running, false)
    await assert.rejects(a.connect(pointOf(b)), P2pNotRunningError)
  })
})
