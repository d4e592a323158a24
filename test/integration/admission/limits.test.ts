// Per-address and per-subnet limits on real sockets from many 127.x addresses: concurrent
// sockets and new sockets per minute, refused before a byte is read; loopback exempt by default.
import assert from 'node:assert/strict'
import net from 'node:net'
import { describe, test } from 'node:test'
import { defined } from '../../support/defined.js'
import { nodeFixture } from '../../support/p2p-nodes.js'
import { waitUntil } from '../../support/wait.js'

/** A bare TCP connection from `from` to the node (it says nothing). */
function rawConnect(from: string, host: string, port: number): net.Socket {
  const socket = net.connect({ host, port, localAddress: from })
  socket.on('error', () => {})
  return socket
}

describe('admission limits', () => {
  const node = nodeFixture()

  test('per address: concurrent sockets bounded; per subnet: the /16 shares a bound', async () => {
    const b = await node('127.40.0.1', {
      admission: {
        exempt: [],
        perAddress: { maxConnections: 2, newPerMinute: 100 },
        perSubnet: { maxConnections: 4, newPerMinute: 100 },
      },
      authenticationTimeoutMs: 10_000,
    })
    const refusals: Array<{ remoteAddress: string; reason: string }> = []
    b.on('refused', (r) => refusals.push(r))
    const sockets = [0, 1, 2].map(() => rawConnect('127.41.0.1', '127.40.0.1', b.port!))
    await waitUntil(() => refusals.length === 1, {
      message: 'the third socket from 127.41.0.1 to be refused',
    })
    assert.deepEqual(refusals[0], { remoteAddress: '127.41.0.1', reason: 'address_limit' })
    assert.deepEqual(b.stats().slots.handshakes, 2)
    for (const host of ['127.41.0.2', '127.41.0.3', '127.41.0.4'])
      sockets.push(rawConnect(host, '127.40.0.1', b.port!))
    await waitUntil(() => refusals.length === 2, { message: 'the fifth socket of 127.41/16 to be refused' })
    assert.deepEqual(refusals[1], { remoteAddress: '127.41.0.4', reason: 'subnet_limit' })
    // Another /16 is not affected; a closed socket frees its place.
    sockets.push(rawConnect('127.42.0.1', '127.40.0.1', b.port!))
    await waitUntil(() => b.stats().slots.handshakes === 5, { message: 'the other subnet to be let in' })
    defined(sockets[0]).destroy()
    await waitUntil(() => b.stats().slots.handshakes === 4, { message: 'the closed socket to be released' })
    sockets.push(rawConnect('127.41.0.5', '127.40.0.1', b.port!))
    await waitUntil(() => b.stats().slots.handshakes === 5, { message: 'room again in 127.41/16' })
    assert.equal(refusals.length, 2)
    for (const s of sockets) s.destroy()
  })

  test('per address: new sockets per minute', async () => {
    const b = await node('127.40.0.2', {
      admission: { exempt: [], perAddress: { maxConnections: 100, newPerMinute: 3 } },
    })
    const refusals: string[] = []
    b.on('refused', (r) => refusals.push(r.reason))
    for (let i = 0; i < 3; i++) {
      const s = rawConnect('127.43.0.1', '127.40.0.2', b.port!)
      await waitUntil(() => b.stats().slots.handshakes === 1, { message: 'the socket to be taken' })
      s.destroy()
      await waitUntil(() => b.stats().slots.handshakes === 0, { message: 'the socket to close' })
    }
    const fourth = rawConnect('127.43.0.1', '127.40.0.2', b.port!)
    await waitUntil(() => refusals.length === 1, {
      message: 'the fourth socket within the minute to be refused',
    })
    assert.deepEqual(refusals, ['address_rate'])
    fourth.destroy()
  })

  test('the cap on handshakes in flight closes sockets beyond it unread', async () => {
    const b = await node('127.40.0.3', { admission: { maxHandshakesInFlight: 3 } })
    const refusals: string[] = []
    b.on('refused', (r) => refusals.push(r.reason))
    const sockets = [1, 2, 3, 4].map((i) => rawConnect(`127.44.0.${i}`, '127.40.0.3', b.port!))
    await waitUntil(() => refusals.length === 1, { message: 'the fourth handshake to be refused' })
    assert.deepEqual(refusals, ['too_many_handshakes'])
    assert.equal(b.stats().slots.handshakes, 3)
    assert.equal(b.stats().slots.maxHandshakes, 3)
    for (const s of sockets) s.destroy()
  })

  test('loopback is exempt by default: many sockets from one address are let in', async () => {
    const b = await node('127.40.0.4')
    const refusals: string[] = []
    b.on('refused', (r) => refusals.push(r.reason))
    const sockets = Array.from({ length: 8 }, () => rawConnect('127.45.0.1', '127.40.0.4', b.port!))
    await waitUntil(() => b.stats().slots.handshakes === 8, { message: 'all eight to be taken' })
    assert.deepEqual(refusals, [])
    for (const s of sockets) s.destroy()
  })
})
