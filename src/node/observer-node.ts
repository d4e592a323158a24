// A dune-node on a Tezos network (config `network`): the P2p layer with Octez's shell messages and
// versions, the observer as its application, the admin RPC and metrics; startNode picks the app.
import { mkdir } from 'node:fs/promises'
import { pino } from 'pino'
import type { Identity } from '../crypto/index.js'
import { octezMessages } from '../octez/index.js'
import type { OctezMessage } from '../octez/messages.js'
import { createP2p, type P2p } from '../p2p.js'
import type { P2pConfigInput } from '../pool/index.js'
import { NodeMetrics } from '../rpc/metrics.js'
import { ObserverService } from '../shell/observer.js'
import { type Metadata, metadataEncoding } from '../wire/index.js'
import {
  type DuneNode,
  type DuneNodeOptions,
  identityOf,
  logP2pEvents,
  type NodeRpc,
  p2pConfigOf,
  startDuneNode,
  startNodeRpc,
  warnIfWeakIdentity,
} from './daemon.js'
import { type NetworkPreset, networkPreset } from './network-presets.js'
import { type NodeConfig, NodeConfigError } from './node-config.js'

/**
 * Per-connection queue bounds of the observer. The largest shell frame is a Current_head with an
 * 8 MiB header (about 8.4 MB); an item larger than a queue's bound still passes an empty queue,
 * so 1 MiB holds every ordinary head and one huge one, then reading pauses (at most ~17 MB per
 * connection: one huge frame queued, one waiting). We send only 10-byte asks: 64 KiB out.
 */
export const OBSERVER_QUEUE_BOUNDS = {
  incomingQueueBytes: 1024 * 1024,
  outgoingQueueBytes: 64 * 1024,
  /** Shared by every connection: the observer drains it at once (a hash per head). */
  applicationQueueBytes: 16 * 1024 * 1024,
} as const

export interface ObserverNodeOptions {
  readonly logger?: pino.Logger
  /** Called with the layer before it starts, to subscribe to its first events. */
  readonly beforeStart?: (p2p: P2p<OctezMessage, null, Metadata>, observer: ObserverService) => void
}

export interface ObserverNode {
  readonly network: NetworkPreset
  readonly p2p: P2p<OctezMessage, null, Metadata>
  readonly peerId: string
  readonly netPort: number | undefined
  /** e.g. 'http://127.0.0.1:8732' (no trailing slash); undefined without an RPC server. */
  readonly rpcUrl: string | undefined
  /** The token of the state-changing RPC routes (also in DATA_DIR/rpc.cookie); undefined without an RPC server. */
  readonly rpcToken: string | undefined
  readonly observer: ObserverService
  readonly metrics: NodeMetrics
  /** Disconnect to every peer, state saved (peers.json), RPC closed. Idempotent. */
  stop(): Promise<void>
}

/** The P2p config of an observer: the node's, with the network's versions and the queue bounds. */
export function observerP2pConfigOf(
  config: NodeConfig,
  preset: NetworkPreset,
  identity: Identity,
): P2pConfigInput {
  return {
    ...p2pConfigOf(config, identity),
    distributedDbVersions: [...preset.distributedDbVersions],
    p2pVersions: [...preset.p2pVersions],
    ...OBSERVER_QUEUE_BOUNDS,
  }
}

/** Starts a node on the Tezos network of `config.network`, with the observer. */
export async function startObserverNode(
  config: NodeConfig,
  options: ObserverNodeOptions = {},
): Promise<ObserverNode> {
  const preset = networkPreset(config.network)
  if (!preset) {
    throw new NodeConfigError('network', 'no Tezos network is set', 'pass --network mainnet|ghostnet|sandbox')
  }
  const logger = options.logger ?? pino({ level: 'silent' })
  await mkdir(config.data_dir, { recursive: true, mode: 0o700 })
  const identity = await identityOf(config.data_dir, config.p2p.expected_proof_of_work, logger)
  warnIfWeakIdentity(identity, config.p2p.expected_proof_of_work, config.data_dir, logger)
  const p2p = await createP2p(observerP2pConfigOf(config, preset, identity), {
    messages: octezMessages,
    // Octez's connection metadata; the observer wants no mempool (Octez then sends empty ones).
    connectionMetadata: {
      encoding: metadataEncoding,
      local: { disableMempool: true, privateNode: config.p2p.private_mode },
      isPrivate: (m) => m.privateNode,
    },
    logger,
  })
  if (p2p.stateLoad?.status === 'corrupt') {
    logger.warn({ moved_to: p2p.stateLoad.movedTo }, 'peers.json was unusable; starting with empty tables')
  }
  const observer = new ObserverService(p2p, {
    chainId: preset.chainId,
    headEveryMs: config.observer.head_every_seconds * 1000,
  })
  const metrics = new NodeMetrics(p2p, undefined, observer)
  logP2pEvents(p2p, logger)
  observer.on('head', (h) =>
    logger.debug({ peer_id: h.peerId, level: h.level, block: h.blockHash, source: h.source }, 'peer head'),
  )
  observer.attach()
  options.beforeStart?.(p2p, observer)
  const startedAt = Date.now()
  await p2p.start()
  observer.start()
  let rpc: NodeRpc | undefined
  try {
    rpc = await startNodeRpc(config, { p2p, heads: observer, metrics, startedAt, logger })
  } catch (err) {
    observer.stop()
    await p2p.stop()
    throw err
  }
  logger.info(
    {
      peer_id: p2p.peerId,
      network: preset.name,
      chain_name: config.chain_name,
      chain_id: preset.chainId,
      net_addr: `${config.p2p.listen_addr.replace(/:\d+$/, '')}:${p2p.port}`,
      rpc: rpc?.server.url,
      rpc_cookie: rpc?.cookie,
      data_dir: config.data_dir,
    },
    'observer running',
  )
  let stopping: Promise<void> | undefined
  return {
    network: preset,
    p2p,
    peerId: p2p.peerId,
    netPort: p2p.port,
    rpcUrl: rpc?.server.url,
    rpcToken: rpc?.server.token,
    observer,
    metrics,
    stop() {
      stopping ??= (async () => {
        logger.info({ connections: p2p.connections().length }, 'stopping: Disconnect to every peer')
        observer.stop()
        await rpc?.close()
        await p2p.stop()
        await observer.ended()
        metrics.close()
        logger.info({}, 'stopped, state saved')
      })()
      return stopping
    },
  }
}

/** Starts the node a config stands for: the observer with `network`, else the demo gossip. */
export function startNode(
  config: NodeConfig,
  options: DuneNodeOptions = {},
): Promise<DuneNode | ObserverNode> {
  if (config.network !== undefined)
    return startObserverNode(config, options.logger ? { logger: options.logger } : {})
  return startDuneNode(config, options)
}
