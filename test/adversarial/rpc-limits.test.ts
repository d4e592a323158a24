// The admin RPC's bounds on a node as it ships (startShippedNode, real sockets on 127.0.0.x):
// slow-body clients closed, connections capped, log subscribers capped and dropped when not reading.
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { after, before, describe, test } from 'node:test'
import type { DuneNode } from '../../src/node/daemon.js'
import { RPC_LIMITS } from '../../src/rpc/limits.js'
import { assertErrorShape, http } from '../support/rpc-http.js'
import { startShippedNode } from '../support/shipped-node.js'

/** A connected socket to the RPC; `closed` resolves when the server (or an error) ends it. */
async function open(url: string): Promise<{ socket: Socket; closed: Promise<string> }> {
  const { hostname, port } = new URL(url)
  const socket = connect({ host: hostname, port: Number(port) })
  let received = ''
  socket.on('data', (d: Buffer) => {
    if (received.length < 4096) received += d.toString('latin1')
  })
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)))
  socket.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  return { socket, closed }
}

/** Resolves true when `p` settles within `ms`, else false (a guard, not a timing claim). */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([
    p.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
  ])
}

/** The status of GET /network/self, retried while the node still counts closed connections. */
async function answersSoon(url: string): Promise<number> {
  for (let i = 0; ; i++) {
    try {
      return (await http(url, 'GET', '/network/self')).status
    } catch (err) {
      if (i >= 100) throw err
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

/** An open /network/log stream that reads; `close` hangs up. */
async function subscribe(url: string): Promise<{ status: number; close(): void }> {
  const abort = new AbortController()
  const response = await fetch(`${url}/network/log`, { signal: abort.signal })
  if (response.status === 200) {
    const reader = response.body!.getReader()
    void (async () => {
      try {
        for (;;) if ((await reader.read()).done) break
      } catch {}
    })()
  } else {
    await response.text()
  }
  return { status: response.status, close: () => abort.abort() }
}

describe('the admin RPC of a shipped node keeps its bounds', () => {
  let node: DuneNode
  let url: string
  before(async () => {
    node = await startShippedNode('127.0.0.183', { rpc: true })
    url = node.rpcUrl!
  })
  after(() => node.stop())

  test('slow clients (a body trickling in, or headers never ending) are closed with 408', async () => {
    const host = new URL(url).host
    const slow = await Promise.all(Array.from({ length: 20 }, () => open(url)))
    const timers: NodeJS.Timeout[] = []
    slow.forEach(({ socket }, i) => {
      if (i % 2 === 0) {
        socket.write(
          `PATCH /network/points/192.0.2.20 HTTP/1.1\r\nHost: ${host}\r\nauthorization: Bearer ${node.rpcToken}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{`,
        )
      } else {
        socket.write(`GET /network/self HTTP/1.1\r\nHost: ${host}\r\n`)
      }
      // One byte a second: the connection never goes idle.
      timers.push(setInterval(() => socket.writable && socket.write(i % 2 === 0 ? ' ' : 'x'), 1000))
    })
    try {
      // Guard: the shipped request timeout is 10 s, its check runs every second.
      const limit = RPC_LIMITS.requestTimeoutMs + 15_000
      const closed = await Promise.all(slow.map(({ closed }) => within(closed, limit)))
      assert.deepEqual(closed, Array(20).fill(true), 'every slow client closed by the node')
      for (const { closed } of slow) {
        const text = await closed
        assert.match(text, /^HTTP\/1\.1 408 /)
        assert.match(text, /"code":"BAD_REQUEST"/)
      }
      assert.equal(node.p2p.acl.isIpBanned('192.0.2.20'), false)
    } finally {
      for (const t of timers) clearInterval(t)
      for (const { socket } of slow) socket.destroy()
    }
    assert.equal((await http(url, 'GET', '/network/self')).status, 200)
  })

  test(`at most ${RPC_LIMITS.maxConnections} connections: the next is closed unanswered; the P2P port still accepts`, async () => {
    const held = await Promise.all(Array.from({ length: RPC_LIMITS.maxConnections }, () => open(url)))
    try {
      const extra = await open(url).catch(() => undefined)
      if (extra) {
        extra.socket.write(`GET /network/self HTTP/1.1\r\nHost: ${new URL(url).host}\r\n\r\n`)
        const text = await extra.closed
        assert.equal(text, '', 'no answer past the cap')
      }
      // The P2P layer does not share the RPC's sockets.
      const p2p = connect({ host: '127.0.0.183', port: node.netPort! })
      await new Promise<void>((resolve, reject) => {
        p2p.once('connect', resolve)
        p2p.once('error', reject)
      })
      p2p.destroy()
    } finally {
      for (const { socket } of held) socket.destroy()
    }
    // Once the node has seen them go, the RPC answers again.
    assert.equal(await answersSoon(url), 200)
  })

  test('an idle connection that never sends a request is closed', async () => {
    const idle = await open(url)
    assert.ok(await within(idle.closed, RPC_LIMITS.headersTimeoutMs + 15_000), 'closed by the node')
  })

  test(`at most ${RPC_LIMITS.maxLogSubscribers} log subscribers: the next gets 503 in the error shape`, async () => {
    const streams = []
    try {
      for (let i = 0; i < RPC_LIMITS.maxLogSubscribers; i++) streams.push(await subscribe(url))
      assert.deepEqual(
        streams.map((s) => s.status),
        Array(RPC_LIMITS.maxLogSubscribers).fill(200),
      )
      assertErrorShape(await http(url, 'GET', '/network/log'), 503, 'BUSY')
      // HEAD answers at once, whatever the streams.
      const head = await http(url, 'HEAD', '/network/log')
      assert.equal(head.status, 200)
      assert.match(String(head.headers['content-type']), /^text\/event-stream/)
    } finally {
      for (const s of streams) s.close()
    }
  })

  test('subscribers that never read are dropped during an event flood; the slots come back', async () => {
    const host = new URL(url).host
    const stalled = await Promise.all(Array.from({ length: 5 }, () => open(url)))
    for (const { socket } of stalled) {
      socket.write(`GET /network/log HTTP/1.1\r\nHost: ${host}\r\n\r\n`)
      socket.pause()
      socket.removeAllListeners('data')
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
    const ended = stalled.map(({ closed }) => closed)
    try {
      // 80k events of ~450 bytes: 36 MB for each subscriber, past its kernel buffers and bound.
      for (let batch = 0; batch < 160; batch++) {
        for (let i = 0; i < 500; i++) node.gossip.publish(`flood ${batch}.${i} ${'x'.repeat(230)}`)
        await new Promise((resolve) => setImmediate(resolve))
      }
      // Reading now shows what the node did: it ended each stream.
      for (const { socket } of stalled) socket.resume()
      assert.ok(await within(Promise.all(ended), 15_000), 'every stalled subscriber dropped')
      // Their slots are free: a full set of reading subscribers fits.
      const streams = []
      for (let i = 0; i < RPC_LIMITS.maxLogSubscribers; i++) streams.push(await subscribe(url))
      for (const s of streams) s.close()
      assert.deepEqual(
        streams.map((s) => s.status),
        Array(RPC_LIMITS.maxLogSubscribers).fill(200),
      )
    } finally {
      for (const { socket } of stalled) socket.destroy()
    }
  })
})
