// read_buffer_size: dialed connections read into one buffer shared by all of them (Node's
// `onread`); nothing they keep may alias it, whatever the interleaving of reads.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import { blob, connectedPair, type TestConnection } from '../../support/socket-pair.js'

async function readBlobs(conn: TestConnection, n: number): Promise<Buffer[]> {
  const out: Buffer[] = []
  while (out.length < n) {
    const msg = await conn.receive()
    if (msg.kind === 'application') out.push(msg.message.value)
  }
  return out
}

describe('shared read buffer (read_buffer_size)', () => {
  test('two dialed connections share a 1 KiB read buffer; every message arrives intact', async () => {
    const readBuffer = Buffer.alloc(1024) // small: nearly every chunk is split across reads
    const pairs = await Promise.all([
      connectedPair({ readBuffer, localAddress: '127.0.0.21' }),
      connectedPair({ readBuffer, localAddress: '127.0.0.22' }),
    ])
    try {
      const sent = pairs.map(() =>
        Array.from({ length: 40 }, (_, i) => randomBytes(1 + ((i * 7919) % 90_000))),
      )
      // The acceptors send to the dialers, whose reads go through the shared buffer.
      const writes = pairs.map(({ acceptor }, k) => Promise.all(sent[k]!.map((b) => acceptor.send(blob(b)))))
      const got = await Promise.all(pairs.map(({ dialer }, k) => readBlobs(dialer, sent[k]!.length)))
      await Promise.all(writes)
      for (const [k, messages] of got.entries()) assert.deepEqual(messages, sent[k])
    } finally {
      await Promise.all(pairs.map((p) => p.close()))
    }
  })

  test('reads of 7 bytes cut chunks everywhere, inside their length too, on two connections at once', async () => {
    const readBuffer = Buffer.alloc(7)
    const pairs = await Promise.all([
      connectedPair({ readBuffer, localAddress: '127.0.0.25' }),
      connectedPair({ readBuffer, localAddress: '127.0.0.26' }),
    ])
    try {
      const sent = pairs.map((_, k) =>
        Array.from({ length: 60 }, (_, i) => randomBytes(1 + ((i * 131 + k) % 700))),
      )
      const writes = pairs.map(({ acceptor }, k) => Promise.all(sent[k]!.map((b) => acceptor.send(blob(b)))))
      const got = await Promise.all(pairs.map(({ dialer }, k) => readBlobs(dialer, sent[k]!.length)))
      await Promise.all(writes)
      for (const [k, messages] of got.entries()) assert.deepEqual(messages, sent[k])
    } finally {
      await Promise.all(pairs.map((p) => p.close()))
    }
  })

  test('with a full incoming queue the bytes held back are copies, not views of the shared buffer', async () => {
    const readBuffer = Buffer.alloc(2048)
    const { dialer, acceptor, close } = await connectedPair({
      readBuffer,
      dialer: { incomingQueueBytes: 8 * 1024 },
      localAddress: '127.0.0.23',
    })
    const other = await connectedPair({ readBuffer, localAddress: '127.0.0.24' })
    try {
      const sent = Array.from({ length: 300 }, () => randomBytes(3000))
      const writing = Promise.all(sent.map((b) => acceptor.send(blob(b))))
      // Traffic on another connection overwrites the shared buffer meanwhile.
      const noise = Array.from({ length: 50 }, () => randomBytes(20_000))
      const noiseDone = Promise.all(noise.map((b) => other.acceptor.send(blob(b))))
      const noiseGot = await readBlobs(other.dialer, noise.length)
      await noiseDone
      assert.deepEqual(noiseGot, noise)
      const got = await readBlobs(dialer, sent.length) // read late: the queue was full for a while
      await writing
      assert.deepEqual(got, sent)
    } finally {
      await close()
      await other.close()
    }
  })
})
