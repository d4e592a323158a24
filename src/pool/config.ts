// The configuration of a P2p instance: the one zod schema holding every default (Octez's, SPEC 5;
// the node config and the workers take theirs from it) and a validator naming the bad field.
import { z } from 'zod'
import { DEFAULT_GREYLIST_TIMEOUT_MS } from '../acl/access-control.js'
import { parseCidr } from '../acl/ip-address.js'
import { checkIdentity, type Identity } from '../crypto/index.js'
import { DuneP2pError } from '../errors/index.js'
import { DEFAULT_DIAL_TIMEOUT_MS } from '../socket/dial.js'
import { DEFAULT_TCP_KEEPALIVE } from '../socket/keepalive.js'
import { maintenanceBounds } from './connection-bounds.js'
import { DEFAULT_SAVE_DELAY_MS } from './persistence/state-store.js'
import { DEFAULT_DISCOVERY_PORT, pointAddressError } from './point-address.js'

/** A config field is missing or out of range; `field` is its dotted path (code `DUNE_CONFIG`). */
export class P2pConfigError extends DuneP2pError {
  readonly field: string

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super('DUNE_CONFIG', `config field ${field}: ${message}`, options)
    this.field = field
  }
}

const MIB = 1024 * 1024
/** Per connection, each way: Bitcoin Core's -maxsendbuffer is 1000 kB (its -maxreceivebuffer 5000 kB). */
export const DEFAULT_INCOMING_QUEUE_BYTES = MIB
export const DEFAULT_OUTGOING_QUEUE_BYTES = MIB
/** The application queue, shared by every connection. */
export const DEFAULT_APPLICATION_QUEUE_BYTES = 4 * MIB
/** The whole layer's queues: fits a small machine (go-libp2p's resource manager scales from 128 MiB). */
export const DEFAULT_MEMORY_BUDGET_BYTES = 64 * MIB
/** Bitcoin Core closes after 20 min without send progress; a queue full for 30 s is a peer that stopped reading. */
export const DEFAULT_WRITE_STALL_TIMEOUT_MS = 30_000

const count = z.int().min(0)
const positive = z.int().min(1)
const ms = z.int().min(1)
const port = z.int().min(0).max(0xffff)
const version = z.int().min(0).max(0xffff)
/** A point an operator gives: IP or DNS name, and a port, optionally "#PEER_ID" (see parsePointAddress). */
const point = z.string().check((ctx) => {
  const problem = pointAddressError(ctx.value)
  if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value })
})
const bytesPerSecond = z.number().positive().finite()

/** When a known point may be dialed again (SPEC 5: 1 s, ×1.2 per failure in a row; 60 s after a disconnection). */
export const backoffSchema = z.strictObject({
  /** Wait after the first failure, ms. */
  firstRetryMs: z.int().min(0).default(1000),
  /** Each further failure in a row multiplies the wait by this, >= 1. */
  retryFactor: z.number().min(1).finite().default(1.2),
  /** The wait never exceeds this, ms (5 min). */
  maxRetryMs: z.int().min(0).default(300_000),
  /** Wait after a normal disconnection, ms. */
  afterDisconnectMs: z.int().min(0).default(60_000),
})

/** The reconnection backoff, resolved (see nextAttemptAt). */
export type BackoffConfig = z.output<typeof backoffSchema>

/** The reconnection backoff with its defaults. */
export const DEFAULT_BACKOFF: BackoffConfig = Object.freeze(backoffSchema.parse({}))

/** The maintenance worker's settings (its bounds come from min/expected/max connections). */
export const maintenanceSchema = z.strictObject({
  /** Run the worker from start() to stop(); off: steps run only when asked (maintain()). */
  enabled: z.boolean().default(true),
  /** Pause after a step before the next timed one. */
  periodMs: ms.default(120_000),
  /** How long a step waits for a new peer or point after sending Bootstrap. */
  bootstrapWaitMs: z.int().min(0).default(5000),
  /** Bootstrap-and-wait rounds in one step before giving up until the next trigger. */
  bootstrapRounds: count.default(6),
  /** Dials in progress at once. */
  maxParallelDials: positive.default(8),
  /** The best-scored connections never dropped for being too many. */
  protectedBest: count.default(4),
  /** How strongly the connections dropped are the lowest-scored: 1 always the lowest, less adds randomness (see chooseVictims). */
  lowestScoreBias: z.number().gt(0).max(1).default(0.5),
  /** When a known point may be dialed again (defaults: 1 s ×1.2 per failure, at most 5 min; 60 s after a disconnection). */
  backoff: backoffSchema.prefault({}),
})

