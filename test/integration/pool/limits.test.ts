// Connection limits on real sockets: max_connections (and max_threshold) refused with
// Nack(too_many_connections) and alternative points, max_incoming_connections bounding the
// handshakes in progress, and the too-few/too-many events for the maintenance.
import assert from 'node:assert/strict'
import net from 'node:net'
import { describe, test } from 'node:test'
import type { ConnectionRefusedError } from '../../../src/pool/errors.js'
import { RejectedByPeerError } from '../../../src/socket/index.js'
import { nextEvent, nodeFixture, pointOf, rawHandshake } from '../../support/p2p-nodes.js'
import { waitUntil } from '../../support/wait.js'

describe('connection limits', () => {
  const node = nodeFixture()

  test('at max_connections a new peer gets Nack(too_many_connections) with known points, and learns them', async () => {
    const b = await node('127.0.3.1', {
      maxConnections: 1,
      minConnections: 0,
      expectedConnections: 1,
      bootstrapPeers: ['127.0.3.50:9732'],
    })
    const a = await node('127.0.3.2')
    const c = await node('127.0.3.3')
    const full = nextEvent(b, 'too-many-connections')
    await a.connect(pointOf(b))
    assert.deepEqual((await full)[0], { active: 1, max: 1 })
    await waitUntil(() => b.connections().length === 1, { message: 'b to adopt a' })
    const rejected = await c.connect(pointOf(b)).then(
      () => assert.fail('c should have been refused'),
      (err: unknown) => err,
    )
    assert.ok(rejected instanceof RejectedByPeerError)
    assert.equal(rejected.motive, 'too_many_connections')
    assert.deepEqual(new Set(rejected.alternativePoints), new Set([pointOf(a), '127.0.3.50:9732']))
    assert.equal(c.point('127.0.3.50:9732')?.state, 'disconnected', 'c learnt the alternatives')
    assert.equal(c.point(pointOf(a))?.state, 'disconnected')
    assert.equal(c.point(pointOf(b))?.failures, 1)
    // Dialing out is refused locally at the limit too.
    await assert.rejects(
      b.connect(pointOf(c)),
      (err: ConnectionRefusedError) => err.reason === 'too_many_connections',
    )
  })

  test('max_threshold lowers the ceiling below max_connections', async () => {
    const b = await node('127.0.3.4', {
      maxConnections: 10,
      maxThreshold: 1,
      minConnections: 0,
      expectedConnections: 5,
    })
    const a = await node('127.0.3.5')
    const c = await node('127.0.3.6')
    await a.connect(pointOf(b))
    await waitUntil(() => b.connections().length === 1, { message: 'b to adopt a' })
    await assert.rejects(
      c.connect(pointOf(b)),
      (err: RejectedByPeerError) =>
        err instanceof RejectedByPeerError && err.motive === 'too_many_connections',
    )
  })

  test('beyond max_incoming_connections handshakes in progress, Nack(too_many_connections) with alternatives', async () => {
    const b = await node('127.0.3.7', { maxIncomingConnections: 1, bootstrapPeers: ['127.0.3.51:9732'] })
    // A peer that connects and says nothing holds the only handshake slot.
    const staller = net.connect({ host: '127.0.3.7', port: b.port!, localAddress: '127.0.3.8' })
    await waitUntil(() => b.stats().incomingHandshakes === 1, { message: 'the stalled handshake to start' })
    const pending = await rawHandshake('127.0.3.9', pointOf(b))
    await assert.rejects(
      pending.accept(),
      (err: RejectedByPeerError) =>
        err instanceof RejectedByPeerError &&
        err.motive === 'too_many_connections' &&
        err.alternativePoints.includes('127.0.3.51:9732'),
    )
    assert.equal(b.connections().length, 0)
    staller.destroy()
    await waitUntil(() => b.stats().incomingHandshakes === 0, { message: 'the slot to free' })
    const again = await rawHandshake('127.0.3.9', pointOf(b))
    await again.accept()
    await waitUntil(() => b.connections().length === 1, { message: 'b to accept once the slot is free' })
  })

  test('too-few-connections when a connection closes below min_connections', async () => {
    const b = await node('127.0.3.10', { minConnections: 1, expectedConnections: 1, maxConnections: 5 })
    const a = await node('127.0.3.11')
    await a.connect(pointOf(b))
    await waitUntil(() => b.connections().length === 1, { message: 'b to adopt a' })
    const few = nextEvent(b, 'too-few-connections')
    await a.disconnect(b.peerId)
    assert.deepEqual((await few)[0], { active: 0, min: 1 })
  })
})
