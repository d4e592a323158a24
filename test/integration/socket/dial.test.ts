// dialTcp's timeout over a real loopback listener whose accept queue is full (its process is
// blocked): DialError at the timeout on the clock given (Node's timers by default), AbortedError
// on the caller's signal, and no timer or abort listener left behind, connected or not.
import '../../support/dial-guard.mjs'
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { getEventListeners } from 'node:events'
import net from 'node:net'
import { after, before, describe, test } from 'node:test'
import { AbortedError } from '../../../src/socket/abort.js'
import { DialError, dialTcp } from '../../../src/socket/index.js'
import { FakeClock } from '../../support/fake-clock.js'
import { settlementOf } from '../../support/wait.js'

const HOST = '127.0.0.1'
const TIMEOUT_MS = 300

/**
 * A listener with a backlog of 1 in a child process that then blocks its event loop, so it never
 * accepts: once its accept queue is full, the kernel drops new SYNs and a connect waits.
 */
const BLOCKED_LISTENER = `
const net = require('node:net')
const server = net.createServer()
server.listen({ host: '${HOST}', port: 0, backlog: 1 }, () => {
  process.stdout.write(String(server.address().port) + '\\n', () => {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
  })
})
`

describe('dialTcp times out on a listener that never accepts', { timeout: 20_000 }, () => {
  let child: ChildProcess
  let port = 0
  /** Connections that filled the accept queue. */
  const fillers: net.Socket[] = []

  before(async () => {
    child = spawn(process.execPath, ['-e', BLOCKED_LISTENER], { stdio: ['ignore', 'pipe', 'inherit'] })
    port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (data: Buffer) => resolve(Number(data.toString().trim())))
      child.once('exit', (code) => reject(new Error(`listener exited (${code})`)))
    })
    // Fill the accept queue: connects that complete in the kernel until one does not.
    for (;;) {
      const socket = net.connect(port, HOST)
      socket.on('error', () => {})
      fillers.push(socket)
      const connected = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 200)
        socket.once('connect', () => {
          clearTimeout(timer)
          resolve(true)
        })
      })
      if (!connected) break
      assert.ok(fillers.length < 64, 'the accept queue never filled')
    }
  })

  after(() => {
    for (const socket of fillers) socket.destroy()
    child.kill('SIGKILL')
  })

  test('without a signal: DialError naming the timeout', async () => {
    const started = performance.now()
    await assert.rejects(
      dialTcp(HOST, port, { timeoutMs: TIMEOUT_MS }),
      (err: unknown) =>
        err instanceof DialError &&
        err.code === 'DUNE_DIAL' &&
        err.message === `cannot connect to ${HOST}:${port}: no answer within ${TIMEOUT_MS} ms`,
    )
    assert.ok(performance.now() - started >= TIMEOUT_MS - 5, 'rejected before its timeout')
  })

  test('on an injected clock: pending past real time, DialError when the clock reaches the timeout', async () => {
    const clock = new FakeClock(1_000_000)
    const controller = new AbortController()
    const dialing = dialTcp(HOST, port, { timeoutMs: TIMEOUT_MS, signal: controller.signal, clock })
    const settlement = settlementOf(dialing)
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS + 200))
    assert.equal(settlement().kind, 'pending', 'the real clock must not end it')
    assert.equal(clock.active, 1)
    clock.advance(TIMEOUT_MS)
    await dialing.catch(() => {})
    const outcome = settlement()
    assert.ok(
      outcome.kind === 'rejected' &&
        outcome.error instanceof DialError &&
        /no answer within 300 ms/.test(outcome.error.message),
      String(outcome.kind === 'rejected' ? outcome.error : outcome.kind),
    )
    assert.equal(clock.active, 0)
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'the abort listener is removed')
  })

  test('a signal that aborts before the timeout: AbortedError with its reason, the timer cleared', async () => {
    const clock = new FakeClock(1_000_000)
    const controller = new AbortController()
    const dialing = dialTcp(HOST, port, { timeoutMs: 60_000, signal: controller.signal, clock })
    setTimeout(() => controller.abort(new Error('shutting down')), 50)
    await assert.rejects(
      dialing,
      (err: unknown) =>
        err instanceof AbortedError && err.code === 'DUNE_ABORTED' && /shutting down/.test(err.message),
    )
    assert.equal(clock.active, 0)
  })

  test('a dial that connects leaves no timer and no abort listener', async () => {
    const server = net.createServer((socket) => socket.destroy())
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve))
    try {
      const clock = new FakeClock(1_000_000)
      const controller = new AbortController()
      const { port: open } = server.address() as net.AddressInfo
      const socket = await dialTcp(HOST, open, { timeoutMs: TIMEOUT_MS, signal: controller.signal, clock })
      socket.destroy()
      assert.equal(clock.active, 0)
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0)
    } finally {
      server.close()
    }
  })
})