/** The maintenance settings, resolved (P2pConfig['maintenance']). */
export type MaintenanceSettings = z.output<typeof maintenanceSchema>

/** Dead-peer detection on every P2P socket, Octez's values (p2p_fd.ml, 2025); 0 turns an option off. */
export const tcpKeepaliveSchema = z.strictObject({
  /** TCP_USER_TIMEOUT: sent data or probes unacknowledged this long close the socket (ETIMEDOUT). */
  userTimeoutMs: z.int().min(0).max(0x7fffffff).default(DEFAULT_TCP_KEEPALIVE.userTimeoutMs),
  /** TCP_KEEPIDLE: idle time before the first keepalive probe; 0: no keepalive. */
  keepAliveIdleMs: z.int().min(0).max(32_767_000).default(DEFAULT_TCP_KEEPALIVE.keepAliveIdleMs),
  /** TCP_KEEPINTVL: time between unanswered probes (whole seconds, at least 1 s). */
  keepAliveIntervalMs: z.int().min(0).max(32_767_000).default(DEFAULT_TCP_KEEPALIVE.keepAliveIntervalMs),
})

/** One score counter: contribution = weight · min(counter, cap); the counter halves every halfLifeMs. */
const scoreComponent = (weight: number, halfLifeMs: number, cap: number) =>
  z
    .strictObject({
      weight: z
        .number()
        .finite()
        .default(weight)
        .describe(`score points per unit of the counter (default ${weight}; negative: a penalty)`),
      halfLifeMs: ms
        .default(halfLifeMs)
        .describe(
          `milliseconds for the counter to halve (default ${halfLifeMs}, ${halfLifeMs / 60_000} min)`,
        ),
      cap: z
        .number()
        .positive()
        .default(cap)
        .describe(`the counter counts up to this, no further (default ${cap})`),
    })
    .prefault({})

const HOUR_MS = 3_600_000

/** Peer scores: decaying behaviour counters plus the application's score (see PeerScores). */
export const scoreSchema = z.strictObject({
  /** Seconds connected: +1 per 10 min up to +3.6. */
  uptime: scoreComponent(0.001, HOUR_MS, 3600).describe(
    'seconds connected (decaying): +0.001 a second, at most +3.6',
  ),
  /** Useful messages delivered first (p2p.reportUseful): +0.05 each, up to +5. */
  useful: scoreComponent(0.05, 600_000, 100).describe(
    'useful messages delivered first (p2p.reportUseful): +0.05 each, at most +5',
  ),
  /** Invalid messages (p2p.reportInvalid, wire decoding errors). */
  invalid: scoreComponent(-2, HOUR_MS, 1000).describe(
    'invalid messages (p2p.reportInvalid, wire decoding errors): -2 each',
  ),
  /** Messages over their size bound. */
  oversized: scoreComponent(-5, HOUR_MS, 1000).describe('messages over their size bound: -5 each'),
  /** Protocol violations: MAC errors, unrequested or malformed swap messages. */
  violation: scoreComponent(-5, HOUR_MS, 1000).describe(
    'protocol violations (MAC errors, unrequested or malformed swaps): -5 each',
  ),
  /** Failed handshakes once the peer id was known. */
  handshakeFailure: scoreComponent(-2, HOUR_MS, 1000).describe(
    'failed handshakes once the peer id was known: -2 each',
  ),
  /** How long a disconnected peer's counters are kept. */
  retainMs: ms
    .default(HOUR_MS)
    .describe("milliseconds a disconnected peer's counters are kept (default 3600000, 1 h)"),
  /** Below this total a peer is disconnected, greylisted and refused (trusted peers excepted). */
  disconnectBelow: z
    .number()
    .finite()
    .default(-20)
    .describe(
      'below this total score a peer is disconnected, greylisted and refused (default -20; trusted peers excepted)',
    ),
  /** Score records kept at most (connected peers are never dropped). */
  maxRecords: positive
    .default(4096)
    .describe('score records kept at most, connected peers never dropped (default 4096 peers)'),
})

