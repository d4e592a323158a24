// Live authenticated connections over real TCP on 127.0.0.x: messages both ways across chunk
// boundaries, bounded queues and backpressure, close reasons, MAC and decoding failures.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import { MacError } from '../../../src/crypto/index.js'
import { IoScheduler } from '../../../src/io/scheduler.js'
import { authenticate, Connection, ConnectionClosedError, dialTcp } from '../../../src/socket/index.js'
import { bytes, DecodeError, defineMessages, rawMessages } from '../../../src/wire/index.js'
import {
  blob,
  connectedPair,
  handshakeConfig,
  listen,
  type TestConnection,
  testMessages,
} from '../../support/socket-pair.js'
import { tcpProxy } from '../../support/tcp-proxy.js'

async function readBlobs(conn: TestConnection, n: number): Promise<Buffer[]> {
  const out: Buffer[] = []
  while (out.length < n) {
    const msg = await conn.receive()
    assert.equal(msg.kind, 'application')
    if (msg.kind === 'application') out.push(msg.message.value)
  }
  return out
}

describe('connection', () => {
  test('messages flow both ways, in order, byte for byte', async () => {
    const { dialer, acceptor, close } = await connectedPair()
    try {
      const toAcceptor = Array.from({ length: 200 }, (_, i) => randomBytes(1 + ((i * 7919) % 3000)))
      const toDialer = Array.from({ length: 200 }, (_, i) => randomBytes(1 + ((i * 104729) % 500)))
      const sent = Promise.all([
        ...toAcceptor.map((b) => dialer.send(blob(b))),
        ...toDialer.map((b) => acceptor.send(blob(b))),
      ])
      const [atAcceptor, atDialer] = await Promise.all([readBlobs(acceptor, 200), readBlobs(dialer, 200)])
      await sent
      assert.deepEqual(atAcceptor, toAcceptor)
      assert.deepEqual(atDialer, toDialer)
      const stats = dialer.stats()
      assert.equal(stats.messagesSent, 200)
      assert.equal(stats.messagesReceived, 200)
      const payload = toAcceptor.reduce((n, b) => n + b.length, 0)
      assert.ok(stats.bytesSent > payload, 'wire bytes include framing, chunk headers and MACs')
      assert.equal(acceptor.stats().bytesReceived, stats.bytesSent)
    } finally {
      await close()
    }
  })

  test('a message spanning many chunks is reassembled (small chunks, and 4 MiB in 64 KiB chunks)', async () => {
    const { dialer, acceptor, close } = await connectedPair({ dialer: { chunkSize: 1000 } })
    try {
      const small = randomBytes(300_000) // 300+ chunks of 1000 bytes
      const large = randomBytes(4 * 1024 * 1024) // 65 chunks of 65517 bytes, from the other side
      await dialer.send(blob(small))
      await acceptor.send(blob(large))
      const [[gotSmall], [gotLarge]] = await Promise.all([readBlobs(acceptor, 1), readBlobs(dialer, 1)])
      assert.ok(gotSmall!.equals(small))
      assert.ok(gotLarge!.equals(large))
      assert.ok(dialer.stats().bytesSent >= small.length + 300 * 18, 'one header and MAC per chunk')
    } finally {
      await close()
    }
  })

  test('messages around 4 KiB (where the reader stops peeking at sizes) arrive intact, whatever the chunk size', async () => {
    for (const chunkSize of [undefined, 4096, 4100]) {
      const { dialer, acceptor, close } = await connectedPair({ dialer: { chunkSize } })
      try {
        const sizes = [...Array.from({ length: 40 }, (_, i) => 4070 + i), 8186, 8192, 8200, 12_300]
        const sent = sizes.map((n) => randomBytes(n))
        for (const b of sent) await dialer.send(blob(b))
        assert.deepEqual(await readBlobs(acceptor, sent.length), sent, `chunk size ${chunkSize ?? 'default'}`)
      } finally {
        await close()
      }
    }
  })

  test('graceful close: queued messages arrive, then Disconnect; both sides know why', async () => {
    const { dialer, acceptor, close } = await connectedPair()
    try {
      for (let i = 0; i < 50; i++) void dialer.send(blob(Buffer.from([i])))
      await dialer.close({ kind: 'local', detail: 'test' })
      assert.deepEqual(await dialer.closed, { kind: 'local', detail: 'test' })
      assert.deepEqual(await acceptor.closed, { kind: 'peer_disconnect' })
      // Nothing is lost: the 50 messages are still readable after the close.
      const got = await readBlobs(acceptor, 50)
      assert.deepEqual(
        got.map((b) => b[0]),
        Array.from({ length: 50 }, (_, i) => i),
      )
      const err = await acceptor.receive().catch((e: unknown) => e)
      assert.ok(err instanceof ConnectionClosedError)
      assert.equal(err.reason.kind, 'peer_disconnect')
      await assert.rejects(dialer.send(blob(Buffer.from([1]))), ConnectionClosedError)
      assert.equal(dialer.trySend(blob(Buffer.from([1]))), false)
    } finally {
      await close()
    }
  })

  test('send waits while the outgoing queue is full; trySend fails without queueing; nothing is dropped', async () => {
    const { dialer, acceptor, close } = await connectedPair({
      dialer: { outgoingQueueBytes: 64 * 1024 },
      acceptor: { incomingQueueBytes: 64 * 1024 },
    })
    try {
      // The acceptor does not read: its queue fills, its socket pauses, TCP buffers fill,
      // then the dialer's writer blocks and its outgoing queue fills.
      // Loopback buffers hold megabytes, so send until trySend keeps refusing (bounded).
      const payload = randomBytes(64 * 1024)
      let written = 0
      let refusedInARow = 0
      for (let i = 0; i < 4000 && refusedInARow < 5; i++) {
        if (dialer.trySend(blob(payload))) {
          written++
          refusedInARow = 0
        } else {
          refusedInARow++
          await new Promise((r) => setTimeout(r, 20))
        }
      }
      assert.equal(refusedInARow, 5, 'trySend refuses while the queue stays full')
      const queued = dialer.stats().outgoingQueueBytes
      assert.ok(queued > 0 && queued <= 64 * 1024 + 70 * 1024, `outgoing queue bounded (${queued})`)
      let waited = false
      const pending = dialer.send(blob(payload)).then(() => {
        waited = true
      })
      await new Promise((r) => setTimeout(r, 100))
      assert.equal(waited, false, 'write waits while the queue is full')
      assert.ok(dialer.stats().outgoingQueueBytes > 0)
      // Now read everything: the pending write completes and every message arrives.
      assert.ok(acceptor.stats().incomingQueueBytes <= 64 * 1024 + 70 * 1024, 'incoming queue bounded')
      const got = await readBlobs(acceptor, written + 1)
      await pending
      assert.equal(waited, true)
      assert.equal(got.length, written + 1)
      assert.ok(got.every((b) => b.equals(payload)))
    } finally {
      await close()
    }
  })

  test('a flipped bit in a chunk: the receiver closes with a MAC error', async () => {
    const scheduler = new IoScheduler()
    let accepted: Promise<TestConnection> | undefined
    const server = await listen((socket) => {
      accepted = authenticate(socket, true, handshakeConfig()).then(
        async (p) => new Connection(await p.accept(), testMessages, scheduler),
      )
    })
    const proxy = await tcpProxy(server.port)
    try {
      const socket = await dialTcp('127.0.0.1', proxy.port)
      const pending = await authenticate(socket, false, handshakeConfig())
      const dialer = new Connection(await pending.accept(), testMessages, scheduler)
      while (!accepted) await new Promise((r) => setImmediate(r))
      const acceptor = await accepted
      await dialer.send(blob(Buffer.from('before')))
      assert.deepEqual(await readBlobs(acceptor, 1), [Buffer.from('before')])
      proxy.corruptNextToServer()
      await dialer.send(blob(Buffer.from('tampered')))
      const reason = await acceptor.closed
      assert.ok(reason.kind === 'mac_error' && reason.error instanceof MacError, JSON.stringify(reason))
      assert.equal(reason.error.code, 'DUNE_MAC')
      // The dialer learns that the connection is gone.
      assert.equal((await dialer.closed).kind, 'eof')
    } finally {
      await proxy.close()
      await server.close()
    }
  })

  test('an undecodable message (unknown tag) closes the connection with a decode error', async () => {
    const scheduler = new IoScheduler()
    let accepted: Promise<TestConnection> | undefined
    const server = await listen((socket) => {
      accepted = authenticate(socket, true, handshakeConfig()).then(
        async (p) => new Connection(await p.accept(), testMessages, scheduler),
      )
    })
    try {
      const socket = await dialTcp('127.0.0.1', server.port)
      const pending = await authenticate(socket, false, handshakeConfig())
      const raw = new Connection(await pending.accept(), rawMessages(), scheduler)
      while (!accepted) await new Promise((r) => setImmediate(r))
      const acceptor = await accepted
      await raw.send({ kind: 'application', message: { tag: 0x99, body: Buffer.from('??') } })
      const reason = await acceptor.closed
      assert.ok(reason.kind === 'decode_error' && reason.error instanceof DecodeError)
      assert.equal(reason.error.reason, 'unknown_tag')
    } finally {
      await server.close()
    }
  })

  test('an oversized message is refused from its size prefix, before its body is buffered', async () => {
    const scheduler = new IoScheduler()
    const small = defineMessages({ blob: { tag: 0x10, encoding: bytes({ max: 1024 }), maxSize: 1028 } })
    let accepted: Promise<Connection<unknown>> | undefined
    const server = await listen((socket) => {
      accepted = authenticate(socket, true, handshakeConfig()).then(
        async (p) => new Connection(await p.accept(), small, scheduler) as Connection<unknown>,
      )
    })
    try {
      const socket = await dialTcp('127.0.0.1', server.port)
      const pending = await authenticate(socket, false, handshakeConfig())
      const big = new Connection(await pending.accept(), testMessages, scheduler)
      while (!accepted) await new Promise((r) => setImmediate(r))
      const acceptor = await accepted
      void big.send(blob(randomBytes(1024 * 1024))).catch(() => {})
      const reason = await acceptor.closed
      assert.ok(reason.kind === 'decode_error' && reason.error instanceof DecodeError)
      assert.equal(reason.error.reason, 'length_over_bound')
      assert.ok(acceptor.stats().bytesReceived < 1024 * 1024, 'the body was not read to the end')
    } finally {
      await server.close()
    }
  })

  test('the async iterator yields messages until the peer disconnects', async () => {
    const { dialer, acceptor, close } = await connectedPair()
    try {
      for (let i = 0; i < 10; i++) await dialer.send(blob(Buffer.from([i])))
      void dialer.close()
      const seen: number[] = []
      for await (const msg of acceptor) if (msg.kind === 'application') seen.push(msg.message.value[0]!)
      assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    } finally {
      await close()
    }
  })
})
