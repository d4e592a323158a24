// Connections given a BufferPool take their output buffers and carries from it and give them
// back there: the pool a creator passes is the one used, and two pools share nothing.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import { BufferPool } from '../../../src/socket/index.js'
import { blob, connectedPair, type TestConnection } from '../../support/socket-pair.js'

async function readBlobs(conn: TestConnection, n: number): Promise<Buffer[]> {
  const out: Buffer[] = []
  while (out.length < n) {
    const msg = await conn.receive()
    if (msg.kind === 'application') out.push(msg.message.value)
  }
  return out
}

/** Resolves once `check` holds, polling each event-loop turn (fails after `ms`). */
async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) assert.fail('condition not reached')
    await new Promise((resolve) => setImmediate(resolve))
  }
}

describe('connection buffer pools', () => {
  test('the writer returns its output buffers to its own pool, the reader its carries to its own', async () => {
    const sending = new BufferPool()
    const receiving = new BufferPool()
    const { dialer, acceptor, close } = await connectedPair({
      dialer: { buffers: receiving },
      acceptor: { buffers: sending },
      // Small reads: chunks are cut between reads, so the dialer's reader carries some.
      readBuffer: Buffer.alloc(1500),
      localAddress: '127.0.0.31',
    })
    try {
      const sent = Array.from({ length: 40 }, () => randomBytes(60_000))
      const writes = Promise.all(sent.map((b) => acceptor.send(blob(b))))
      assert.deepEqual(await readBlobs(dialer, sent.length), sent)
      await writes
      // Batches of 128 KiB were sealed into 256 KiB output buffers, given back at their write callback.
      await eventually(() => sending.spares.outputs > 0)
      assert.ok(receiving.spares.carries > 0, 'the carries went back to the reader’s pool')
      assert.equal(receiving.spares.outputs, 0, 'the reading side wrote no batch')
      assert.equal(sending.spares.carries, 0, 'the writing side read no cut chunk')
    } finally {
      await close()
    }
  })
})
