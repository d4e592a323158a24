// A local network of dune-nodes on 127.0.0.1 for the quick start: fresh identities, each node
// with its admin RPC, bootstrapped to the first and the previous node, the demo gossip running.
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { pino } from 'pino'
import { type DuneNode, startDuneNode } from './daemon.js'
import { createLogger, type LogDestination } from './logger.js'
import { parseNodeConfig } from './node-config.js'

export interface SandboxOptions {
  readonly nodes: number
  readonly baseDir: string
  readonly powBits: number
  /** Seconds between two gossip messages of a node; 0: none. */
  readonly gossipEverySeconds: number
  /** Seconds before it stops by itself; 0: until the signal aborts. */
  readonly durationSeconds: number
  /** Octez's --connections of each node (default 4: 2 to 6 connections). */
  readonly connections?: number
  readonly chainName?: string
  /** Where the nodes' warnings go (default: `out`). */
  readonly logDestination?: LogDestination
}

interface SandboxNode {
  readonly name: string
  readonly node: DuneNode
  readonly point: string
}

/** Seconds between two status blocks. */
const STATUS_EVERY_MS = 5000

/** Starts the nodes one after the other, each bootstrapped to node-1 and the one before it. */
async function startNodes(
  options: SandboxOptions,
  out: { write(text: string): unknown },
  nodes: SandboxNode[],
): Promise<void> {
  const logs = options.logDestination ?? out
  for (let index = 0; index < options.nodes; index++) {
    const name = `node-${index + 1}`
    const dataDir = join(options.baseDir, name)
    // Fresh identities and tables each run.
    await rm(dataDir, { recursive: true, force: true })
    const bootstrap = [...new Set([nodes[0]?.point, nodes[index - 1]?.point])].filter(
      (p): p is string => p !== undefined,
    )
    const config = parseNodeConfig(
      {
        data_dir: dataDir,
        chain_name: options.chainName ?? 'DUNE_SANDBOX',
        p2p: {
          listen_addr: '127.0.0.1:0',
          bootstrap_peers: bootstrap,
          expected_proof_of_work: options.powBits,
          connections: options.connections ?? 4,
          maintenance_period_ms: 10_000,
          greylist_timeout_ms: 60_000,
        },
        rpc: { listen_addr: '127.0.0.1:0' },
        gossip: { every_seconds: options.gossipEverySeconds },
      },
      'the sandbox',
    )
    const logger: pino.Logger = createLogger({ level: 'warn', destination: logs }).child({ node: name })
    const node = await startDuneNode(config, {
      logger,
      beforeStart: (p2p) =>
        p2p.on('connection', (e) =>
          out.write(`${name}: connected to ${e.peerId} (${e.incoming ? 'in' : 'out'})\n`),
        ),
    })
    const point = `127.0.0.1:${node.netPort}`
    nodes.push({ name, node, point })
    out.write(`${name}: ${node.peerId} listening on ${point}, admin RPC ${node.rpcUrl}\n`)
  }
}

function printHowToWatch(nodes: SandboxNode[], out: { write(text: string): unknown }): void {
  const [head] = nodes
  if (head === undefined) return
  const first = head.node.rpcUrl
  // The data dir holds rpc.cookie, the token of the changing commands (ban, trust, kick...).
  const firstDir = head.node.p2p.config.dataDir
  const lines = [
    '',
    'The network is up. Watch it:',
    ...nodes.map((n) => `  ${n.name} dashboard: ${n.node.rpcUrl}/dashboard/`),
    '',
    'Ask a node with the admin client:',
    `  node dist/cli/dune-admin-client.js --endpoint ${first} p2p stat`,
    `  node dist/cli/dune-admin-client.js --endpoint ${first} list connections`,
    `  node dist/cli/dune-admin-client.js --endpoint ${first} watch log`,
    `  node dist/cli/dune-admin-client.js --endpoint ${first} --data-dir ${firstDir} ban address 192.0.2.1`,
    `  curl ${first}/network/connections   curl ${first}/metrics`,
    '',
    'Ctrl-C stops every node (Disconnect to each peer).',
    '',
  ]
  out.write(`${lines.join('\n')}\n`)
}

function printStatus(nodes: SandboxNode[], out: { write(text: string): unknown }): void {
  const lines = nodes.map(({ name, node, point }) => {
    const stats = node.p2p.stats()
    const gossip = node.gossip.counts()
    return `  ${name} ${point}  connections ${stats.activeConnections}  known points ${stats.knownPoints}  gossip published ${gossip.published} received ${gossip.received} duplicates ${gossip.duplicates}  bytes ${stats.io.bytesIn + stats.io.bytesOut}`
  })
  out.write(`status:\n${lines.join('\n')}\n`)
}

/**
 * Runs the sandbox until `signal` aborts or the duration ends; then stops every node (Disconnect
 * to each peer, state saved). Resolves with the connections closed (counted from both ends) and
 * the gossip messages received in all.
 */
export async function runSandbox(
  options: SandboxOptions,
  out: { write(text: string): unknown },
  signal: AbortSignal,
): Promise<{ connections: number; messages: number }> {
  out.write(`Starting ${options.nodes} nodes in ${options.baseDir} (proof of work ${options.powBits} bits)\n`)
  const nodes: SandboxNode[] = []
  try {
    await startNodes(options, out, nodes)
  } catch (err) {
    await Promise.all(nodes.map(({ node }) => node.stop()))
    throw err
  }
  printHowToWatch(nodes, out)
  const status = setInterval(() => printStatus(nodes, out), STATUS_EVERY_MS)
  await new Promise<void>((resolve) => {
    if (signal.aborted) return resolve()
    signal.addEventListener('abort', () => resolve(), { once: true })
    if (options.durationSeconds > 0) setTimeout(resolve, options.durationSeconds * 1000).unref()
  })
  clearInterval(status)
  out.write('Stopping: Disconnect to every peer\n')
  const connections = nodes.reduce((n, { node }) => n + node.p2p.connections().length, 0)
  const messages = nodes.reduce((n, { node }) => n + node.gossip.counts().received, 0)
  await Promise.all(nodes.map(({ node }) => node.stop()))
  return { connections, messages }
}