/** Connection slots by direction. */
export const slotsSchema = z.strictObject({
  /** Established inbound connections at most (default: the ceiling minus the reserved outbound slots). */
  maxInbound: count
    .optional()
    .describe(
      'established inbound connections at most (default: the ceiling minus the reserved outbound slots)',
    ),
  /** Slots only outbound connections may take: min(minOutbound, ceiling / 4). */
  minOutbound: count
    .default(8)
    .describe(
      'slots only outbound connections may take, at most a quarter of the ceiling (default 8 connections)',
    ),
})

/** A level of per-address limits (see AdmissionLimiter). */
const addressLimit = (ipv4Bits: number, ipv6Bits: number, maxConnections: number, newPerMinute: number) =>
  z
    .strictObject({
      ipv4Bits: z
        .int()
        .min(0)
        .max(32)
        .default(ipv4Bits)
        .describe(`IPv4 addresses sharing this many leading bits count as one (default /${ipv4Bits})`),
      ipv6Bits: z
        .int()
        .min(0)
        .max(128)
        .default(ipv6Bits)
        .describe(`IPv6 addresses sharing this many leading bits count as one (default /${ipv6Bits})`),
      maxConnections: positive
        .default(maxConnections)
        .describe(`connections at once from one of them (default ${maxConnections})`),
      newPerMinute: z
        .number()
        .positive()
        .finite()
        .default(newPerMinute)
        .describe(`new connections a minute from one of them (default ${newPerMinute}; a token bucket)`),
    })
    .prefault({})

const cidr = z.string().check((ctx) => {
  try {
    parseCidr(ctx.value)
  } catch (err) {
    ctx.issues.push({ code: 'custom', message: (err as Error).message, input: ctx.value })
  }
})

/** What an incoming socket must pass before a byte is read. */
export const admissionSchema = z.strictObject({
  /** Per host: IPv4 /32, IPv6 /56. */
  perAddress: addressLimit(32, 56, 4, 20).describe(
    'limits per host (IPv4 /32, IPv6 /56): 4 at once, 20 new a minute',
  ),
  /** Per network: IPv4 /16, IPv6 /48. */
  perSubnet: addressLimit(16, 48, 16, 60).describe(
    'limits per network (IPv4 /16, IPv6 /48): 16 at once, 60 new a minute',
  ),
  /** Subnets spared by both limits (default loopback: the operator's own machine). */
  exempt: z
    .array(cidr)
    .default(['127.0.0.0/8', '::1/128'])
    .describe(
      'subnets (CIDR) spared by both limits; their misbehaving peers greylist their point and peer id, not the IP (default loopback: 127.0.0.0/8, ::1/128)',
    ),
  /** Handshakes in progress at once, both directions (default 2·maxIncomingConnections + maintenance.maxParallelDials). */
  maxHandshakesInFlight: positive
    .optional()
    .describe(
      'handshakes in progress at once, both directions (default 2 x max_incoming_connections + maintenance dials: 48)',
    ),
  /**
   * Incoming handshakes in progress one subnet (IPv4 /16, IPv6 /32; loopback included) may hold
   * at once (default maxIncomingConnections / 5, at least 1: five subnets to fill the table).
   */
  handshakesPerSubnet: positive
    .optional()
    .describe(
      'incoming handshakes in progress one subnet (IPv4 /16, IPv6 /32, loopback included) may hold at once (default max_incoming_connections / 5, at least 1: 4)',
    ),
  /**
   * An incoming peer's connection message must arrive within this many ms of its connect (an
   * honest peer sends it at once); the rest of the handshake is bounded by authenticationTimeoutMs.
   */
  connectionMessageTimeoutMs: ms
    .default(2000)
    .describe(
      'milliseconds an incoming peer has, from its connect, to send its connection message (default 2000; the rest of the handshake has authentication_timeout)',
    ),
})

/** What peers may teach the node (see LearnableAddresses and docs/SECURITY.md). */
export const discoverySchema = z.strictObject({
  /**
   * Non-routable ranges (CIDR) whose points may be learnt from peers, e.g. "10.0.0.0/8" for a
   * private network. Routable addresses and the special range of the node's own listening
   * address are always learnable; everything else (loopback, private, link-local, multicast,
   * 0.0.0.0, documentation ...) is refused.
   */
  allowRanges: z
    .array(cidr)
    .default([])
    .describe(
      'non-routable ranges (CIDR, e.g. "10.0.0.0/8") whose points may be learnt from peers; routable addresses and the range the node listens on always are (default [])',
    ),
})

