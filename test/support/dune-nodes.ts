// In-process dune-nodes for the RPC, admin client and dashboard tests: each on a 127.0.0.x address
// with its admin RPC, tiny proof of work, no maintenance dialing; and a JSON client of the RPC.
import './dial-guard.mjs' // no test that starts a node dials outside loopback
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import { type DuneNode, type DuneNodeOptions, startDuneNode } from '../../src/node/daemon.js'
import { parseNodeConfig } from '../../src/node/node-config.js'
import type { Tuple } from './defined.js'
import { waitUntil } from './wait.js'

/** The point a node listens on. */
export function netPoint(node: DuneNode): string {
  return `${node.p2p.config.listenHost}:${node.netPort}`
}

/** The admin RPC URL of a node (it always has one here). */
export function rpcUrl(node: DuneNode): string {
  if (node.rpcUrl === undefined) throw new Error('the node has no RPC server')
  return node.rpcUrl
}

/** The admin client's arguments for `node`: its endpoint, and its data dir (the token's rpc.cookie). */
export function adminArgs(node: DuneNode): string[] {
  const dataDir = node.p2p.config.dataDir
  if (dataDir === undefined) throw new Error('the node has no data dir')
  return ['--endpoint', rpcUrl(node), '--data-dir', dataDir]
}

/** Headers of a state-changing request as the operator: the node's RPC token. */
export function operatorHeaders(node: DuneNode): Record<string, string> {
  if (node.rpcToken === undefined) throw new Error('the node has no RPC server')
  return { authorization: `Bearer ${node.rpcToken}` }
}

/**
 * The p2p section of a test node: tiny proof of work, and `min_connections: 0`, so maintenance
 * never dials and the tests decide who is connected.
 */
const TEST_P2P = {
  expected_proof_of_work: 2,
  min_connections: 0,
  expected_connections: 4,
  max_connections: 10,
} as const

export interface TestNodeSetup {
  /** Fields of the p2p section, over TEST_P2P (snake_case, as in config.json). */
  readonly p2p?: Record<string, unknown>
  /** Other config fields, over the test defaults (chain_name, log, gossip...). */
  readonly config?: Record<string, unknown>
  /** The daemon's options (a logger, a beforeStart hook, a resolver). */
  readonly options?: DuneNodeOptions
}

/**
 * Starts a node listening on `host` (an address of 127.0.0.0/8, a free port) with its admin RPC on
 * the same address, a fresh data dir and chain DUNE_TEST; the caller stops it.
 */
export async function startTestNode(host: string, setup: TestNodeSetup = {}): Promise<DuneNode> {
  const config = parseNodeConfig(
    {
      data_dir: mkdtempSync(join(tmpdir(), 'dune-test-node-')),
      chain_name: 'DUNE_TEST',
      ...setup.config,
      p2p: { listen_addr: `${host}:0`, ...TEST_P2P, ...setup.p2p },
      rpc: { listen_addr: `${host}:0` },
    },
    'the test',
  )
  return startDuneNode(config, setup.options)
}

/**
 * A describe block's nodes: `start(host, setup)` starts one as startTestNode does and remembers
 * it; every node it started is stopped after the block.
 */
export function duneNodeFixture(): (host: string, setup?: TestNodeSetup) => Promise<DuneNode> {
  const nodes: DuneNode[] = []
  after(() => stopNodes(nodes))
  return async (host, setup) => {
    const node = await startTestNode(host, setup)
    nodes.push(node)
    return node
  }
}

/**
 * Starts `count` nodes on 127.0.0.1 for the admin client and dashboard tests (chain
 * DUNE_ADMIN_TEST, room for 20 connections, silent logs); `gossipEverySeconds` > 0 makes traffic
 * (flows). The caller stops them (stopNodes).
 */
export async function startNodes<N extends number>(
  count: N,
  options: { gossipEverySeconds?: number } = {},
): Promise<Tuple<DuneNode, N>> {
  const nodes: DuneNode[] = []
  for (let i = 0; i < count; i++) {
    nodes.push(
      await startTestNode('127.0.0.1', {
        config: {
          chain_name: 'DUNE_ADMIN_TEST',
          log: { level: 'silent' },
          gossip: { every_seconds: options.gossipEverySeconds ?? 0 },
        },
        p2p: { expected_proof_of_work: 4, expected_connections: 10, max_connections: 20 },
      }),
    )
  }
  return nodes as Tuple<DuneNode, N> // the loop started exactly `count` nodes (a tuple for a literal count)
}

/** Connects every pair of nodes (the lower index dials) and waits until both ends see it. */
export async function connectAll(nodes: readonly DuneNode[]): Promise<void> {
  for (const [i, dialer] of nodes.entries()) {
    for (const listener of nodes.slice(i + 1)) await dialer.p2p.connect(netPoint(listener))
  }
  await waitUntil(() => nodes.every((n) => n.p2p.connections().length === nodes.length - 1), {
    message: 'every node connected to every other',
    timeoutMs: 15_000,
    intervalMs: 25,
  })
}

export async function stopNodes(nodes: readonly DuneNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.stop()))
}

/** One RPC call as the operator (with the token): JSON in and out; resolves with the status and the parsed body. */
export async function api(
  node: DuneNode,
  method: string,
  path: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: the tests read the JSON answers' fields directly
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  // The operator's token (DATA_DIR/rpc.cookie) on the state-changing routes.
  if (method !== 'GET' && method !== 'HEAD' && node.rpcToken)
    headers.authorization = `Bearer ${node.rpcToken}`
  const response = await fetch(`${node.rpcUrl}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {}
  return { status: response.status, body: parsed }
}

/** The URL path form of a point (its ':' encoded). */
export const enc = encodeURIComponent

/** A TCP port on 127.0.0.1 where nothing listens (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
