// Test nodes for the pool's integration tests: a chat application, P2p instances each on its
// own 127.0.0.x address (listening and dialing from it), and waits on events and conditions.
import './dial-guard.mjs' // no test that starts a node dials outside loopback
import { after } from 'node:test'
import { createP2p, type P2p } from '../../src/p2p.js'
import type { P2pConfigInput } from '../../src/pool/config.js'
import type { PoolEvents } from '../../src/pool/pool.js'
import { authenticate, dialTcp, type HandshakeConfig, type PendingHandshake } from '../../src/socket/index.js'
import {
  type ApplicationMessage,
  defineMessages,
  type Metadata,
  parsePoint,
  string,
} from '../../src/wire/index.js'
import { testIdentity } from './identities.js'
import { handshakeConfig } from './socket-pair.js'

const chatDefinitions = { chat: { tag: 0x10, encoding: string({ max: 1024 }), maxSize: 1028 } }
export const chatMessages = defineMessages(chatDefinitions)
export type Chat = ApplicationMessage<typeof chatDefinitions>
export type ChatNode = P2p<Chat>

export const chat = (text: string): Chat => ({ name: 'chat', value: text })

/** Test defaults: small proof of work, short timeouts, chain DUNE_TEST, no maintenance (dials only when told). */
export function nodeConfig(host: string, overrides: Partial<P2pConfigInput> = {}): P2pConfigInput {
  return {
    identity: testIdentity(4),
    chainName: 'DUNE_TEST',
    expectedProofOfWork: 4,
    listenHost: host,
    listenPort: 0,
    localAddress: host,
    connectionTimeoutMs: 2000,
    authenticationTimeoutMs: 2000,
    maintenance: { enabled: false },
    ...overrides,
  }
}

/** Eviction with no peer protected and no grace period: any inbound peer may be evicted at once. */
export const EVICT_ANYONE = {
  graceMs: 0,
  protectGroups: 0,
  protectLowLatency: 0,
  protectRecentUseful: 0,
  protectLongestShare: 0,
} as const

/** A started node listening on `host` (an address of 127.0.0.0/8). */
export async function startNode(host: string, overrides: Partial<P2pConfigInput> = {}): Promise<ChatNode> {
  const node = await createP2p(nodeConfig(host, overrides), { messages: chatMessages })
  await node.start()
  return node
}

/** The point a node listens on. */
export function pointOf<A, P, C>(node: P2p<A, P, C>): string {
  return `${node.config.listenHost}:${node.port}`
}

/** Resolves with the first `event` whose arguments satisfy `accept`; rejects after `timeoutMs`. */
export function nextEvent<A, P, C, K extends keyof PoolEvents>(
  node: P2p<A, P, C>,
  event: K,
  accept: (...args: PoolEvents[K]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<PoolEvents[K]> {
  return new Promise((resolve, reject) => {
    const listener = (...args: PoolEvents[K]): void => {
      if (!accept(...args)) return
      clearTimeout(timer)
      node.off(event, listener)
      resolve(args)
    }
    const timer = setTimeout(() => {
      node.off(event, listener)
      reject(new Error(`no ${String(event)} event within ${timeoutMs} ms`))
    }, timeoutMs)
    node.on(event, listener)
  })
}

/** Stops every node given (ignoring those already stopped). */
export async function stopAll(...nodes: Array<{ stop(): Promise<void> } | undefined>): Promise<void> {
  await Promise.all(nodes.map((n) => n?.stop()))
}

/**
 * A bare socket-layer peer (not a P2p node) dialing `point` from `host`, running the handshake
 * to the metadata: for peers that misbehave on purpose.
 */
export async function rawHandshake(
  host: string,
  point: string,
  overrides: Partial<HandshakeConfig<Metadata>> = {},
): Promise<PendingHandshake<Metadata>> {
  const { host: targetHost, port } = parsePoint(point)
  const socket = await dialTcp(targetHost, port, { localAddress: host })
  return authenticate(socket, false, handshakeConfig({ listeningPort: undefined, ...overrides }))
}

/**
 * A describe block's nodes: `node(host, overrides)` starts one and remembers it; every node it
 * started is stopped after the block.
 */
export function nodeFixture(): (host: string, overrides?: Partial<P2pConfigInput>) => Promise<ChatNode> {
  const nodes: ChatNode[] = []
  after(() => stopAll(...nodes))
  return async (host, overrides = {}) => {
    const n = await startNode(host, overrides)
    nodes.push(n)
    return n
  }
}
