// Slow-loris attacks on the handshake slots of a node as it ships: silent sockets from a few
// /16s, held and reopened whenever closed, while honest newcomers from another subnet connect.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { testIdentity } from '../support/identities.js'
import { waitUntil } from '../support/wait.js'
import { EvilPeer, inParallel } from './support/evil-peer.js'
import {
  assertAtRest,
  assertServesGoodPeer,
  SHIPPED_CHAIN,
  type ShippedTarget,
  shippedTargetFixture,
} from './support/shipped-target.js'
import {
  attackerAddresses,
  holdSilentSockets,
  newcomerHandshake,
  newcomers,
} from './support/silent-sockets.js'

/** Newcomers per test, 100 ms apart: the attack renews its sockets several times meanwhile. */
const NEWCOMERS = 30

describe('adversarial: the handshake slots of a shipped node', () => {
  const start = shippedTargetFixture()
  let target: ShippedTarget
  let nextNewcomer = 1

  /** NEWCOMERS honest handshakes from 127.50/16, one after the other. */
  const runNewcomers = () =>
    newcomers(NEWCOMERS, 100, () =>
      newcomerHandshake(
        target.host,
        target.port,
        `127.50.${nextNewcomer >> 8}.${nextNewcomer++ & 255}`,
        testIdentity(4),
        SHIPPED_CHAIN,
      ),
    )

  test('start the shipped target and its good peer', async () => {
    target = await start('127.36.0.1', '127.36.0.2')
    await assertServesGoodPeer(target)
  })

  test('24 silent sockets from 4 /16s, held and renewed: at least 80% of newcomers from another subnet connect', async (t) => {
    const attack = holdSilentSockets(target.host, target.port, attackerAddresses(40, 4, 6))
    try {
      await waitUntil(() => target.p2p.stats().incomingHandshakes >= 16, {
        message: 'the attackers to take their shares',
      })
      const result = await runNewcomers()
      t.diagnostic(`${JSON.stringify(result)}; attacker sockets opened ${attack.opened()}`)
      assert.ok(
        result.connected >= 0.8 * NEWCOMERS,
        `${result.connected} of ${NEWCOMERS} newcomers connected: ${JSON.stringify(result.outcomes)}`,
      )
      // No subnet of the attackers held more than its share.
      const share = Math.max(1, Math.floor(target.p2p.config.maxIncomingConnections / 5))
      for (const { subnet, count } of target.p2p.incomingHandshakesBySubnet())
        assert.ok(count <= share, `${subnet} holds ${count} handshakes, its share is ${share}`)
      await assertServesGoodPeer(target)
    } finally {
      await attack.stop()
    }
    await assertAtRest(target)
  })

  test('24 silent sockets from 8 /16s fill the table: newcomers take the slots of the most represented subnets', async (t) => {
    const attack = holdSilentSockets(target.host, target.port, attackerAddresses(60, 8, 3))
    const evicted: string[] = []
    const listener = (e: { remoteAddress: string; reason: string }) => {
      if (e.reason === 'handshake_evicted') evicted.push(e.remoteAddress)
    }
    target.p2p.on('refused', listener)
    try {
      const capacity = target.p2p.config.maxIncomingConnections
      await waitUntil(() => target.p2p.stats().incomingHandshakes === capacity, {
        message: 'the attackers to fill the table',
      })
      const result = await runNewcomers()
      t.diagnostic(`${JSON.stringify(result)}; evicted ${evicted.length}; opened ${attack.opened()}`)
      assert.ok(
        result.connected >= 0.8 * NEWCOMERS,
        `${result.connected} of ${NEWCOMERS} newcomers connected: ${JSON.stringify(result.outcomes)}`,
      )
      assert.ok(evicted.length > 0, 'pending handshakes were evicted')
      assert.ok(
        evicted.every((ip) => /^127\.6[0-7]\./.test(ip)),
        `only attackers evicted: ${[...new Set(evicted)].join(', ')}`,
      )
      assert.ok(target.p2p.stats().incomingHandshakes <= capacity)
    } finally {
      target.p2p.off('refused', listener)
      await attack.stop()
    }
    await assertAtRest(target)
  })

  test('45 silent sockets from one /16, held and renewed: a newcomer from another subnet connects', async () => {
    const attack = holdSilentSockets(target.host, target.port, attackerAddresses(37, 1, 45))
    try {
      await waitUntil(() => attack.opened() >= 45, { message: 'the attack to start' })
      await delay(100)
      const result = await newcomers(3, 100, () =>
        newcomerHandshake(target.host, target.port, '127.51.0.1', testIdentity(4), SHIPPED_CHAIN),
      )
      assert.deepEqual(result.outcomes, { connected: 3 })
    } finally {
      await attack.stop()
    }
    await assertAtRest(target)
  })

  test('slow-loris, one byte a second from 25 addresses: each cut at the connection-message deadline, not greylisted', async () => {
    const capacity = target.p2p.config.maxIncomingConnections
    let peak = 0
    const sampler = setInterval(() => {
      peak = Math.max(peak, target.p2p.stats().incomingHandshakes)
    }, 20)
    const failures: string[] = []
    const listener = (e: { remoteAddress: string; error: Error }) => {
      if (e.remoteAddress.startsWith('127.38.2.'))
        failures.push((e.error as { failure?: string }).failure ?? e.error.name)
    }
    target.p2p.on('handshake-failed', listener)
    try {
      await inParallel(
        25,
        Array.from({ length: 25 }, (_, i) => async () => {
          const evil = await EvilPeer.dial(target.host, target.port, { localAddress: `127.38.2.${i + 1}` })
          const raw = Buffer.from([0x00, 0x65, 0x12, 0x34, 0x56])
          for (let k = 0; k < raw.length && !evil.socket.destroyed; k++) {
            evil.send(raw.subarray(k, k + 1))
            await Promise.race([delay(1000), evil.closed])
          }
          await evil.closed
        }),
      )
      await assertServesGoodPeer(target)
    } finally {
      clearInterval(sampler)
      target.p2p.off('handshake-failed', listener)
    }
    assert.ok(peak <= capacity, `at most ${capacity} handshakes in the table, saw ${peak}`)
    assert.equal(failures.length, 25, failures.join(','))
    assert.ok(
      failures.every((f) => f === 'timeout'),
      failures.join(','),
    )
    for (let i = 1; i <= 25; i++) assert.equal(target.p2p.acl.isIpGreylisted(`127.38.2.${i}`), false)
    await assertAtRest(target)
  })
})
