// dune-nodes as they ship, for the attack, limit and fault tests: `startDuneNode` with the
// default config, changed only where a test machine must (addresses, data dir, proof of work, logs).
import './dial-guard.mjs' // no test that starts a node dials outside loopback
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type DuneNode, type DuneNodeOptions, startDuneNode } from '../../src/node/daemon.js'
import { type NodeConfig, nodeConfigSchema } from '../../src/node/node-config.js'

/** The proof of work of the test nodes' identities (26 bits would take minutes to generate). */
export const SHIPPED_TEST_POW = 4

export interface ShippedNodeOptions {
  /** Also start the admin RPC on `host`, a free port (default: no RPC). */
  readonly rpc?: boolean
  /** Points dialed at start (default: none). */
  readonly bootstrapPeers?: readonly string[]
  /** Publish a gossip message every this many seconds (default 0, as shipped). */
  readonly gossipEverySeconds?: number
  readonly chainName?: string
  /** Passed to startDuneNode (a logger, a beforeStart hook). */
  readonly node?: DuneNodeOptions
}

/**
 * The config of a node as `dune-node run` ships it, but listening on `host` (a free port), with
 * a fresh data dir, SHIPPED_TEST_POW, and silent logs. Nothing else differs from the defaults.
 */
export function shippedConfig(host: string, options: ShippedNodeOptions = {}): NodeConfig {
  return nodeConfigSchema.parse({
    data_dir: mkdtempSync(join(tmpdir(), 'dune-shipped-')),
    ...(options.chainName === undefined ? {} : { chain_name: options.chainName }),
    p2p: {
      listen_addr: `${host}:0`,
      expected_proof_of_work: SHIPPED_TEST_POW,
      bootstrap_peers: options.bootstrapPeers ?? [],
    },
    rpc: { listen_addr: options.rpc ? `${host}:0` : null },
    log: { level: 'silent' },
    gossip: { every_seconds: options.gossipEverySeconds ?? 0 },
  })
}

/** Starts a shipped node on `host` (an address of 127.0.0.0/8 or a netns host). */
export function startShippedNode(host: string, options: ShippedNodeOptions = {}): Promise<DuneNode> {
  return startDuneNode(shippedConfig(host, options), options.node)
}
