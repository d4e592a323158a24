// Attacks by a peer that completed the handshake: replayed, reordered and forged chunks,
// undecodable and oversized messages, a peer that never reads (slow-loris: handshake-slots.test.ts).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import type { CloseReason } from '../../src/socket/index.js'
import { MAX_POINT_LENGTH } from '../../src/wire/index.js'
import { chat, chatMessages, nextEvent } from '../integration/pool/nodes.js'
import { EvilPeer } from './support/evil-peer.js'
import { assertServesGoodPeer, type Target, targetFixture, until } from './support/target.js'

const OUTGOING_QUEUE_BYTES = 64 * 1024

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
const chatFrame = (text: string) => EvilPeer.frame(chatMessages, { kind: 'application', message: chat(text) })

describe('adversarial: a live connection', () => {
  const start = targetFixture()
  let target: Target
  let nextIp = 1
  const attackerIp = () => `127.31.1.${nextIp++}`

  /** A peer that completed the handshake, adopted by the node. */
  async function liveEvil(): Promise<EvilPeer> {
    const evil = await EvilPeer.dial(target.host, target.port, { localAddress: attackerIp() })
    await evil.handshake()
    await until(() => target.node.connection(evil.peerId) !== undefined, 'the evil peer to be adopted')
    return evil
  }

  /** Runs `misbehave` on a live evil peer; resolves with the reason the node closed it, checks greylisting. */
  async function closedFor(misbehave: (evil: EvilPeer) => void, greylists = true): Promise<CloseReason> {
    const evil = await liveEvil()
    const ip = evil.socket.localAddress!
    const closed = nextEvent(target.node, 'disconnection', (e) => e.peerId === evil.peerId)
    misbehave(evil)
    const [event] = await closed
    await evil.closed
    // Loopback is exempt (shipped rules): the peer id is greylisted, not the IP its neighbours share.
    assert.equal(target.node.acl.isIpGreylisted(ip), false, `IP ${ip} greylisted`)
    assert.equal(target.node.acl.isPeerGreylisted(evil.peerId), greylists, 'peer greylisted')
    return event.reason
  }

  test('start the target and its good peer', async () => {
    target = await start('127.31.0.1', '127.31.0.2', {
      outgoingQueueBytes: OUTGOING_QUEUE_BYTES,
      authenticationTimeoutMs: 1500,
    })
    await assertServesGoodPeer(target)
  })

  test('a replayed chunk, reordered chunks, a flipped MAC or ciphertext byte: closed (mac_error), greylisted', async () => {
    const attacks: Array<[string, (e: EvilPeer) => void]> = [
      [
        'replayed',
        (e) => {
          const chunk = e.seal(chatFrame('once'))
          e.send(chunk)
          e.send(chunk)
        },
      ],
      [
        'reordered',
        (e) => {
          const first = e.seal(chatFrame('first'))
          const second = e.seal(chatFrame('second'))
          e.send(second)
          e.send(first)
        },
      ],
      [
        'MAC byte flipped',
        (e) => {
          const chunk = e.seal(chatFrame('flip'))
          chunk[2 + 5]! ^= 0x01
          e.send(chunk)
        },
      ],
      [
        'ciphertext byte flipped',
        (e) => {
          const chunk = e.seal(chatFrame('flip'))
          chunk[chunk.length - 1]! ^= 0x80
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
      ['a chat of malformed UTF-8', rawFrame(u16(0x10), u32(2), Buffer.from([0xc3, 0x28]))],
      ['a chat string longer than its frame', rawFrame(u16(0x10), u32(100), Buffer.from('short'))],
    ]
    for (const [what, frame] of frames) {
      const reason = await closedFor((e) => e.send(e.seal(frame)))
      assert.equal(reason.kind, 'decode_error', what)
    }
    await assertServesGoodPeer(target)
  })

  test('oversized messages: refused from their size, before the body arrives', async () => {
    const maxFrame = chatMessages.maxFrameSize
    const cases: Array<[string, Buffer]> = [
      ['a frame of 4 GiB announced', u32(0xffffffff)],
      ['a frame one byte over the largest message', u32(maxFrame + 1)],
      ['a chat one byte over its bound', rawFrame(u16(0x10), u32(1025), Buffer.alloc(1025, 0x61))],
    ]
    for (const [what, firstBytes] of cases) {
      const reason = await closedFor((e) => e.send(e.seal(firstBytes)))
      assert.equal(reason.kind, 'decode_error', what)
      assert.equal(reason.kind === 'decode_error' && reason.error.reason, 'length_over_bound', what)
    }
    await assertServesGoodPeer(target)
  })

  test('messages at their bounds are taken: a 1024-byte chat, a 100-point Advertise of 47-byte points, a full chunk', async () => {
    const evil = await liveEvil()
    const text = 'y'.repeat(1024)
    evil.send(evil.seal(chatFrame(text)))
    const points = Array.from({ length: 100 }, (_, i) =>
      `[2001:db8::${i.toString(16)}]:1`.padEnd(MAX_POINT_LENGTH, '0'),
    )
    evil.send(evil.seal(EvilPeer.frame(chatMessages, { kind: 'advertise', points })))
    // Many small frames in one chunk of the largest size a reader must accept (65535 on the wire).
    const room = 65535 - 2 - 16
    const frames: Buffer[] = []
    let size = 0
    for (let i = 0; room - size > 1034; i++) {
      frames.push(chatFrame(String(i % 10)))
      size += frames.at(-1)!.length
    }
    frames.push(rawFrame(u16(0x10), u32(room - size - 10), Buffer.alloc(room - size - 10, 0x7a)))
    const full = Buffer.concat(frames)
    assert.equal(full.length, room)
    evil.send(evil.seal(full))
    let fromEvil = 0
    for (let m = await target.node.recv(); ; m = await target.node.recv()) {
      if (m.peer !== evil.peerId) continue
      if (fromEvil === 0) assert.deepEqual(m.message, chat(text))
      if (++fromEvil === frames.length + 1) break
    }
    assert.ok(target.node.connection(evil.peerId), 'still connected')
    evil.destroy()
    await assertServesGoodPeer(target)
  })

  test('a peer that never reads: its queue fills, trySend fails, send waits; bounded; freed at close', async () => {
    const evil = await liveEvil()
    evil.stopReading()
    const message = chat('z'.repeat(1000))
    // Fill the kernel buffers, then the bounded queue: until nothing more leaves for a while.
    let stalledRounds = 0
    let lastSent = -1
    while (stalledRounds < 5) {
      while (target.node.trySend(evil.peerId, message)) {}
      await delay(20)
      const sent = target.node.connection(evil.peerId)!.stats.bytesSent
      stalledRounds = sent === lastSent ? stalledRounds + 1 : 0
      lastSent = sent
    }
    const stats = target.node.connection(evil.peerId)!.stats
    assert.equal(target.node.trySend(evil.peerId, message), false, 'trySend refuses while full')
    assert.ok(
      stats.outgoingQueueBytes <= OUTGOING_QUEUE_BYTES,
      `queue holds ${stats.outgoingQueueBytes} bytes`,
    )
    let settled = false
    const waiting = target.node.send(evil.peerId, message).then(
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
    await target.node.disconnect(evil.peerId, 'never reads')
    const err = await waiting
    assert.ok(
      err instanceof Error && (err as { code?: string }).code === 'DUNE_CONNECTION_CLOSED',
      String(err),
    )
    evil.destroy()
  })
})