/** Which inbound connection a newcomer may replace when the inbound slots are full (see selectToEvict). */
export const evictionSchema = z.strictObject({
  /** New connections are neither evicted nor trimmed for this long. */
  graceMs: z
    .int()
    .min(0)
    .default(60_000)
    .describe('milliseconds a new connection is neither evicted nor trimmed (default 60000, 1 min)'),
  protectGroups: count
    .default(4)
    .describe(
      'network groups (picked by a secret keyed hash) whose longest-connected peer is spared (default 4 groups)',
    ),
  protectLowLatency: count.default(8).describe('lowest-latency peers spared (default 8 peers)'),
  protectRecentUseful: count
    .default(4)
    .describe('peers that most recently delivered useful messages, spared (default 4 peers)'),
  protectLongestShare: z
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe('share of the remaining peers, longest connected first, spared (default 0.5: half)'),
})

/** Local peer discovery: where our datagrams go, the port heard on, and whether the points heard are trusted. */
export const localDiscoverySchema = z.strictObject({
  /** The IPv4 (broadcast) address datagrams are sent to. */
  address: z.ipv4(),
  /** The UDP port datagrams are sent to and heard on. */
  port: z.int().min(1).max(0xffff).default(DEFAULT_DISCOVERY_PORT),
  /** Register the points heard as trusted (Octez's trust_discovered_peers). */
  trusted: z.boolean().default(false),
})

/** Local discovery's settings, resolved (P2pConfig['localDiscovery'] when set). */
export type LocalDiscoveryConfig = z.output<typeof localDiscoverySchema>

/** A table bound: GC runs when the table holds more than `max`, down to `target` entries. */
const tableBound = z
  .strictObject({ max: positive, target: count })
  .refine((b) => b.target <= b.max, { message: 'target must not exceed max' })

const identity = z.custom<Identity>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    ['peerId', 'publicKey', 'secretKey', 'proofOfWorkStamp'].every((k) =>
      Buffer.isBuffer((v as Record<string, unknown>)[k]),
    ),
  { message: 'expected an Identity (peerId, publicKey, secretKey, proofOfWorkStamp as Buffers)' },
)

