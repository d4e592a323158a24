// A dune-node as it ships under attack: the target (startShippedNode, optionally with its RPC),
// a good shipped peer connected to it, evil peers speaking its chain, and gossip frames to send.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after } from 'node:test'
import type { DuneNode } from '../../../src/node/daemon.js'
import { type GossipMessage, gossipMessages, MAX_GOSSIP_TEXT } from '../../../src/shell/gossip.js'
import { HandshakeError } from '../../../src/socket/index.js'
import type { P2pMessage } from '../../../src/wire/index.js'
import { testIdentity } from '../../support/identities.js'
import { SHIPPED_TEST_POW, type ShippedNodeOptions, startShippedNode } from '../../support/shipped-node.js'
import { waitUntil } from '../../support/wait.js'
import { EvilPeer } from './evil-peer.js'

/** The chain of the shipped defaults: attackers speak it to get past the chain check. */
export const SHIPPED_CHAIN = 'DUNE_MAINNET'

export interface ShippedTarget {
  readonly node: DuneNode
  readonly p2p: DuneNode['p2p']
  readonly good: DuneNode
  readonly host: string
  readonly port: number
}

/** Starts shipped nodes for one describe block (all stopped after it). */
export function shippedFixture(): (host: string, options?: ShippedNodeOptions) => Promise<DuneNode> {
  const nodes: DuneNode[] = []
  after(() => Promise.all(nodes.map((n) => n.stop())))
  return async (host, options = {}) => {
    const node = await startShippedNode(host, options)
    nodes.push(node)
    return node
  }
}

/** The target on `host` (with its RPC when asked) and a good shipped peer on `goodHost` connected to it. */
export async function startShippedTarget(
  start: (host: string, options?: ShippedNodeOptions) => Promise<DuneNode>,
  host: string,
  goodHost: string,
  options: { rpc?: boolean } = {},
): Promise<ShippedTarget> {
  const node = await start(host, { rpc: options.rpc ?? false })
  const good = await start(goodHost)
  await good.p2p.connect(`${host}:${node.netPort}`)
  await waitUntil(() => node.p2p.connection(good.peerId) !== undefined, {
    message: 'the good peer to be adopted',
  })
  return { node, p2p: node.p2p, good, host, port: node.netPort! }
}

/** Starts a shipped target and its good peer per call, for one describe block (stopped after it). */
export function shippedTargetFixture(): (host: string, goodHost: string) => Promise<ShippedTarget> {
  const start = shippedFixture()
  return (host, goodHost) => startShippedTarget(start, host, goodHost)
}

/** An evil peer from `localAddress` that completed the handshake with the target and was adopted. */
export async function liveEvil(target: ShippedTarget, localAddress: string): Promise<EvilPeer> {
  const evil = await EvilPeer.dial(target.host, target.port, {
    localAddress,
    identity: testIdentity(SHIPPED_TEST_POW),
    chainName: target.node.p2p.config.chainName,
  })
  await evil.handshake()
  await waitUntil(() => target.node.p2p.connection(evil.peerId) !== undefined, {
    message: 'the evil peer to be adopted',
  })
  return evil
}

/** The frame of a P2P message in the node's registry (the gossip messages). */
export const gossipFrame = (message: P2pMessage<GossipMessage>): Buffer =>
  EvilPeer.frame(gossipMessages, message)

/** A new gossip message (a fresh id) of `textBytes` bytes of text, as a frame. */
export function uniqueGossipFrame(textBytes = MAX_GOSSIP_TEXT): Buffer {
  return gossipFrame({
    kind: 'application',
    message: {
      name: 'gossip',
      value: { id: randomBytes(8), origin: randomBytes(16), text: 'g'.repeat(textBytes) },
    },
  })
}

let rounds = 0

/** Resolves when `node` learns a gossip message with `text` from `from`; rejects after 5 s. */
export function gossipArrives(node: DuneNode, from: string, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.gossip.off('message', listener)
      reject(new Error(`no gossip ${JSON.stringify(text)} from ${from} within 5 s`))
    }, 5000)
    const listener = (m: { from: string | undefined; text: string }): void => {
      if (m.from !== from || m.text !== text) return
      clearTimeout(timer)
      node.gossip.off('message', listener)
      resolve()
    }
    node.gossip.on('message', listener)
  })
}

/** The target and its good peer are connected and a gossip message goes each way. */
export async function assertServesGoodPeer(target: ShippedTarget): Promise<void> {
  const { node, good } = target
  assert.ok(node.p2p.connection(good.peerId), 'the good peer is still connected')
  const text = `still there ${++rounds}`
  const there = gossipArrives(node, good.peerId, text)
  good.gossip.publish(text)
  await there
  const back = gossipArrives(good, node.peerId, `${text} too`)
  node.gossip.publish(`${text} too`)
  await back
}

/** `GET /network/stat` of the target's RPC answers 200 with a JSON body. */
export async function assertRpcAnswers(target: ShippedTarget): Promise<void> {
  const response = await fetch(`${target.node.rpcUrl}/network/stat`, { signal: AbortSignal.timeout(5000) })
  assert.equal(response.status, 200)
  await response.json()
}

/** No handshake left in progress. */
export async function assertAtRest(target: ShippedTarget): Promise<void> {
  await waitUntil(() => target.p2p.stats().incomingHandshakes === 0, {
    message: 'incoming handshakes back to 0',
    timeoutMs: 10_000,
  })
}

/** The failure cause of a handshake as the pool saw it (`HandshakeError.failure`, or the refusal reason). */
export type Outcome = { failure: string; error: Error }

/** Runs `attack` from `ip`; resolves with the node's handshake-failed event for that IP. */
export async function attackOutcome(
  p2p: DuneNode['p2p'],
  ip: string,
  attack: () => Promise<unknown>,
  timeoutMs = 8000,
): Promise<Outcome> {
  const outcome = new Promise<Outcome>((resolve, reject) => {
    const timer = setTimeout(() => {
      p2p.off('handshake-failed', listener)
      reject(new Error(`no handshake-failed event for ${ip} within ${timeoutMs} ms`))
    }, timeoutMs)
    const listener = (e: { remoteAddress: string; error: Error }): void => {
      if (e.remoteAddress !== ip) return
      clearTimeout(timer)
      p2p.off('handshake-failed', listener)
      const failure =
        e.error instanceof HandshakeError
          ? e.error.failure
          : String((e.error as { reason?: unknown }).reason ?? e.error.name)
      resolve({ failure, error: e.error })
    }
    p2p.on('handshake-failed', listener)
  })
  await attack().catch(() => {}) // the node closing on the attacker is the expected case
  return outcome
}
