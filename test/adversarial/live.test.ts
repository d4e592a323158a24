// Attacks by a peer that completed the handshake with dune-node as it ships: replayed, reordered
// and forged chunks, undecodable and oversized messages, a peer that never reads (slow-loris: handshake-slots.test.ts).
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { type GossipMessage, gossipMessages, MAX_GOSSIP_TEXT } from '../../src/shell/gossip.js'
import type { CloseReason } from '../../src/socket/index.js'
import { MAX_POINT_LENGTH } from '../../src/wire/index.js'
import { defined } from '../support/defined.js'
import { nextEvent } from '../support/p2p-nodes.js'
import { waitUntil } from '../support/wait.js'
import type { EvilPeer } from './support/evil-peer.js'
import {
  liveEvil as adoptedEvil,
  assertServesGoodPeer,
  gossipFrame,
  type ShippedTarget,
  shippedFixture,
  startShippedTarget,
} from './support/shipped-target.js'

/** A frame (u32 size, then the bytes given) as the plaintext of one P2P message. */
const rawFrame = (...parts: Buffer[]): Buffer => {
  const content = Buffer.concat(parts)
  const size = Buffer.alloc(4)
  size.writeUInt32BE(content.length)
  return Buffer.concat([size, content])
}
const u16 = (n: number) => Buffer.from([n >> 8, n & 255])
const u32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}
/** A gossip message with `text`, a fresh id. */
const gossip = (text: string): GossipMessage => ({
  name: 'gossip',
  value: { id: randomBytes(8), origin: Buffer.alloc(16, 2), text },
})
const gossipTextFrame = (text: string) => gossipFrame({ kind: 'application', message: gossip(text) })
/** A gossip frame's bytes before its text: tag, id, origin. */
const GOSSIP_HEAD = Buffer.concat([u16(0x10), Buffer.alloc(8, 1), Buffer.alloc(16, 2)])

