// A flood of 5000 connection attempts from 5000 addresses of 127.34/16 (garbage, instant
// closes, silent stalls) against dune-node as it ships, whose 10 good peers stay connected and gossip.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { describe, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import type { DuneNode } from '../../src/node/daemon.js'
import { waitUntil } from '../support/wait.js'
import { inParallel } from './support/evil-peer.js'
import { shippedFixture } from './support/shipped-target.js'

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

describe('adversarial: a flood of connection attempts (shipped defaults)', () => {
  const start = shippedFixture()

  test(`${ATTEMPTS} attempts from ${ATTEMPTS} addresses while ${GOOD_PEERS} good peers keep gossiping`, async (t) => {
    const target = await start('127.32.0.1')
    const point = `127.32.0.1:${target.netPort}`
    const good: DuneNode[] = []
    for (let i = 1; i <= GOOD_PEERS; i++) {
      const peer = await start(`127.33.0.${i}`)
      await peer.p2p.connect(point)
      good.push(peer)
    }
    const { p2p } = target
    await waitUntil(() => p2p.connections().length === GOOD_PEERS, { message: 'every good peer adopted' })
    const lost: string[] = []
    p2p.on('disconnection', (e) => lost.push(`${e.peerId}: ${e.reason.kind}`))

    // Each good peer gossips for the whole flood; the node relays to the others.
    const fromGood = new Map<string, number>()
    const relayed = new Map<string, number>()
    target.gossip.on('message', (m) => {
      if (m.from !== undefined) fromGood.set(m.from, (fromGood.get(m.from) ?? 0) + 1)
    })
    for (const peer of good) {
      peer.gossip.on('message', (m) => {
        if (m.from === target.peerId) relayed.set(peer.peerId, (relayed.get(peer.peerId) ?? 0) + 1)
      })
    }
    let flooding = true
    const talkers = good.map(async (peer, i) => {
      for (let n = 0; flooding; n++) {
        peer.gossip.publish(`peer ${i} message ${n}`)
        await delay(200)
      }
    })

    let peakHandshakes = 0
    const sampler = setInterval(() => {
      peakHandshakes = Math.max(peakHandshakes, p2p.stats().incomingHandshakes)
    }, 10)
    const before = { from: new Map(fromGood), relayed: new Map(relayed) }
    const outcomes = await inParallel(
      IN_FLIGHT,
      Array.from(
        { length: ATTEMPTS },
        (_, i) => () => attempt('127.32.0.1', target.netPort!, attackerIp(i), i % 3),
      ),
    )
    clearInterval(sampler)
    flooding = false
    await Promise.all(talkers)

    t.diagnostic(
      `connected ${outcomes.filter((o) => o === 'connected').length} of ${ATTEMPTS}; peak handshakes ${peakHandshakes}; greylisted IPs ${p2p.acl.greylist().ips.length}`,
    )
    assert.deepEqual(lost, [], 'no good peer was disconnected')
    assert.equal(p2p.connections().length, GOOD_PEERS)
    for (const peer of good) {
      const sent = (fromGood.get(peer.peerId) ?? 0) - (before.from.get(peer.peerId) ?? 0)
      const got = (relayed.get(peer.peerId) ?? 0) - (before.relayed.get(peer.peerId) ?? 0)
      assert.ok(sent > 0 && got > 0, `peer ${peer.peerId} gossiped during the flood (${sent} in, ${got} out)`)
    }
    // Bounded: handshakes in progress never passed the limit, and all of them ended.
    assert.ok(peakHandshakes <= p2p.config.maxIncomingConnections, `peak ${peakHandshakes}`)
    await waitUntil(() => p2p.stats().incomingHandshakes === 0, {
      message: 'every handshake over',
      timeoutMs: 10_000,
    })
    // The garbage senders name no peer id or point, and their loopback addresses are exempt (as
    // shipped: the IPs of one machine's nodes), so nothing is greylisted; the table stays bounded.
    assert.equal(p2p.acl.greylist().ips.length, 0)
    assert.ok(p2p.points().length <= p2p.config.maxKnownPoints.max)
    // After the flood the node still takes a new good peer.
    const late = await start('127.33.0.100')
    await late.p2p.connect(point)
  })
})
