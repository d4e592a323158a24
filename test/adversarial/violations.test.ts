// Floods cost the flooder (issue 14, section 4), against dune-node as it ships: Bootstrap floods,
// 1000 Bootstraps packed in one chunk, empty chunks, Advertise floods and unique-gossip floods.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DEFAULT_RELAY_BURST, DEFAULT_RELAY_PER_SECOND, DROPS_PER_PENALTY } from '../../src/shell/gossip.js'
import type { CloseReason } from '../../src/socket/index.js'
import { defined } from '../support/defined.js'
import { waitUntil } from '../support/wait.js'
import type { EvilPeer } from './support/evil-peer.js'
import {
  assertRpcAnswers,
  assertServesGoodPeer,
  gossipFrame,
  liveEvil,
  type ShippedTarget,
  shippedFixture,
  startShippedTarget,
  uniqueGossipFrame,
} from './support/shipped-target.js'

/** The largest plaintext of one chunk. */
const MAX_PLAIN = 65535 - 2 - 16

/** Frames packed into as few chunks as fit. */
function packed(evil: EvilPeer, frames: readonly Buffer[]): Buffer {
  const chunks: Buffer[] = []
  let batch: Buffer[] = []
  let size = 0
  for (const frame of frames) {
    if (size + frame.length > MAX_PLAIN) {
      chunks.push(evil.seal(Buffer.concat(batch)))
      batch = []
      size = 0
    }
    batch.push(frame)
    size += frame.length
  }
  if (batch.length > 0) chunks.push(evil.seal(Buffer.concat(batch)))
  return Buffer.concat(chunks)
}

