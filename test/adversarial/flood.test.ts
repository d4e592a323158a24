// A flood of 5000 connection attempts from 5000 addresses of 127.34/16 (garbage, instant
// closes, silent stalls) against a node whose 10 good peers stay connected and keep talking.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { describe, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { type ChatNode, chat, nodeFixture, pointOf, until } from '../integration/pool/nodes.js'
import { inParallel } from './support/evil-peer.js'

const ATTEMPTS = 5000
const IN_FLIGHT = 100
const GOOD_PEERS = 10

/** The attacker's address number `i` in 127.34/16. */
const attackerIp = (i: number) => `127.34.${(i + 1) >> 8}.${(i + 1) & 255}`

/** One attempt: connect from `ip`, then garbage, an instant close, or silence; never more than 300 ms. */
function attempt(host: string, port: number, ip: string, kind: number): Promise<'connected' | 'failed'> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, localAddress: ip })
    const timer = setTimeout(() => socket.destroy(), 300)
    let connected = false
    socket.on('error', () => {})
    socket.once('close', () => {
      clearTimeout(timer)
      resolve(connected ? 'connected' : 'failed')
    })
    socket.once('connect', () => {
      connected = true
      if (kind === 0) socket.destroy()
      else if (kind === 1) socket.end(Buffer.concat([Buffer.from([0, 40]), randomBytes(40)]))
      // kind 2: silent until the timer cuts it
    })
  })
}

describe('adversarial: a flood of connection attempts', () => {
  const start = nodeFixture()

  test(`${ATTEMPTS} attempts from ${ATTEMPTS} addresses while ${GOOD_PEERS} good peers keep exchanging messages`, async (t) => {
    const target = await start('127.32.0.1', { authenticationTimeoutMs: 1000 })
    const good: ChatNode[] = []
    for (let i = 1; i <= GOOD_PEERS; i++) {
      const peer = await start(`127.33.0.${i}`)
      await peer.connect(pointOf(target))
      good.push(peer)
    }
    await until(() => target.connections().length === GOOD_PEERS, 'every good peer adopted')
    const lost: string[] = []
    target.on('disconnection', (e) => lost.push(`${e.peerId}: ${e.reason.kind}`))

    // The good peers talk to the node, and it answers each message, for the whole flood.
    const fromGood = new Map<string, number>()
    const answered = new Map<string, number>()
    let flooding = true
    const echo = (async () => {
      for await (const { peer, message } of target) {
        fromGood.set(peer, (fromGood.get(peer) ?? 0) + 1)
        target.trySend(peer, chat(`re: ${message.value}`))
      }
    })()
    for (const peer of good) {
      void (async () => {
        for await (const _ of peer) answered.set(peer.peerId, (answered.get(peer.peerId) ?? 0) + 1)
      })()
    }
    const talkers = good.map(async (peer, i) => {
      for (let n = 0; flooding; n++) {
        peer.trySend(target.peerId, chat(`peer ${i} message ${n}`))
        await delay(25)
      }
    })

    let peakHandshakes = 0
    const sampler = setInterval(() => {
      peakHandshakes = Math.max(peakHandshakes, target.stats().incomingHandshakes)
    }, 10)
    const before = { from: new Map(fromGood), answered: new Map(answered) }
    const outcomes = await inParallel(
      IN_FLIGHT,
      Array.from(
        { length: ATTEMPTS },
        (_, i) => () => attempt('127.32.0.1', target.port!, attackerIp(i), i % 3),
      ),
    )
    clearInterval(sampler)
    flooding = false
    await Promise.all(talkers)

    t.diagnostic(
      `connected ${outcomes.filter((o) => o === 'connected').length} of ${ATTEMPTS}; peak handshakes ${peakHandshakes}; greylisted IPs ${target.acl.greylist().ips.length}`,
    )
    assert.deepEqual(lost, [], 'no good peer was disconnected')
    assert.equal(target.connections().length, GOOD_PEERS)
    for (const peer of good) {
      const sent = (fromGood.get(peer.peerId) ?? 0) - (before.from.get(peer.peerId) ?? 0)
      const got = (answered.get(peer.peerId) ?? 0) - (before.answered.get(peer.peerId) ?? 0)
      assert.ok(
        sent > 0 && got > 0,
        `peer ${peer.peerId} exchanged messages during the flood (${sent} in, ${got} out)`,
      )
    }
    // Bounded: handshakes in progress never passed the limit, and all of them ended.
    assert.ok(peakHandshakes <= target.config.maxIncomingConnections, `peak ${peakHandshakes}`)
    await until(() => target.stats().incomingHandshakes === 0, 'every handshake over')
    // The garbage senders name no peer id or point, and their loopback addresses are exempt (as
    // shipped: the IPs of one machine's nodes), so nothing is greylisted; the table stays bounded.
    assert.equal(target.acl.greylist().ips.length, 0)
    assert.ok(target.points().length <= target.config.maxKnownPoints.max)
    // After the flood the node still takes a new good peer.
    const late = await start('127.33.0.100')
    await late.connect(pointOf(target))
    await target.stop()
    await echo
  })
})
