// A running dune-node: identity (generated on first run), the P2p layer with the demo gossip,
// the admin RPC and metrics, logs of the node's events, and a stop that saves the state.
import { mkdir } from 'node:fs/promises'
import { pino } from 'pino'
import { generateIdentity, generateIdentityInline, type Identity, peerIdToB58 } from '../crypto/index.js'
import { createP2p, type P2p, type P2pConfigInput } from '../p2p.js'
import { NodeMetrics } from '../rpc/metrics.js'
import { startRpcServer } from '../rpc/server.js'
import { describeCloseReason } from '../socket/index.js'
import { type Metadata, parsePoint } from '../wire/index.js'
import { type GossipMessage, GossipService, gossipMessages } from './gossip.js'
import { IdentityFileError, identityFilePath, readIdentityFile, writeIdentityFile } from './identity-file.js'
import { isHostnamePoint, type NodeConfig, NodeConfigError } from './node-config.js'

/** Up to this many bits, a fresh identity's stamp is searched on this thread (no workers to start). */
const INLINE_POW_BITS = 14

export interface DuneNodeOptions {
  /** Where the node logs (default: silent). */
  readonly logger?: pino.Logger
  /** Called with the layer before it starts, to subscribe to its first events. */
  readonly beforeStart?: (p2p: P2p<GossipMessage, null, Metadata>, gossip: GossipService) => void
}

export interface DuneNode {
  readonly p2p: P2p<GossipMessage, null, Metadata>
  readonly peerId: string
  /** The P2P listening port. */
  readonly netPort: number | undefined
  /** e.g. 'http://127.0.0.1:8732' (no trailing slash); undefined without an RPC server. */
  readonly rpcUrl: string | undefined
  readonly gossip: GossipService
  readonly metrics: NodeMetrics
  /** Disconnect to every peer, state saved (peers.json), RPC closed. Idempotent. */
  stop(): Promise<void>
}

/** The identity in the data dir, or a new one (written there) meeting `bits` when there is none. */
export async function identityOf(dataDir: string, bits: number, logger: pino.Logger): Promise<Identity> {
  try {
    return await readIdentityFile(dataDir)
  } catch (err) {
    if (!(err instanceof IdentityFileError && err.code === 'DUNE_IDENTITY_MISSING')) throw err
  }
  logger.info({ path: identityFilePath(dataDir), pow_bits: bits }, 'no identity yet: generating one')
  const identity = bits <= INLINE_POW_BITS ? generateIdentityInline(bits) : await generateIdentity(bits)
  await writeIdentityFile(dataDir, identity)
  logger.info({ peer_id: peerIdToB58(identity.peerId) }, 'identity generated')
  return identity
}

/** The bootstrap peers the layer can dial: the IP points (names are reported by warnUndialedNames). */
export function dialableBootstrapPeers(config: NodeConfig): string[] {
  return config.p2p.bootstrap_peers.filter((p) => !isHostnamePoint(p))
}

/** Logs the bootstrap names that are not dialed, naming the fix. */
export function warnUndialedNames(config: NodeConfig, logger: pino.Logger): void {
  const names = config.p2p.bootstrap_peers.filter(isHostnamePoint)
  if (names.length > 0)
    logger.warn(
      { names },
      'bootstrap peers given by DNS name are not dialed by this build: give their IP:PORT with --peer',
    )
}

/** The P2p config a node config stands for. */
export function p2pConfigOf(config: NodeConfig, identity: Identity): P2pConfigInput {
  const p = config.p2p
  const { host, port } = parsePoint(p.listen_addr)
  const wildcard = host === '0.0.0.0' || host === '::'
  const optional = <T>(key: string, value: T | undefined) => (value === undefined ? {} : { [key]: value })
  return {
    identity,
    chainName: config.chain_name,
    dataDir: config.data_dir,
    listenHost: host,
    listenPort: port,
    // Dial from the address we listen on, so peers see one point per node (127.0.0.x networks).
    ...(wildcard ? {} : { localAddress: host }),
    expectedProofOfWork: p.expected_proof_of_work,
    privateMode: p.private_mode,
    // DNS names are kept in the config but not dialed by this layer yet (dialableBootstrapPeers).
    bootstrapPeers: dialableBootstrapPeers(config),
    trustedPoints: p.trusted_points,
    ...optional('connections', p.connections),
    ...optional('minConnections', p.min_connections),
    ...optional('expectedConnections', p.expected_connections),
    ...optional('maxConnections', p.max_connections),
    ...optional('maxUploadSpeed', p.max_upload_speed),
    ...optional('maxDownloadSpeed', p.max_download_speed),
    greylistTimeoutMs: p.greylist_timeout_ms,
    tcpKeepalive: {
      userTimeoutMs: p.tcp_user_timeout_ms,
      keepAliveIdleMs: p.tcp_keepalive_idle_ms,
      keepAliveIntervalMs: p.tcp_keepalive_interval_ms,
    },
    maintenance: { periodMs: p.maintenance_period_ms },
    ...optional('score', p.score),
    ...optional('slots', p.slots),
    ...optional('admission', p.admission),
    ...optional('eviction', p.eviction),
  }
}