/** The library config's fields, each with its default (the node config reuses them). */
export const p2pConfigFields = {
  /** The node's keys and proof-of-work stamp. */
  identity,
  /** Address to listen on; with `listen: false` nothing is listened on. */
  listenHost: z.string().min(1).default('0.0.0.0'),
  /** Port to listen on; 0 picks a free port (tests). */
  listenPort: port.default(9732),
  listen: z.boolean().default(true),
  /** Port announced in the connection message (NAT, port mapping); default: the port actually listened on. */
  advertisedPort: port.optional(),
  /**
   * Local peer discovery (Octez's p2p_discovery; off when unset): UDP datagrams with our peer
   * id and listening port sent to `address:port` (a broadcast address), and those heard on
   * `port` registered as points (as trusted with `trusted`).
   */
  localDiscovery: localDiscoverySchema.optional(),
  /** Local address outgoing connections are bound to (e.g. 127.0.0.5 in tests). */
  localAddress: z.string().min(1).optional(),
  /** Folder holding peers.json; unset: nothing is saved. */
  dataDir: z.string().min(1).optional(),
  chainName: z.string().min(1).max(128),
  distributedDbVersions: z.array(version).min(1).default([0]),
  p2pVersions: z.array(version).min(1).default([0, 1]),
  /** Proof-of-work bits demanded of peers (Octez: 26). */
  expectedProofOfWork: z.number().min(0).max(256).default(26),
  /** Talk only to trusted peers and points; peers are told not to advertise us. */
  privateMode: z.boolean().default(false),
  /** Points trusted from the start (kept, never greylisted); "HOST:PORT", a DNS name or an IP, "#PEER_ID" pins. */
  trustedPoints: z.array(point).default([]),
  /** Points known from the start, for the maintenance worker to dial; as trustedPoints. */
  bootstrapPeers: z.array(point).default([]),
  minConnections: count.default(10),
  expectedConnections: count.default(50),
  maxConnections: positive.default(100),
  /**
   * Octez's `--connections N`: min, expected and max connections default to N/2, N, 3N/2 and
   * the known point and peer tables to 8N (GC down to 7N); fields set explicitly win.
   */
  connections: positive.optional(),
  maintenance: maintenanceSchema.prefault({}),
  /** Incoming handshakes in progress at once. */
  maxIncomingConnections: positive.default(20),
  /** Refuse new connections from this active count on (default: max_threshold with maintenance, else maxConnections). */
  maxThreshold: positive.optional(),
  backlog: positive.default(20),
  connectionTimeoutMs: ms.default(DEFAULT_DIAL_TIMEOUT_MS),
  authenticationTimeoutMs: ms.default(5_000),
  greylistTimeoutMs: ms.default(DEFAULT_GREYLIST_TIMEOUT_MS),
  swapLingerMs: z.int().min(0).default(30_000),
  maxKnownPoints: tableBound.default({ max: 400, target: 300 }),
  maxKnownPeerIds: tableBound.default({ max: 400, target: 300 }),
  // ---- Memory bounds (docs/SECURITY.md, "Memory"): no peer can lift them ----
  /** Bytes of received messages queued per connection; when full the socket is not read (TCP slows the peer). */
  incomingQueueBytes: positive.default(DEFAULT_INCOMING_QUEUE_BYTES),
  /** Bytes of messages waiting to be sent per connection (Bitcoin Core's -maxsendbuffer: 1000 kB); when full `trySend` fails. */
  outgoingQueueBytes: positive.default(DEFAULT_OUTGOING_QUEUE_BYTES),
  /** Bytes of application messages waiting for the application, all peers together; when full the connections stop being read. */
  applicationQueueBytes: positive.default(DEFAULT_APPLICATION_QUEUE_BYTES),
  /**
   * Bytes queued by the whole layer (every connection's queues and unsent socket bytes, and the
   * application queue); past it, the connection holding the most is dropped (`memory_budget`).
   */
  memoryBudgetBytes: positive.default(DEFAULT_MEMORY_BUDGET_BYTES),
  /** A connection whose outgoing queue stays full, nothing leaving it, this long is closed (`write_stall`). */
  writeStallTimeoutMs: ms.default(DEFAULT_WRITE_STALL_TIMEOUT_MS),
  /**
   * Protocol violations a connection may commit (empty chunks, Bootstrap/Advertise/Swap within
   * their cooldown) before it is closed (`flood`) and greylisted; `violationsForgivenPerSecond` are forgiven each second.
   */
  violationBudget: positive.default(100),
  violationsForgivenPerSecond: z.number().min(0).finite().default(1),
  /** Global bandwidth limits in bytes/s; unset: unlimited. */
  maxUploadSpeed: bytesPerSecond.optional(),
  maxDownloadSpeed: bytesPerSecond.optional(),
  /**
   * read_buffer_size: bytes per socket read, into one buffer shared by every connection
   * (default 256 KiB; 16 KiB, as Octez, with a download limit).
   */
  readBufferSize: positive.optional(),
  /** TCP keepalive and TCP_USER_TIMEOUT on every P2P socket, so that a vanished peer is noticed in about 45 s. */
  tcpKeepalive: tcpKeepaliveSchema.prefault({}),
  /** How long peers.json writes are coalesced. */
  saveDelayMs: z.int().min(0).default(DEFAULT_SAVE_DELAY_MS),
  score: scoreSchema.prefault({}),
  slots: slotsSchema.prefault({}),
  admission: admissionSchema.prefault({}),
  eviction: evictionSchema.prefault({}),
  discovery: discoverySchema.prefault({}),
}

const configSchema = z.strictObject(p2pConfigFields).superRefine((c, ctx) => {
  if (!(c.minConnections <= c.expectedConnections && c.expectedConnections <= c.maxConnections)) {
    ctx.addIssue({
      code: 'custom',
      path: ['expectedConnections'],
      message: `need minConnections <= expectedConnections <= maxConnections (${c.minConnections}, ${c.expectedConnections}, ${c.maxConnections})`,
    })
  }
  if (c.maxThreshold !== undefined && c.maxThreshold > c.maxConnections) {
    ctx.addIssue({ code: 'custom', path: ['maxThreshold'], message: 'must not exceed maxConnections' })
  }
  const problems = checkIdentity(c.identity, c.expectedProofOfWork).filter(
    (p) => p.kind !== 'insufficient_pow',
  )
  if (problems.length > 0) {
    ctx.addIssue({ code: 'custom', path: ['identity'], message: problems.map((p) => p.message).join('; ') })
  }
})

