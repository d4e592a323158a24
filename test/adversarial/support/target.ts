// The node under attack and its good peers: a started node with a connected good peer, the
// check that it still serves that peer, and the wait for the outcome of one attacker's handshake.
import assert from 'node:assert/strict'
import type { P2pConfigInput } from '../../../src/pool/config.js'
import { HandshakeError } from '../../../src/socket/index.js'
import { type ChatNode, chat, nodeFixture, pointOf, until } from '../../integration/pool/nodes.js'
import { testIdentity } from '../../support/identities.js'

/** A node under attack (`host`) with one good peer connected to it. */
export interface Target {
  readonly node: ChatNode
  readonly good: ChatNode
  readonly host: string
  readonly port: number
}

/** Starts nodes for one describe block (stopped after it). */
export function targetFixture(): (
  host: string,
  goodHost: string,
  overrides?: Partial<P2pConfigInput>,
) => Promise<Target> {
  const start = nodeFixture()
  return async (host, goodHost, overrides = {}) => {
    const bits = Math.ceil(overrides.expectedProofOfWork ?? 4)
    const node = await start(host, { identity: testIdentity(bits), ...overrides })
    const good = await start(goodHost, { identity: testIdentity(bits), ...overrides })
    await good.connect(pointOf(node))
    await until(() => node.connection(good.peerId) !== undefined, 'the good peer to be adopted')
    return { node, good, host, port: node.port! }
  }
}

let rounds = 0

/** Waits for the next application message from `from` with the given text (others are dropped). */
async function receive(node: ChatNode, from: string, text: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no message ${JSON.stringify(text)} from ${from}`)), 5000)
  })
  try {
    for (;;) {
      const received = await Promise.race([node.recv(), timeout])
      if (received.peer === from && received.message.value === text) return
    }
  } finally {
    clearTimeout(timer)
  }
}

/** The node and its good peer are still connected and exchange a message each way. */
export async function assertServesGoodPeer(target: Target): Promise<void> {
  const { node, good } = target
  assert.ok(node.connection(good.peerId), 'the good peer is still connected')
  const text = `still there ${++rounds}`
  await good.send(node.peerId, chat(text))
  await receive(node, good.peerId, text)
  await node.send(good.peerId, chat(`${text} too`))
  await receive(good, node.peerId, `${text} too`)
}

/** The structures an attack fills are back to rest: no handshake in progress. */
export async function assertAtRest(target: Target): Promise<void> {
  await until(() => target.node.stats().incomingHandshakes === 0, 'incoming handshakes back to 0')
}

/** The failure cause of a handshake as the pool saw it (`HandshakeError.failure`, or the refusal reason). */
export type Outcome = { failure: string; error: Error }

/**
 * Runs `attack` from `ip` and resolves with the node's handshake-failed event for that IP (its
 * cause: `HandshakeError.failure`, or a ConnectionRefusedError's reason).
 */
export async function attackOutcome(
  node: ChatNode,
  ip: string,
  attack: () => Promise<unknown>,
  timeoutMs = 6000,
): Promise<Outcome> {
  const outcome = new Promise<Outcome>((resolve, reject) => {
    const timer = setTimeout(() => {
      node.off('handshake-failed', listener)
      reject(new Error(`no handshake-failed event for ${ip} within ${timeoutMs} ms`))
    }, timeoutMs)
    const listener = (e: { remoteAddress: string; error: Error }): void => {
      if (e.remoteAddress !== ip) return
      clearTimeout(timer)
      node.off('handshake-failed', listener)
      const failure =
        e.error instanceof HandshakeError
          ? e.error.failure
          : String((e.error as { reason?: unknown }).reason ?? e.error.name)
      resolve({ failure, error: e.error })
    }
    node.on('handshake-failed', listener)
  })
  await attack().catch(() => {}) // the node closing on the attacker is the expected case
  return outcome
}

/** SPEC 5: a handshake failure greylists the IP exactly for a bad proof of work, decryption or decoding. */
export const GREYLISTING_FAILURES = new Set(['proof_of_work', 'decryption', 'decoding'])

export { pointOf, until }