/** Logs the layer's events: connections at info, the rest at debug or warn. */
export function logP2pEvents<A>(p2p: P2p<A, null, Metadata>, logger: pino.Logger): void {
  p2p.on('connection', (e) =>
    logger.info({ peer_id: e.peerId, point: e.point, incoming: e.incoming }, 'connection established'),
  )
  p2p.on('disconnection', (e) =>
    logger.info({ peer_id: e.peerId, reason: describeCloseReason(e.reason) }, 'connection closed'),
  )
  p2p.on('greylisted', (e) => logger.warn({ ...e }, 'greylisted'))
  p2p.on('handshake-failed', (e) =>
    logger.debug(
      { remote_addr: e.remoteAddress, incoming: e.incoming, error: e.error.message },
      'handshake failed',
    ),
  )
  p2p.on('refused', (e) => logger.debug({ remote_addr: e.remoteAddress, reason: e.reason }, 'refused'))
  p2p.on('maintenance', (r) => logger.debug({ ...r }, 'maintenance step'))
  p2p.on('maintenance-failed', (f) =>
    logger.error({ reason: f.reason, err: f.error }, 'maintenance step failed'),
  )
}

/** Logs the node's events: the layer's, and the gossip messages at debug. */
function logEvents(
  p2p: P2p<GossipMessage, null, Metadata>,
  gossip: GossipService,
  logger: pino.Logger,
): void {
  logP2pEvents(p2p, logger)
  gossip.on('message', (m) =>
    logger.debug({ id: m.id, origin: m.origin, from: m.from, text: m.text }, 'gossip message'),
  )
}

/**
 * Starts a node from a checked config: creates the data dir, reads (or generates) the
 * identity, loads peers.json, starts the P2P layer, the demo gossip and the admin RPC.
 */
export async function startDuneNode(config: NodeConfig, options: DuneNodeOptions = {}): Promise<DuneNode> {
  if (config.network !== undefined) {
    throw new NodeConfigError(
      'network',
      `a node on ${config.network} runs the observer, not the demo gossip`,
      'start it with startNode (src/node/observer-node.ts), as `dune-node run` does',
    )
  }
  const logger = options.logger ?? pino({ level: 'silent' })
  await mkdir(config.data_dir, { recursive: true, mode: 0o700 })
  warnUndialedNames(config, logger)
  const identity = await identityOf(config.data_dir, config.p2p.expected_proof_of_work, logger)
  const p2p = await createP2p(p2pConfigOf(config, identity), { messages: gossipMessages, logger })
  if (p2p.stateLoad?.status === 'corrupt') {
    logger.warn({ moved_to: p2p.stateLoad.movedTo }, 'peers.json was unusable; starting with empty tables')
  }
  const gossip = new GossipService(p2p)
  const metrics = new NodeMetrics(p2p, gossip)
  logEvents(p2p, gossip, logger)
  options.beforeStart?.(p2p, gossip)
  const startedAt = Date.now()
  await p2p.start()
  gossip.start(config.gossip.every_seconds)
  let rpc: Awaited<ReturnType<typeof startRpcServer>> | undefined
  try {
    if (config.rpc.listen_addr !== null) {
      const { host, port } = parsePoint(config.rpc.listen_addr)
      rpc = await startRpcServer({ p2p, gossip, metrics, startedAt, host, port, logger })
    }
  } catch (err) {
    gossip.stop()
    await p2p.stop()
    throw err
  }
  logger.info(
    {
      peer_id: p2p.peerId,
      net_addr: `${config.p2p.listen_addr.replace(/:\d+$/, '')}:${p2p.port}`,
      rpc: rpc?.url,
      data_dir: config.data_dir,
    },
    'node running',
  )
  let stopping: Promise<void> | undefined
  return {
    p2p,
    peerId: p2p.peerId,
    netPort: p2p.port,
    rpcUrl: rpc?.url,
    gossip,
    metrics,
    stop() {
      stopping ??= (async () => {
        logger.info({ connections: p2p.connections().length }, 'stopping: Disconnect to every peer')
        gossip.stop()
        await rpc?.close()
        await p2p.stop()
        await gossip.ended()
        metrics.close()
        logger.info({}, 'stopped, state saved')
      })()
      return stopping
    },
  }
}