describe('adversarial: floods cost the flooder (shipped defaults)', () => {
  const start = shippedFixture()
  let target: ShippedTarget
  let nextIp = 1
  const ips = new Map<EvilPeer, string>()

  /** Runs `flood` from a new live evil peer; resolves with why the node closed it; checks the RPC meanwhile. */
  async function floodedOut(
    flood: (evil: EvilPeer) => void,
  ): Promise<{ reason: CloseReason; evil: EvilPeer }> {
    const ip = `127.37.1.${nextIp++}`
    const evil = await liveEvil(target, ip)
    ips.set(evil, ip)
    const reasons: CloseReason[] = []
    const listener = (e: { peerId: string; reason: CloseReason }) => {
      if (e.peerId === evil.peerId) reasons.push(e.reason)
    }
    target.node.p2p.on('disconnection', listener)
    try {
      flood(evil)
      await assertRpcAnswers(target)
      await waitUntil(() => reasons.length > 0, {
        message: 'the flooder to be disconnected',
        timeoutMs: 15_000,
      })
      await evil.closed
    } finally {
      target.node.p2p.off('disconnection', listener)
    }
    return { reason: defined(reasons[0]), evil }
  }

  /**
   * The flooder's peer id is greylisted. Its IP is not: the attackers come from loopback, which
   * the shipped admission rules exempt (the nodes of one machine share it), so the point and the
   * peer id are greylisted instead (the IP of a remote address: test/integration/pool/greylist.test.ts).
   */
  function assertGreylisted(evil: EvilPeer): void {
    const acl = target.node.p2p.acl
    assert.equal(acl.isIpGreylisted(ips.get(evil)!), false, 'exempt IP not greylisted')
    assert.equal(acl.isPeerGreylisted(evil.peerId), true, 'peer id greylisted')
  }

  test('start the shipped target (with its RPC) and its good peer', async () => {
    target = await startShippedTarget(start, '127.37.0.1', '127.37.0.2', { rpc: true })
    await assertServesGoodPeer(target)
  })

  test('a Bootstrap flood, one per chunk: closed (flood), peer id greylisted', async () => {
    const { reason, evil } = await floodedOut((e) => {
      const bootstrap = gossipFrame({ kind: 'bootstrap' })
      e.send(Buffer.concat(Array.from({ length: 5000 }, () => e.seal(bootstrap))))
    })
    assert.equal(reason.kind, 'flood')
    assert.equal(reason.kind === 'flood' && reason.last, 'bootstrap')
    assertGreylisted(evil)
    assert.ok(target.node.p2p.peer(evil.peerId)!.scoreDetail.components.violation.value > 0, 'scored')
    await assertServesGoodPeer(target)
    await assertRpcAnswers(target)
  })

  test('1000 Bootstraps packed in one chunk: closed (flood), greylisted', async () => {
    const { reason, evil } = await floodedOut((e) => {
      const bootstrap = gossipFrame({ kind: 'bootstrap' })
      const chunk = e.seal(Buffer.concat(Array.from({ length: 1000 }, () => bootstrap)))
      assert.ok(chunk.length <= 65535 + 2)
      e.send(chunk)
    })
    assert.equal(reason.kind, 'flood')
    assertGreylisted(evil)
    await assertServesGoodPeer(target)
  })

  test('empty chunks (a MAC and no plaintext): closed (flood, empty_chunk), greylisted', async () => {
    const { reason, evil } = await floodedOut((e) => {
      e.send(Buffer.concat(Array.from({ length: 5000 }, () => e.seal(Buffer.alloc(0)))))
    })
    assert.equal(reason.kind, 'flood')
    assert.equal(reason.kind === 'flood' && reason.last, 'empty_chunk')
    assertGreylisted(evil)
    await assertServesGoodPeer(target)
    await assertRpcAnswers(target)
  })

  test('an Advertise flood, packed: closed (flood), greylisted', async () => {
    const { reason, evil } = await floodedOut((e) => {
      const advertise = gossipFrame({ kind: 'advertise', points: [] })
      e.send(
        packed(
          e,
          Array.from({ length: 2000 }, () => advertise),
        ),
      )
    })
    assert.equal(reason.kind, 'flood')
    assert.equal(reason.kind === 'flood' && reason.last, 'advertise')
    assertGreylisted(evil)
    await assertServesGoodPeer(target)
  })

  test('a few Bootstraps within the budget cost little and keep the connection', async () => {
    const evil = await liveEvil(target, `127.37.1.${nextIp++}`)
    const bootstrap = gossipFrame({ kind: 'bootstrap' })
    evil.send(
      packed(
        evil,
        Array.from({ length: 20 }, () => bootstrap),
      ),
    )
    await assertServesGoodPeer(target)
    assert.ok(target.node.p2p.connection(evil.peerId), 'still connected')
    assert.equal(target.node.p2p.acl.isPeerGreylisted(evil.peerId), false)
    evil.destroy()
  })

  test('a unique-gossip flood: relayed at the relay rate, the rest dropped and scored until the flooder is out', async () => {
    const dropsBefore = target.node.gossip.counts().relayDropped
    const relayedBefore = target.node.gossip.counts().received
    const count = 12 * DROPS_PER_PENALTY
    const began = Date.now()
    const { evil } = await floodedOut((e) => {
      e.send(
        packed(
          e,
          Array.from({ length: count }, () => uniqueGossipFrame()),
        ),
      )
    })
    const counts = target.node.gossip.counts()
    // Taken from one peer: its bucket (twice the burst) and the rate over the flood's duration.
    const seconds = (Date.now() - began) / 1000
    const bound = 2 * DEFAULT_RELAY_BURST + DEFAULT_RELAY_PER_SECOND * seconds
    const taken = counts.received - relayedBefore
    assert.ok(taken <= bound, `took ${taken} new messages in ${seconds} s`)
    assert.ok(counts.relayDropped - dropsBefore >= 10 * DROPS_PER_PENALTY, `dropped ${counts.relayDropped}`)
    // Scored out (low score): the peer id is greylisted, not its IP.
    assertGreylisted(evil)
    await assertServesGoodPeer(target)
    await assertRpcAnswers(target)
  })
})
