// Cancellation over real loopback sockets: dialTcp and authenticate end on their signal with
// AbortedError and close the socket; P2p.connect takes a signal, and stop() ends connects in flight.
import '../../support/dial-guard.mjs'
import assert from 'node:assert/strict'
import net from 'node:net'
import { after, describe, test } from 'node:test'
import { ConnectionRefusedError } from '../../../src/pool/errors.js'
import { AbortedError } from '../../../src/socket/abort.js'
import { authenticate, dialTcp } from '../../../src/socket/index.js'
import { startNode } from '../../support/p2p-nodes.js'
import { handshakeConfig } from '../../support/socket-pair.js'

const HOST = '127.0.0.1'
/** Far beyond any test's life: a connect ends by its signal, not by a timer. */
const LONG_MS = 60_000

/** A TCP server that accepts and never speaks; counts the sockets open on its side. */
async function silentServer(
  host = HOST,
): Promise<{ port: number; open: () => number; closed: () => Promise<void> }> {
  const sockets = new Set<net.Socket>()
  let onClose: (() => void) | undefined
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.resume() // reads nothing, but sees the other end close
    socket.once('close', () => {
      sockets.delete(socket)
      onClose?.()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  after(() => {
    for (const s of sockets) s.destroy()
    server.close()
  })
  return {
    port: (server.address() as net.AddressInfo).port,
    open: () => sockets.size,
    /** Resolves once no socket is open on the server's side. */
    closed: () =>
      new Promise<void>((resolve) => {
        if (sockets.size === 0) return resolve()
        onClose = () => {
          if (sockets.size === 0) resolve()
        }
      }),
  }
}

const isAborted = (err: unknown) => err instanceof AbortedError && err.code === 'DUNE_ABORTED'

describe('dialTcp and authenticate take an AbortSignal', () => {
  test('dialTcp with an aborted signal rejects at once without connecting', async () => {
    const server = await silentServer()
    await assert.rejects(dialTcp(HOST, server.port, { signal: AbortSignal.abort() }), isAborted)
    assert.equal(server.open(), 0)
  })

  test('dialTcp aborted while connecting rejects with AbortedError', async () => {
    const server = await silentServer()
    const controller = new AbortController()
    const dialing = dialTcp(HOST, server.port, { timeoutMs: LONG_MS, signal: controller.signal })
    controller.abort()
    await assert.rejects(dialing, isAborted)
    await server.closed()
  })

  test('dialTcp after connecting is no longer bound to the signal', async () => {
    const server = await silentServer()
    const controller = new AbortController()
    const socket = await dialTcp(HOST, server.port, { signal: controller.signal })
    controller.abort()
    assert.equal(socket.destroyed, false)
    socket.destroy()
  })

  test('authenticate aborted while the peer is silent rejects and closes the socket', async () => {
    const server = await silentServer()
    const socket = await dialTcp(HOST, server.port)
    const controller = new AbortController()
    const handshake = authenticate(socket, false, handshakeConfig({ authenticationTimeoutMs: LONG_MS }), {
      signal: controller.signal,
    })
    controller.abort()
    await assert.rejects(handshake, isAborted)
    assert.ok(socket.destroyed)
    await server.closed()
  })

  test('authenticate with an aborted signal destroys the socket at once', async () => {
    const server = await silentServer()
    const socket = await dialTcp(HOST, server.port)
    await assert.rejects(
      authenticate(socket, false, handshakeConfig(), { signal: AbortSignal.abort() }),
      isAborted,
    )
    assert.ok(socket.destroyed)
  })
})

describe('P2p.connect takes a signal; stop() ends the connects in flight', () => {
  test('an abort during the handshake rejects with AbortedError and frees the handshake', async () => {
    const server = await silentServer()
    const node = await startNode('127.0.0.61', { authenticationTimeoutMs: LONG_MS })
    after(() => node.stop())
    const controller = new AbortController()
    const connecting = node.connect(`${HOST}:${server.port}`, { signal: controller.signal })
    while (server.open() === 0) await new Promise((resolve) => setImmediate(resolve))
    assert.equal(node.stats().slots.handshakes, 1)
    controller.abort()
    await assert.rejects(connecting, isAborted)
    await server.closed()
    assert.equal(node.stats().slots.handshakes, 0)
    assert.equal(node.point(`${HOST}:${server.port}`)?.state, 'disconnected')
  })

  test('stop() rejects a connect in its handshake with stopped and closes its socket', async () => {
    const server = await silentServer()
    const node = await startNode('127.0.0.62', { authenticationTimeoutMs: LONG_MS })
    const connecting = node.connect(`${HOST}:${server.port}`)
    while (server.open() === 0) await new Promise((resolve) => setImmediate(resolve))
    await node.stop()
    await assert.rejects(
      connecting,
      (err: unknown) => err instanceof ConnectionRefusedError && err.reason === 'stopped',
    )
    await server.closed()
  })
})
