// A running dune-node: identity (generated on first run), the P2p layer with the demo gossip,
// the admin RPC and metrics, logs of the node's events, and a stop that saves the state.
import { mkdir } from 'node:fs/promises'
import { pino } from 'pino'
import type { GreylistEvent } from '../acl/index.js'
import {
  IdentityFileError,
  identityFilePath,
  readIdentityFile,
  writeIdentityFile,
} from '../crypto/identity-file.js'
import {
  checkProofOfWork,
  generateIdentity,
  generateIdentityInline,
  type Identity,
  peerIdToB58,
} from '../crypto/index.js'
import { createP2p, type P2p } from '../p2p.js'
import type { P2pConfigInput } from '../pool/index.js'
import { parseDiscoveryAddress } from '../pool/point-address.js'
import type { Resolver } from '../pool/resolver.js'
import { cookiePath, newRpcToken, removeCookie, writeCookie } from '../rpc/cookie.js'
import { NodeMetrics } from '../rpc/metrics.js'
import { type RpcServer, type RpcServerOptions, startRpcServer } from '../rpc/server.js'
import { type GossipMessage, GossipService, gossipMessages } from '../shell/gossip.js'
import { describeCloseReason } from '../socket/index.js'
import { type Metadata, parsePoint } from '../wire/index.js'
import { type NodeConfig, NodeConfigError } from './node-config.js'

/** Up to this many bits, a fresh identity's stamp is searched on this thread (no workers to start). */
const INLINE_POW_BITS = 14

export interface DuneNodeOptions {
  /** Where the node logs (default: silent). */
  readonly logger?: pino.Logger
  /** Called with the layer before it starts, to subscribe to its first events. */
  readonly beforeStart?: (p2p: P2p<GossipMessage, null, Metadata>, gossip: GossipService) => void
  /** Resolves the DNS names of points (default: the system's resolver); tests inject theirs. */
  readonly resolver?: Resolver
}

export interface DuneNode {
  readonly p2p: P2p<GossipMessage, null, Metadata>
  readonly peerId: string
  /** The P2P listening port. */
  readonly netPort: number | undefined
  /** e.g. 'http://127.0.0.1:8732' (no trailing slash); undefined without an RPC server. */
  readonly rpcUrl: string | undefined
  /** The RPC's token (also in DATA_DIR/rpc.cookie while the node runs); undefined without an RPC server. */
  readonly rpcToken: string | undefined
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

/** The most whole bits of proof of work the identity's stamp meets (0 to 256). */
export function identityPowBits(identity: Identity): number {
  let lo = 0
  let hi = 256
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if (checkProofOfWork(identity.publicKey, identity.proofOfWorkStamp, mid)) lo = mid
    else hi = mid - 1
  }
  return lo
}

/** Warns, in one line, when our identity is below what we expect of peers: they will refuse it. */
export function warnIfWeakIdentity(
  identity: Identity,
  expected: number,
  dataDir: string,
  logger: pino.Logger,
): void {
  if (checkProofOfWork(identity.publicKey, identity.proofOfWorkStamp, expected)) return
  const bits = identityPowBits(identity)
  logger.warn(
    { path: identityFilePath(dataDir), pow_bits: bits, expected_proof_of_work: expected },
    `the identity has ${bits} bits of proof of work, below p2p.expected_proof_of_work (${expected}): ` +
      `peers expecting ${expected} bits will refuse it and greylist its address; fix: ` +
      `\`dune-node identity generate --data-dir ${dataDir} --force --pow ${expected}\` (a new peer id), ` +
      `or run every node of this network with --expected-pow ${bits}`,
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
    bootstrapPeers: p.bootstrap_peers,
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
    ...optional('advertisedPort', p.advertised_net_port),
    ...(p.discovery_addr === null
      ? {}
      : {
          localDiscovery: { ...parseDiscoveryAddress(p.discovery_addr), trusted: p.trust_discovered_peers },
        }),
    ...optional('score', p.score),
    ...optional('slots', p.slots),
    ...optional('admission', p.admission),
    ...optional('eviction', p.eviction),
    ...optional('discovery', p.discovery),
    incomingQueueBytes: p.incoming_queue_bytes,
    outgoingQueueBytes: p.outgoing_queue_bytes,
    applicationQueueBytes: p.application_queue_bytes,
    memoryBudgetBytes: p.memory_budget_bytes,
    writeStallTimeoutMs: p.write_stall_timeout_ms,
    violationBudget: p.violation_budget,
    violationsForgivenPerSecond: p.violations_forgiven_per_second,
  }
}

/** A greylisting as one sentence: what, why, for how long, and the command that lifts it. */
export function greylistedMessage(e: GreylistEvent): string {
  const what = e.kind === 'ip' ? `IP ${e.ip}` : e.kind === 'point' ? `point ${e.point}` : `peer ${e.peerId}`
  const refused = e.kind === 'ip' ? 'every connection from it is refused' : 'it is refused'
  return `greylisted ${what} (${e.reason}) until ${new Date(e.until).toISOString()}: ${refused}; \`dune-admin-client flush greylist\` lifts it`
}

