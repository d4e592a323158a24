// The I/O scheduler under real connections on 127.0.0.x: a global upload limit is never
// exceeded, equal scores share it equally, and a higher score gets a larger share.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { describe, test } from 'node:test'
import { IoScheduler } from '../../../src/io/scheduler.js'
import { blob, connectedPair, type TestConnection } from '../../support/socket-pair.js'

/** Keeps `conn` busy sending 16 KiB messages until `stop()`; the peer drains and counts bytes. */
function saturate(
  sender: TestConnection,
  receiver: TestConnection,
): { received: () => number; stop: () => void } {
  let running = true
  let received = 0
  const payload = randomBytes(16 * 1024)
  void (async () => {
    while (running) await sender.send(blob(payload)).catch(() => {})
  })()
  void (async () => {
    for await (const msg of receiver) if (msg.kind === 'application') received += msg.message.value.length
  })()
  return {
    received: () => received,
    stop: () => {
      running = false
    },
  }
}

/** Sends 3 MiB from dialer to acceptor and asserts it took at least (total - burst) / limit. */
async function assertPaced(
  {
    dialer,
    acceptor,
    close,
  }: { dialer: TestConnection; acceptor: TestConnection; close: () => Promise<void> },
  limit: number,
  burst: number,
): Promise<void> {
  try {
    const total = 3 * 1024 * 1024
    const chunk = randomBytes(32 * 1024)
    const start = performance.now()
    const reading = (async () => {
      let got = 0
      while (got < total) {
        const msg = await acceptor.receive()
        if (msg.kind === 'application') got += msg.message.value.length
      }
    })()
    for (let sent = 0; sent < total; sent += chunk.length) await dialer.send(blob(chunk))
    await reading
    const elapsed = (performance.now() - start) / 1000
    assert.ok(elapsed >= (total - burst) / limit, `elapsed ${elapsed.toFixed(2)} s for ${total} bytes`)
  } finally {
    await close()
  }
}

describe('I/O scheduler over real connections', () => {
  test('a limited upload never goes faster than its limit (lower bound on elapsed time)', async () => {
    const limit = 2 * 1024 * 1024
    const pair = await connectedPair({
      scheduler: new IoScheduler({ maxUploadSpeed: limit }),
      acceptorScheduler: new IoScheduler(),
    })
    // One period's budget (100 ms) plus one request may go out at once; the rest is paced.
    await assertPaced(pair, limit, limit * 0.1 + 64 * 1024)
  })

  test('a limited download is paced too: the receiver pauses its socket', async () => {
    const limit = 2 * 1024 * 1024
    const pair = await connectedPair({
      scheduler: new IoScheduler(),
      acceptorScheduler: new IoScheduler({ maxDownloadSpeed: limit }),
      dialer: { outgoingQueueBytes: 256 * 1024 },
    })
    // Reads are charged after they happen: one period's budget plus one read per socket may pass.
    await assertPaced(pair, limit, limit * 0.1 + 2 * 64 * 1024)
  })

  test('equal scores get equal shares; a higher score gets more', async () => {
    const limit = 4 * 1024 * 1024
    const scores = [0, 0, 2]
    const scheduler = new IoScheduler({ maxUploadSpeed: limit })
    const pairs = await Promise.all(
      scores.map((score, i) =>
        connectedPair({
          scheduler,
          acceptorScheduler: new IoScheduler(),
          dialer: { score: () => score, outgoingQueueBytes: 256 * 1024 },
          localAddress: `127.0.0.${10 + i}`,
        }),
      ),
    )
    try {
      const flows = pairs.map(({ dialer, acceptor }) => saturate(dialer, acceptor))
      await new Promise((r) => setTimeout(r, 400)) // warm-up: every flow is contending
      const before = flows.map((f) => f.received())
      await new Promise((r) => setTimeout(r, 1500))
      const got = flows.map((f, i) => f.received() - before[i]!)
      for (const f of flows) f.stop()
      const [a, b, high] = got as [number, number, number]
      assert.ok(a > 0 && b > 0, `both equal-score flows progress: ${got}`)
      assert.ok(Math.abs(a - b) / Math.max(a, b) < 0.25, `equal scores, equal shares: ${got}`)
      // Score 2 weighs 4 against 1: it must get clearly more than either equal-score flow.
      assert.ok(high > 2 * Math.max(a, b), `the higher score gets more: ${got}`)
    } finally {
      await Promise.all(pairs.map((p) => p.close()))
    }
  })
})