describe('adversarial: a live connection (shipped defaults)', () => {
  const start = shippedFixture()
  let target: ShippedTarget
  let nextIp = 1
  const attackerIp = () => `127.31.1.${nextIp++}`

  /** A peer that completed the handshake, adopted by the node. */
  function liveEvil(): Promise<EvilPeer> {
    return adoptedEvil(target, attackerIp())
  }

  /** Runs `misbehave` on a live evil peer; resolves with the reason the node closed it, checks greylisting. */
  async function closedFor(misbehave: (evil: EvilPeer) => void, greylists = true): Promise<CloseReason> {
    const evil = await liveEvil()
    const ip = evil.socket.localAddress!
    const closed = nextEvent(target.node.p2p, 'disconnection', (e) => e.peerId === evil.peerId)
    misbehave(evil)
    const [event] = await closed
    await evil.closed
    // Loopback is exempt (shipped rules): the peer id is greylisted, not the IP its neighbours share.
    assert.equal(target.node.p2p.acl.isIpGreylisted(ip), false, `IP ${ip} greylisted`)
    assert.equal(target.node.p2p.acl.isPeerGreylisted(evil.peerId), greylists, 'peer greylisted')
    return event.reason
  }

  test('start the shipped target and its good peer', async () => {
    target = await startShippedTarget(start, '127.31.0.1', '127.31.0.2')
    await assertServesGoodPeer(target)
  })

  test('a replayed chunk, reordered chunks, a flipped MAC or ciphertext byte: closed (mac_error), greylisted', async () => {
    const attacks: Array<[string, (e: EvilPeer) => void]> = [
      [
        'replayed',
        (e) => {
          const chunk = e.seal(gossipTextFrame('once'))
          e.send(chunk)
          e.send(chunk)
        },
      ],
      [
        'reordered',
        (e) => {
          const first = e.seal(gossipTextFrame('first'))
          const second = e.seal(gossipTextFrame('second'))
          e.send(second)
          e.send(first)
        },
      ],
      [
        'MAC byte flipped',
        (e) => {
          const chunk = e.seal(gossipTextFrame('flip'))
          chunk[2 + 5] = defined(chunk[2 + 5]) ^ 0x01
          e.send(chunk)
        },
      ],
      [
        'ciphertext byte flipped',
        (e) => {
          const chunk = e.seal(gossipTextFrame('flip'))
          chunk[chunk.length - 1] = defined(chunk[chunk.length - 1]) ^ 0x80
          e.send(chunk)
        },
      ],
      ['a chunk shorter than its MAC', (e) => e.send(Buffer.from([0, 3, 1, 2, 3]))],
    ]
    for (const [what, misbehave] of attacks) {
      const reason = await closedFor(misbehave)
      assert.equal(reason.kind, 'mac_error', what)
    }
    await assertServesGoodPeer(target)
  })

  test('undecodable messages: closed (decode_error), IP and peer id greylisted', async () => {
    const frames: Array<[string, Buffer]> = [
      ['an unknown application tag', rawFrame(u16(0x7777), Buffer.from('x'))],
      ['a reserved tag', rawFrame(u16(0x09))],
      ['an empty frame', u32(0)],
      ['Bootstrap with a trailing byte', rawFrame(u16(0x02), Buffer.from([0]))],
      [
        'Advertise with a point length past the frame',
        rawFrame(u16(0x03), u32(40), Buffer.from('192.0.2.4:5')),
      ],
      ['Swap_request without its peer id', rawFrame(u16(0x04), u32(11), Buffer.from('192.0.2.4:5'))],
      ['a gossip text of malformed UTF-8', rawFrame(GOSSIP_HEAD, u32(2), Buffer.from([0xc3, 0x28]))],
      ['a gossip text longer than its frame', rawFrame(GOSSIP_HEAD, u32(100), Buffer.from('short'))],
    ]
    for (const [what, frame] of frames) {
      const reason = await closedFor((e) => e.send(e.seal(frame)))
      assert.equal(reason.kind, 'decode_error', what)
    }
    await assertServesGoodPeer(target)
  })

  test('oversized messages: refused from their size, before the body arrives', async () => {
    const maxFrame = gossipMessages.maxFrameSize
    const over = MAX_GOSSIP_TEXT + 1
    const cases: Array<[string, Buffer]> = [
      ['a frame of 4 GiB announced', u32(0xffffffff)],
      ['a frame one byte over the largest message', u32(maxFrame + 1)],
      ['a gossip text one byte over its bound', rawFrame(GOSSIP_HEAD, u32(over), Buffer.alloc(over, 0x61))],
    ]
    for (const [what, firstBytes] of cases) {
      const reason = await closedFor((e) => e.send(e.seal(firstBytes)))
      assert.equal(reason.kind, 'decode_error', what)
      assert.equal(reason.kind === 'decode_error' && reason.error.reason, 'length_over_bound', what)
    }
    await assertServesGoodPeer(target)
  })

  test('messages at their bounds are taken: a 256-byte gossip, a 100-point Advertise of 47-byte points, a full chunk', async () => {
    const evil = await liveEvil()
    const fromEvil: string[] = []
    const listener = (m: { from: string | undefined; text: string }) => {
      if (m.from === evil.peerId) fromEvil.push(m.text)
    }
    target.node.gossip.on('message', listener)
    const text = 'y'.repeat(MAX_GOSSIP_TEXT)
    evil.send(evil.seal(gossipTextFrame(text)))
    // Points of the largest size, in the documentation range, with ports no one can dial.
    const points = Array.from({ length: 100 }, (_, i) =>
      `[2001:db8::${i.toString(16)}]:1`.padEnd(MAX_POINT_LENGTH, '0'),
    )
    evil.send(evil.seal(gossipFrame({ kind: 'advertise', points })))
    // Many frames in one chunk of the largest size a reader must accept (65535 on the wire),
    // fewer than the relay takes from one peer at once; the last two fill it exactly.
    const room = 65535 - 2 - 16
    const fullFrame = gossipTextFrame(text).length
    const frames: Buffer[] = []
    let size = 0
    while (room - size >= 2 * fullFrame) {
      frames.push(gossipTextFrame(text))
      size += fullFrame
    }
    const rest = room - size - fullFrame
    frames.push(gossipTextFrame('z'.repeat(rest - (fullFrame - MAX_GOSSIP_TEXT))), gossipTextFrame(text))
    const full = Buffer.concat(frames)
    assert.equal(full.length, room)
    evil.send(evil.seal(full))
    await waitUntil(() => fromEvil.length === frames.length + 1, { message: 'every message of the chunk' })
    target.node.gossip.off('message', listener)
    assert.equal(fromEvil[0], text)
    assert.ok(target.node.p2p.connection(evil.peerId), 'still connected')
    evil.destroy()
    await assertServesGoodPeer(target)
  })

  test('a peer that never reads: its queue fills to the shipped bound, trySend fails, send waits; freed at close', async () => {
    const { p2p } = target.node
    const evil = await liveEvil()
    evil.stopReading()
    const message = gossip('z'.repeat(MAX_GOSSIP_TEXT))
    // Fill the kernel buffers, then the bounded queue: until nothing more leaves for a while.
    let stalledRounds = 0
    let lastSent = -1
    while (stalledRounds < 5) {
      while (p2p.trySend(evil.peerId, message)) {}
      await delay(20)
      const sent = p2p.connection(evil.peerId)!.stats.bytesSent
      stalledRounds = sent === lastSent ? stalledRounds + 1 : 0
      lastSent = sent
    }
    const stats = p2p.connection(evil.peerId)!.stats
    assert.equal(p2p.trySend(evil.peerId, message), false, 'trySend refuses while full')
    assert.ok(
      stats.outgoingQueueBytes <= p2p.config.outgoingQueueBytes,
      `queue holds ${stats.outgoingQueueBytes} bytes (bound ${p2p.config.outgoingQueueBytes})`,
    )
    let settled = false
    const waiting = p2p.send(evil.peerId, message).then(
      () => {
        settled = true
      },
      (err: Error) => {
        settled = true
        return err
      },
    )
    await delay(50)
    assert.equal(settled, false, 'send waits while the queue is full')
    // Meanwhile the good peer is served as usual.
    await assertServesGoodPeer(target)
    await p2p.disconnect(evil.peerId, 'never reads')
    const err = await waiting
    assert.ok(
      err instanceof Error && (err as { code?: string }).code === 'DUNE_CONNECTION_CLOSED',
      String(err),
    )
    evil.destroy()
  })
})