/** The point listened on, as logged ("0.0.0.0:9732", "[::]:9732"). */
function listenPointOf(host: string | undefined, port: number | undefined): string | undefined {
  if (host === undefined || port === undefined) return undefined
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** Logs the layer's events: connections at info, the rest at debug or warn. */
export function logP2pEvents<A>(p2p: P2p<A, null, Metadata>, logger: pino.Logger): void {
  p2p.on('connection', (e) =>
    logger.info({ peer_id: e.peerId, point: e.point, incoming: e.incoming }, 'connection established'),
  )
  p2p.on('disconnection', (e) =>
    logger.info({ peer_id: e.peerId, reason: describeCloseReason(e.reason) }, 'connection closed'),
  )
  p2p.on('greylisted', (e) => logger.warn({ ...e }, greylistedMessage(e)))
  p2p.on('handshake-failed', (e) =>
    logger.debug(
      { remote_addr: e.remoteAddress, incoming: e.incoming, error: e.error.message },
      'handshake failed',
    ),
  )
  p2p.on('refused', (e) => logger.debug({ remote_addr: e.remoteAddress, reason: e.reason }, 'refused'))
  p2p.on('resolve-failed', (e) =>
    logger.warn(
      { point: e.point, error: e.error.message },
      'point name did not resolve; retried after a backoff',
    ),
  )
  p2p.on('unexpected-peer', (e) =>
    logger.warn(
      { point: e.point, remote_addr: e.remoteAddress, expected_peer_id: e.expected, peer_id: e.got },
      'unexpected peer id at a pinned point: refused, address greylisted',
    ),
  )
  p2p.on('listen-fallback', (e) =>
    logger.warn(
      { from: e.from, to: e.to, error: e.error.message },
      'no IPv6 on this host: listening on IPv4 (0.0.0.0) only',
    ),
  )
  p2p.on('local-discovery-error', (e) => logger.warn({ error: e.error.message }, 'local discovery'))
  p2p.on('new-point', (e) => {
    if (e.source === 'local-discovery') logger.info({ point: e.point }, 'point found by local discovery')
  })
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

/** The admin RPC of a running node and its cookie (DATA_DIR/rpc.cookie). */
export interface NodeRpc {
  readonly server: RpcServer
  readonly cookie: string
  /** Closes the server, then removes the cookie. */
  close(): Promise<void>
}

/**
 * Starts the admin RPC of `config.rpc` (undefined when `rpc.listen_addr` is null): a fresh token
 * written to the cookie first (a client never finds the server without it), the Host check,
 * ACL and limits of the config. On failure the cookie is removed and the error rethrown.
 */
export async function startNodeRpc(
  config: NodeConfig,
  parts: Pick<RpcServerOptions, 'p2p' | 'gossip' | 'heads' | 'metrics' | 'startedAt' | 'logger'>,
): Promise<NodeRpc | undefined> {
  const r = config.rpc
  if (r.listen_addr === null) return undefined
  const { host, port } = parsePoint(r.listen_addr)
  const cookie = cookiePath(config.data_dir)
  const token = newRpcToken()
  await writeCookie(cookie, token)
  try {
    const server = await startRpcServer({
      ...parts,
      host,
      port,
      token,
      tokenHint: `the token in ${cookie}`,
      allowedHosts: r.allowed_hosts,
      acl: r.acl,
      allowAll: r.allow_all,
      limits: {
        maxConnections: r.max_connections,
        maxLogSubscribers: r.max_log_subscribers,
        logBufferBytes: r.log_buffer_bytes,
        requestTimeoutMs: r.request_timeout_ms,
      },
    })
    return {
      server,
      cookie,
      async close() {
        await server.close()
        await removeCookie(cookie, token)
      },
    }
  } catch (err) {
    await removeCookie(cookie, token)
    throw err
  }
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
  const identity = await identityOf(config.data_dir, config.p2p.expected_proof_of_work, logger)
  warnIfWeakIdentity(identity, config.p2p.expected_proof_of_work, config.data_dir, logger)
  const p2p = await createP2p(p2pConfigOf(config, identity), {
    messages: gossipMessages,
    logger,
    resolver: options.resolver,
  })
  if (p2p.stateLoad?.status === 'corrupt') {
    logger.warn({ moved_to: p2p.stateLoad.movedTo }, 'peers.json was unusable; starting with empty tables')
  }
  const gossip = new GossipService(p2p, {
    relayPerSecond: config.gossip.relay_per_second,
    relayBurst: config.gossip.relay_burst,
  })
  const metrics = new NodeMetrics(p2p, gossip)
  logEvents(p2p, gossip, logger)
  options.beforeStart?.(p2p, gossip)
  const startedAt = Date.now()
  await p2p.start()
  gossip.start(config.gossip.every_seconds)
  let rpc: NodeRpc | undefined
  try {
    rpc = await startNodeRpc(config, { p2p, gossip, metrics, startedAt, logger })
  } catch (err) {
    gossip.stop()
    await p2p.stop()
    throw err
  }
  logger.info(
    {
      peer_id: p2p.peerId,
      net_addr: listenPointOf(p2p.listenHost, p2p.port),
      rpc: rpc?.server.url,
      rpc_cookie: rpc?.cookie,
      data_dir: config.data_dir,
    },
    'node running',
  )
  let stopping: Promise<void> | undefined
  return {
    p2p,
    peerId: p2p.peerId,
    netPort: p2p.port,
    rpcUrl: rpc?.server.url,
    rpcToken: rpc?.server.token,
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