/** The default of a library config field (the one place it is written is its schema). */
export function p2pConfigDefault<K extends keyof typeof p2pConfigFields>(
  field: K,
): z.output<(typeof p2pConfigFields)[K]> {
  const schema = p2pConfigFields[field] as z.ZodType
  if (!(schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault))
    throw new TypeError(`config field ${field} has no default`)
  return schema.parse(undefined) as never
}

/** What callers write: only `identity` and `chainName` are required. */
export type P2pConfigInput = z.input<typeof configSchema>
/** The checked config with every default filled in. */
export type P2pConfig = z.output<typeof configSchema>

/** Fills in the fields that `connections: N` sets (those not given explicitly). */
function withConnections(input: unknown): unknown {
  if (typeof input !== 'object' || input === null) return input
  const n = (input as { connections?: unknown }).connections
  if (!(Number.isInteger(n) && (n as number) >= 1)) return input
  const c = n as number
  return {
    minConnections: Math.floor(c / 2),
    expectedConnections: c,
    maxConnections: Math.floor((3 * c) / 2),
    maxKnownPoints: { max: 8 * c, target: 7 * c },
    maxKnownPeerIds: { max: 8 * c, target: 7 * c },
    ...input,
  }
}

/** Checks `input` and fills in the defaults; throws P2pConfigError naming the first bad field. */
export function parseP2pConfig(input: unknown): P2pConfig {
  const result = configSchema.safeParse(withConnections(input))
  if (result.success) return result.data
  const [issue] = result.error.issues
  if (issue === undefined) throw result.error // a failed parse reports at least one issue
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, ...issue.keys.slice(0, 1)] : issue.path
  const field = path.length === 0 ? '(top)' : path.join('.')
  const message = issue.code === 'unrecognized_keys' ? 'unknown setting' : issue.message
  throw new P2pConfigError(field, message, { cause: result.error })
}

/**
 * The active count from which new connections are refused with too_many_connections: SPEC 5,
 * with maintenance on, max_threshold of its bounds (`maxThreshold` overrides); else maxConnections.
 */
export function connectionCeiling(config: P2pConfig): number {
  if (config.maxThreshold !== undefined) return config.maxThreshold
  if (!config.maintenance.enabled) return config.maxConnections
  return maintenanceBounds(config.minConnections, config.expectedConnections, config.maxConnections)
    .maxThreshold
}

/** The slots in effect: the ceiling, the outbound slots inbound peers never take, the inbound maximum. */
export interface SlotLimits {
  /** Connections at most, both directions (connectionCeiling). */
  readonly ceiling: number
  /** Outbound slots reserved: min(slots.minOutbound, ceiling / 4). */
  readonly minOutbound: number
  /** Inbound connections at most: min(slots.maxInbound, ceiling − minOutbound). */
  readonly maxInbound: number
}

export function slotLimits(config: P2pConfig): SlotLimits {
  const ceiling = connectionCeiling(config)
  const minOutbound = Math.min(config.slots.minOutbound, Math.floor(ceiling / 4))
  const maxInbound = Math.min(config.slots.maxInbound ?? ceiling, ceiling - minOutbound)
  return { ceiling, minOutbound, maxInbound }
}

/** Incoming handshakes in progress at once (the handshake table): maxIncomingConnections, within the cap. */
export function handshakeTableCapacity(config: P2pConfig): number {
  return Math.min(config.maxIncomingConnections, handshakeCap(config))
}

/** Incoming handshakes in progress one subnet may hold at once. */
export function handshakesPerSubnet(config: P2pConfig): number {
  return config.admission.handshakesPerSubnet ?? Math.max(1, Math.floor(handshakeTableCapacity(config) / 5))
}

/** Handshakes in progress at once, both directions. */
export function handshakeCap(config: P2pConfig): number {
  return (
    config.admission.maxHandshakesInFlight ??
    2 * config.maxIncomingConnections + config.maintenance.maxParallelDials
  )
}
