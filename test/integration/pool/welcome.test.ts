// The welcome worker on real sockets: admitted sockets reach the owner reading, refused IPs
// are closed unread, accept errors back off without stopping the loop, stop frees the port.
import assert from 'node:assert/strict'
import net from 'node:net'
import { describe, test } from 'node:test'
import { ListenError, WelcomeWorker } from '../../../src/workers/welcome.js'

/** Connects from `localAddress`, writes `data`, resolves when the server side closes the socket. */
function dialAndWait(port: number, localAddress: string, data = 'hello'): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.8.1', port, localAddress }, () => socket.write(data))
    socket.on('error', () => {})
    socket.on('close', () => resolve())
  })
}

describe('welcome worker', () => {
  test('admits sockets reading; refuses banned IPs before reading; accept errors back off, the loop goes on', async () => {
    const received: string[] = []
    const refused: Array<[string, string]> = []
    const errors: Error[] = []
    let server: net.Server | undefined
    const worker = new WelcomeWorker({
      config: { listenHost: '127.0.8.1', listenPort: 0, backlog: 20 },
      check: (ip) => (ip === '127.0.8.66' ? 'banned' : undefined),
      onSocket: (socket) => {
        socket.on('data', (d: Buffer) => {
          received.push(d.toString())
          socket.destroy()
        })
      },
      onRefused: (ip, reason) => refused.push([ip, reason]),
      onError: (err) => errors.push(err),
      backoffMs: { initial: 50, max: 100 },
      createServer: ((options: net.ServerOpts, listener: (socket: net.Socket) => void) => {
        server = net.createServer(options, listener)
        return server
      }) as typeof net.createServer,
    })
    const port = await worker.start()
    try {
      await dialAndWait(port, '127.0.8.2', 'admitted')
      assert.deepEqual(received, ['admitted'])

      await dialAndWait(port, '127.0.8.66', 'banned bytes')
      assert.deepEqual(refused, [['127.0.8.66', 'banned']])
      assert.deepEqual(received, ['admitted'], 'nothing of the banned socket was read')

      const emfile = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' })
      server!.emit('error', emfile)
      assert.deepEqual(errors, [emfile])
      await dialAndWait(port, '127.0.8.3', 'during backoff')
      assert.deepEqual(refused.at(-1), ['127.0.8.3', 'backoff'])
      await new Promise((resolve) => setTimeout(resolve, 60))
      await dialAndWait(port, '127.0.8.3', 'after backoff')
      assert.deepEqual(received, ['admitted', 'after backoff'])
      assert.equal(worker.running, true)
    } finally {
      await worker.stop()
    }
    assert.equal(worker.running, false)
    // The port is free again.
    const again = new WelcomeWorker({
      config: { listenHost: '127.0.8.1', listenPort: port, backlog: 1 },
      check: () => undefined,
      onSocket: (s) => s.destroy(),
    })
    assert.equal(await again.start(), port)
    await again.stop()
  })

  test('a port in use is a ListenError', async () => {
    const first = new WelcomeWorker({
      config: { listenHost: '127.0.8.1', listenPort: 0, backlog: 1 },
      check: () => undefined,
      onSocket: (s) => s.destroy(),
    })
    const port = await first.start()
    const second = new WelcomeWorker({
      config: { listenHost: '127.0.8.1', listenPort: port, backlog: 1 },
      check: () => undefined,
      onSocket: (s) => s.destroy(),
    })
    await assert.rejects(
      second.start(),
      (err: ListenError) => err instanceof ListenError && err.code === 'DUNE_LISTEN',
    )
    await first.stop()
  })
})
