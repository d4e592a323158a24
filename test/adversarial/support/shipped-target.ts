// A dune-node as it ships under attack, with a good peer (another shipped node) connected to it:
// the check that it still serves that peer (gossip both ways) and the outcome of one handshake.
import assert from 'node:assert/strict'
import { after } from 'node:test'
import type { DuneNode } from '../../../src/node/daemon.js'
import { HandshakeError } from '../../../src/socket/index.js'
import { until } from '../../integration/pool/nodes.js'
import { startShippedNode } from '../../support/shipped-node.js'

/** The chain of the shipped defaults: attackers speak it to get past the chain check. */
export const SHIPPED_CHAIN = 'DUNE_MAINNET'

export interface ShippedTarget {
  readonly node: DuneNode
  readonly p2p: DuneNode['p2p']
  readonly good: DuneNode
  readonly host: string
  readonly port: number
}

/** Starts shipped nodes for one describe block (stopped after it). */
export function shippedTargetFixture(): (host: string, goodHost: string) => Promise<ShippedTarget> {
  const started: DuneNode[] = []
  after(async () => {
    await Promise.all(started.map((n) => n.stop()))
  })
  return async (host, goodHost) => {
    const node = await startShippedNode(host)
    started.push(node)
    const good = await startShippedNode(goodHost, { bootstrapPeers: [`${host}:${node.netPort}`] })
    started.push(good)
    await until(() => node.p2p.connection(good.peerId) !== undefined, 'the good peer to be adopted', 10_000)
    return { node, p2p: node.p2p, good, host, port: node.netPort! }
  }
}

let rounds = 0

/** Resolves when `node`'s gossip delivers `text`. */
function delivered(node: DuneNode, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.gossip.off('message', listener)
      reject(new Error(`gossip ${JSON.stringify(text)} not delivered within 5 s`))
    }, 5000)
    const listener = (e: { text: string }): void => {
      if (e.text !== text) return
      clearTimeout(timer)
      node.gossip.off('message', listener)
      resolve()
    }
    node.gossip.on('message', listener)
  })
}

/** The node and its good peer are still connected and gossip reaches each from the other. */
export async function assertServesGoodPeer(target: ShippedTarget): Promise<void> {
  const { node, good } = target
  assert.ok(node.p2p.connection(good.peerId), 'the good peer is still connected')
  const text = `still there ${++rounds}`
  const atNode = delivered(node, text)
  good.gossip.publish(text)
  await atNode
  const atGood = delivered(good, `${text} too`)
  node.gossip.publish(`${text} too`)
  await atGood
}

/** No handshake left in progress. */
export async function assertAtRest(target: ShippedTarget): Promise<void> {
  await until(() => target.p2p.stats().incomingHandshakes === 0, 'incoming handshakes back to 0', 10_000)
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

export { until }
