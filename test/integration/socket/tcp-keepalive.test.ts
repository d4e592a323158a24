// Dead-peer detection options on real sockets (127.0.0.1): dialed and accepted sockets get
// Octez's TCP_USER_TIMEOUT and keepalive interval; 0 leaves an option unset; ETIMEDOUT-like errors are dead_peer.
import assert from 'node:assert/strict'
import type net from 'node:net'
import { describe, test } from 'node:test'
import keepalive from 'net-keepalive'
import { nodeConfigSchema } from '../../../src/node/node-config.js'
import { parseP2pConfig } from '../../../src/pool/config.js'
import { dialTcp } from '../../../src/socket/dial.js'
import { describeCloseReason, socketErrorReason } from '../../../src/socket/errors.js'
import { DEFAULT_TCP_KEEPALIVE, setTcpKeepalive } from '../../../src/socket/keepalive.js'
import { WelcomeWorker } from '../../../src/workers/welcome.js'
import { testIdentity } from '../../support/identities.js'

async function pair(
  dialKeepalive: typeof DEFAULT_TCP_KEEPALIVE | undefined,
  acceptKeepalive: typeof DEFAULT_TCP_KEEPALIVE | undefined,
): Promise<{ dialed: net.Socket; accepted: net.Socket; close(): Promise<void> }> {
  let onAccepted!: (s: net.Socket) => void
  const acceptedP = new Promise<net.Socket>((resolve) => {
    onAccepted = resolve
  })
  const welcome = new WelcomeWorker({
    config: {
      listenHost: '127.0.0.1',
      listenPort: 0,
      backlog: 8,
      ...(acceptKeepalive ? { tcpKeepalive: acceptKeepalive } : {}),
    },
    check: () => undefined,
    onSocket: onAccepted,
  })
  const port = await welcome.start()
  const dialed = await dialTcp('127.0.0.1', port, dialKeepalive ? { keepalive: dialKeepalive } : {})
  const accepted = await acceptedP
  return {
    dialed,
    accepted,
    async close() {
      dialed.destroy()
      accepted.destroy()
      await welcome.stop()
    },
  }
}

describe('TCP keepalive and TCP_USER_TIMEOUT on P2P sockets', () => {
  test("dialed and accepted sockets get Octez's values", async () => {
    const { dialed, accepted, close } = await pair(DEFAULT_TCP_KEEPALIVE, DEFAULT_TCP_KEEPALIVE)
    try {
      for (const socket of [dialed, accepted]) {
        assert.equal(keepalive.getUserTimeout(socket), 45_000)
        assert.equal(keepalive.getKeepAliveInterval(socket), 5_000)
      }
    } finally {
      await close()
    }
  })

  test('without the options, the system defaults stay (user timeout 0)', async () => {
    const { dialed, accepted, close } = await pair(undefined, undefined)
    try {
      assert.equal(keepalive.getUserTimeout(dialed), 0)
      assert.equal(keepalive.getUserTimeout(accepted), 0)
    } finally {
      await close()
    }
  })

  test('0 turns the user timeout off; other values are set as given', async () => {
    const options = { userTimeoutMs: 0, keepAliveIdleMs: 20_000, keepAliveIntervalMs: 7_000 }
    const { dialed, close } = await pair(options, undefined)
    try {
      assert.equal(keepalive.getUserTimeout(dialed), 0)
      assert.equal(keepalive.getKeepAliveInterval(dialed), 7_000)
    } finally {
      await close()
    }
  })

  test('a peer that reads nothing for the user timeout is dropped too (zero window), as dead_peer', async () => {
    const { dialed, accepted, close } = await pair(
      { ...DEFAULT_TCP_KEEPALIVE, userTimeoutMs: 1500 },
      undefined,
    )
    try {
      accepted.pause()
      const failed = new Promise<Error>((resolve) => dialed.once('error', resolve))
      const chunk = Buffer.alloc(65536)
      const pump = (): void => {
        while (dialed.writable && dialed.write(chunk)) {}
      }
      dialed.on('drain', pump)
      pump()
      const reason = socketErrorReason(await failed)
      assert.equal(reason.kind, 'dead_peer', describeCloseReason(reason))
    } finally {
      await close()
    }
  })

  test('setting the options holds no native memory: 3 rounds of 60,000 times on one socket', async () => {
    // net-keepalive made an ffi-rs pointer per option and call, freed only by a finalizer on a
    // later turn of the loop (about 250 bytes each: 28 MiB here before that turn). Measured
    // outside V8's heap and node's external memory, within one turn.
    const { dialed, close } = await pair(undefined, undefined)
    const native = () => {
      const m = process.memoryUsage()
      return m.rss - m.heapTotal - m.external
    }
    try {
      const set = (times: number) => {
        for (let i = 0; i < times; i++) {
          assert.deepEqual(setTcpKeepalive(dialed, DEFAULT_TCP_KEEPALIVE), [])
        }
      }
      // The first rounds also grow transiently (V8's new space, the allocator warming up: up to
      // 16 MiB, given back later); a leak grows in every round, so the least growth of three counts.
      set(5000)
      let grown = Number.POSITIVE_INFINITY
      for (let round = 0; round < 3; round++) {
        const before = native()
        set(60_000)
        grown = Math.min(grown, native() - before)
      }
      assert.ok(
        grown < 10 * 1024 * 1024,
        `native memory grew ${(grown / 1048576).toFixed(1)} MiB in each round`,
      )
      assert.equal(keepalive.getUserTimeout(dialed), 45_000)
    } finally {
      await close()
    }
  })

  test('the kernel giving up on a peer is the dead_peer close reason', () => {
    for (const code of ['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']) {
      const reason = socketErrorReason(Object.assign(new Error(`read ${code}`), { code }))
      assert.equal(reason.kind, 'dead_peer')
      assert.match(describeCloseReason(reason), /^dead peer: .*TCP user timeout/)
    }
    const reset = socketErrorReason(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))
    assert.equal(reset.kind, 'socket_error')
  })

  test('the defaults of the library config and of dune-node config.json are 45 s, 10 s, 5 s', () => {
    const config = parseP2pConfig({
      identity: testIdentity(4),
      chainName: 'DUNE_TEST',
      expectedProofOfWork: 4,
    })
    assert.deepEqual(config.tcpKeepalive, DEFAULT_TCP_KEEPALIVE)
    const p2p = nodeConfigSchema.parse({ data_dir: '/nonexistent' }).p2p
    assert.deepEqual(
      [p2p.tcp_user_timeout_ms, p2p.tcp_keepalive_idle_ms, p2p.tcp_keepalive_interval_ms],
      [45_000, 10_000, 5_000],
    )
  })
})
