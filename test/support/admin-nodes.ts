// Running dune-nodes for the admin client and dashboard tests: in-process nodes on 127.0.0.1 with
// free ports, tiny proof of work, no maintenance dialing, each with its admin RPC; and a poller.
import './dial-guard.mjs' // no test that starts a node dials outside loopback
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type DuneNode, startDuneNode } from '../../src/node/daemon.js'
import { nodeConfigSchema } from '../../src/node/node-config.js'

/** The point a node listens on. */
export function netPoint(node: DuneNode): string {
  return `127.0.0.1:${node.netPort}`
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
 * Starts `count` nodes with fresh data dirs. `min_connections: 0`: maintenance never dials, so
 * the tests decide who is connected. `gossipEverySeconds` > 0 makes traffic (flows).
 */
export async function startNodes(
  count: number,
  options: { gossipEverySeconds?: number } = {},
): Promise<DuneNode[]> {
  const nodes: DuneNode[] = []
  for (let i = 0; i < count; i++) {
    const config = nodeConfigSchema.parse({
      data_dir: mkdtempSync(join(tmpdir(), 'dune-admin-test-')),
      chain_name: 'DUNE_ADMIN_TEST',
      p2p: {
        listen_addr: '127.0.0.1:0',
        expected_proof_of_work: 4,
        min_connections: 0,
        expected_connections: 10,
        max_connections: 20,
      },
      rpc: { listen_addr: '127.0.0.1:0' },
      log: { level: 'silent' },
      gossip: { every_seconds: options.gossipEverySeconds ?? 0 },
    })
    nodes.push(await startDuneNode(config))
  }
  return nodes
}

/** Connects every pair of nodes (the lower index dials) and waits until both ends see it. */
export async function connectAll(nodes: readonly DuneNode[]): Promise<void> {
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) await nodes[i].p2p.connect(netPoint(nodes[j]))
  }
  await waitFor('every node connected to every other', () =>
    nodes.every((n) => n.p2p.connections().length === nodes.length - 1),
  )
}

export async function stopNodes(nodes: readonly DuneNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.stop()))
}

/** Polls `condition` until it holds; fails naming `what` after `limitMs` (a guard, not a timing claim). */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  limitMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** A TCP port on 127.0.0.1 where nothing listens (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
