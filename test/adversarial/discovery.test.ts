// Abuse of discovery by a connected peer: Advertise floods of bogus points against a small
// known-points table, and Swap_request/Swap_ack floods, unrequested or pointing nowhere.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { peerIdOf } from '../../src/crypto/index.js'
import type { SwapEvent } from '../../src/pool/pool.js'
import { chatMessages, pointOf, startNode } from '../integration/pool/nodes.js'
import { EvilPeer } from './support/evil-peer.js'
import { assertServesGoodPeer, type Target, targetFixture, until } from './support/target.js'

const TABLE = { max: 100, target: 50 }

describe('adversarial: discovery', () => {
  const start = targetFixture()
  let target: Target
  let nextIp = 1

  async function liveEvil(): Promise<EvilPeer> {
    const evil = await EvilPeer.dial(target.host, target.port, { localAddress: `127.35.1.${nextIp++}` })
    await evil.handshake()
    await until(() => target.node.connection(evil.peerId) !== undefined, 'the evil peer to be adopted')
    return evil
  }

  const bogus = (round: number, i: number) => `10.${round}.${i >> 8}.${i & 255}:${1000 + i}`

  test('start the target (a known-points table of 100) and its good peer', async () => {
    target = await start('127.35.0.1', '127.35.0.2', { maxKnownPoints: TABLE })
    await assertServesGoodPeer(target)
  })

  test('Advertise floods of bogus points: the table stays bounded, the good peer stays known and served', async () => {
    const evil = await liveEvil()
    let peak = 0
    const sampler = setInterval(() => {
      peak = Math.max(peak, target.node.points().length)
    }, 5)
    try {
      for (let round = 0; round < 10; round++) {
        // A burst: the first Advertise of each 0.1 s is handled, the rest dropped (SPEC 5).
        for (let burst = 0; burst < 20; burst++) {
          const points = Array.from({ length: 100 }, (_, i) => bogus(round * 20 + burst, i))
          evil.send(evil.seal(EvilPeer.frame(chatMessages, { kind: 'advertise', points })))
        }
        // Syntactically bad points are dropped one by one, not fatal.
        const junk = ['not a point', '1.2.3.4', '1.2.3.4:99999', 'host.example:1', '[zz]:1', '1.2.3.4:0']
        evil.send(evil.seal(EvilPeer.frame(chatMessages, { kind: 'advertise', points: junk })))
        await delay(110)
      }
      await delay(50)
    } finally {
      clearInterval(sampler)
    }
    const points = target.node.points()
    assert.ok(peak <= TABLE.max, `at most ${TABLE.max} known points, saw ${peak}`)
    assert.ok(
      points.some((p) => p.point.startsWith('10.')),
      'some advertised points were learnt',
    )
    assert.ok(
      !points.some((p) => p.point.includes('99999') || p.point.startsWith('host')),
      'bad points dropped',
    )
    // Bursts are throttled: far fewer than the 20 000 points offered were ever registered.
    assert.ok(target.node.connection(evil.peerId), 'advertising is not misbehaviour')
    assert.ok(target.node.point(pointOf(target.good)), "the good peer's point is still known")
    await assertServesGoodPeer(target)
    evil.destroy()
  })

  test('a known good point that is not connected right now survives an Advertise flood', async () => {
    const other = await startNode('127.35.0.3')
    try {
      await target.node.connect(pointOf(other))
      await target.node.disconnect(other.peerId)
      const evil = await liveEvil()
      for (let round = 0; round < 5; round++) {
        const points = Array.from({ length: 100 }, (_, i) => bogus(200 + round, i))
        evil.send(evil.seal(EvilPeer.frame(chatMessages, { kind: 'advertise', points })))
        await delay(110)
      }
      evil.destroy()
      assert.ok(target.node.point(pointOf(other)), 'the point once established is kept')
    } finally {
      await other.stop()
    }
  })

  test('Swap_request floods: one answered per connection, the point dialed once, nothing else moves', async () => {
    const swaps: SwapEvent[] = []
    const listener = (e: SwapEvent) => swaps.push(e)
    target.node.on('swap', listener)
    const evil = await liveEvil()
    try {
      // 200 requests proposing a point where nobody listens.
      const dead = '127.35.9.9:1'
      for (let i = 0; i < 200; i++) {
        const peerId = peerIdOf(Buffer.alloc(32, i))
        evil.send(evil.seal(EvilPeer.frame(chatMessages, { kind: 'swap_request', point: dead, peerId })))
      }
      await until(() => swaps.some((s) => s.outcome === 'failed'), 'the one swap to fail')
      await delay(100)
      const fromEvil = swaps.filter((s) => s.peerId === evil.peerId)
      assert.deepEqual(
        fromEvil.map((s) => s.outcome),
        ['ack_sent', 'failed'],
        'one request honoured, its dial failed, the other 199 dropped',
      )
      assert.equal(target.node.point(dead)?.failures, 1, 'the proposed point was dialed once')
      // Unrequested Swap_acks are ignored; a request naming the node itself or a bad point is not acted on.
      swaps.length = 0
      const evil2 = await liveEvil()
      for (let i = 0; i < 50; i++) {
        evil2.send(
          evil2.seal(
            EvilPeer.frame(chatMessages, {
              kind: 'swap_ack',
              point: '127.35.9.9:2',
              peerId: Buffer.alloc(16, i),
            }),
          ),
        )
      }
      await until(() => swaps.length > 0, 'the swap ack to be seen')
      await delay(100)
      assert.deepEqual(
        swaps.map((s) => `${s.outcome} ${s.reason}`),
        ['ignored not_requested'],
        'one unrequested Swap_ack seen (the rest throttled), none acted on',
      )
      assert.equal(target.node.point('127.35.9.9:2'), undefined, 'never dialed nor learnt')
      assert.equal(target.node.connections().length, 3, 'the good peer and both evil peers, nobody dropped')
      evil2.destroy()
    } finally {
      target.node.off('swap', listener)
      evil.destroy()
    }
    await assertServesGoodPeer(target)
  })

  test('Swap_request naming the node itself is ignored', async () => {
    const swaps: SwapEvent[] = []
    const listener = (e: SwapEvent) => swaps.push(e)
    target.node.on('swap', listener)
    const evil = await liveEvil()
    try {
      const self = target.node.config.identity
      evil.send(
        evil.seal(
          EvilPeer.frame(chatMessages, {
            kind: 'swap_request',
            point: pointOf(target.node),
            peerId: self.peerId,
          }),
        ),
      )
      await until(() => swaps.length > 0, 'the swap request to be seen')
      assert.deepEqual(
        swaps.map((s) => s.outcome),
        ['ignored'],
      )
    } finally {
      target.node.off('swap', listener)
      evil.destroy()
    }
    await assertServesGoodPeer(target)
  })
})
