// The configuration of a P2p instance: a zod schema with Octez's defaults (SPEC 5) and a
// validator whose errors name the offending field.
import { z } from 'zod'
import { parseCidr } from '../acl/ip-address.js'
import { checkIdentity, type Identity } from '../crypto/index.js'
import { DuneP2pError } from '../errors.js'
import { maintenanceBounds } from '../workers/maintenance-policy.js'
import { DEFAULT_DISCOVERY_PORT, pointAddressError } from './point-address.js'

/** A config field is missing or out of range; `field` is its dotted path (code `DUNE_CONFIG`). */
export class P2pConfigError extends DuneP2pError {
  readonly field: string

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super('DUNE_CONFIG', `config field ${field}: ${message}`, options)
    this.field = field
  }
}

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

/** The maintenance worker's settings (its bounds come from min/expected/max connections). */
const maintenanceSchema = z.strictObject({
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
  /** When a known point may be dialed again (defaults: 1 s ×1.2 per failure, at most 5 min; 60 s after a disconnection). */
  backoff: z
    .strictObject({
      firstRetryMs: z.int().min(0).optional(),
      retryFactor: z.number().min(1).finite().optional(),
      maxRetryMs: z.int().min(0).optional(),
      afterDisconnectMs: z.int().min(0).optional(),
    })
    .optional(),
})

/** One score counter: contribution = weight · min(counter, cap); the counter halves every halfLifeMs. */
const scoreComponent = (weight: number, halfLifeMs: number, cap: number) =>
  z
    .strictObject({
      weight: z.number().finite().default(weight),
      halfLifeMs: ms.default(halfLifeMs),
      cap: z.number().positive().default(cap),
    })
    .prefault({})

const HOUR_MS = 3_600_000

/** Peer scores: decaying behaviour counters plus the application's score (see PeerScores). */
export const scoreSchema = z.strictObject({
  /** Seconds connected: +1 per 10 min up to +3.6. */
  uptime: scoreComponent(0.001, HOUR_MS, 3600),
  /** Useful messages delivered first (p2p.reportUseful): +0.05 each, up to +5. */
  useful: scoreComponent(0.05, 600_000, 100),
  /** Invalid messages (p2p.reportInvalid, wire decoding errors). */
  invalid: scoreComponent(-2, HOUR_MS, 1000),
  /** Messages over their size bound. */
  oversized: scoreComponent(-5, HOUR_MS, 1000),
  /** Protocol violations: MAC errors, unrequested or malformed swap messages. */
  violation: scoreComponent(-5, HOUR_MS, 1000),
  /** Failed handshakes once the peer id was known. */
  handshakeFailure: scoreComponent(-2, HOUR_MS, 1000),
  /** How long a disconnected peer's counters are kept. */
  retainMs: ms.default(HOUR_MS),
  /** Below this total a peer is disconnected, greylisted and refused (trusted peers excepted). */
  disconnectBelow: z.number().finite().default(-20),
  /** Score records kept at most (connected peers are never dropped). */
  maxRecords: positive.default(4096),
})

/** Connection slots by direction. */
export const slotsSchema = z.strictObject({
  /** Established inbound connections at most (default: the ceiling minus the reserved outbound slots). */
  maxInbound: count.optional(),
  /** Slots only outbound connections may take: min(minOutbound, ceiling / 4). */
  minOutbound: count.default(8),
})

/** A level of per-address limits (see AdmissionLimiter). */
const addressLimit = (ipv4Bits: number, ipv6Bits: number, maxConnections: number, newPerMinute: number) =>
  z
    .strictObject({
      ipv4Bits: z.int().min(0).max(32).default(ipv4Bits),
      ipv6Bits: z.int().min(0).max(128).default(ipv6Bits),
      maxConnections: positive.default(maxConnections),
      newPerMinute: z.number().positive().finite().default(newPerMinute),
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
  perAddress: addressLimit(32, 56, 4, 20),
  /** Per network: IPv4 /16, IPv6 /48. */
  perSubnet: addressLimit(16, 48, 16, 60),
  /** Subnets spared by both limits (default loopback: the operator's own machine). */
  exempt: z.array(cidr).default(['127.0.0.0/8', '::1/128']),
  /** Handshakes in progress at once, both directions (default 2·maxIncomingConnections + maintenance.maxParallelDials). */
  maxHandshakesInFlight: positive.optional(),
})

/** Which inbound connection a newcomer may replace when the inbound slots are full (see selectToEvict). */
export const evictionSchema = z.strictObject({
  /** New connections are neither evicted nor trimmed for this long. */
  graceMs: z.int().min(0).default(60_000),
  protectGroups: count.default(4),
  protectLowLatency: count.default(8),
  protectRecentUseful: count.default(4),
  protectLongestShare: z.number().min(0).max(1).default(0.5),
})

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

const configSchema = z
  .strictObject({
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
    localDiscovery: z
      .strictObject({
        address: z.ipv4(),
        port: z.int().min(1).max(0xffff).default(DEFAULT_DISCOVERY_PORT),
        trusted: z.boolean().default(false),
      })
      .optional(),
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
    connectionTimeoutMs: ms.default(10_000),
    authenticationTimeoutMs: ms.default(5_000),
    greylistTimeoutMs: ms.default(86_400_000),
    swapLingerMs: z.int().min(0).default(30_000),
    maxKnownPoints: tableBound.default({ max: 400, target: 300 }),
    maxKnownPeerIds: tableBound.default({ max: 400, target: 300 }),
    /** Byte bounds of each connection's queues and of the application queue; unset: unbounded. */
    incomingQueueBytes: positive.optional(),
    outgoingQueueBytes: positive.optional(),
    applicationQueueBytes: positive.optional(),
    /** Global bandwidth limits in bytes/s; unset: unlimited. */
    maxUploadSpeed: bytesPerSecond.optional(),
    maxDownloadSpeed: bytesPerSecond.optional(),
    /**
     * read_buffer_size: bytes per socket read, into one buffer shared by every connection
     * (default 256 KiB; 16 KiB, as Octez, with a download limit).
     */
    readBufferSize: positive.optional(),
    /** How long peers.json writes are coalesced. */
    saveDelayMs: z.int().min(0).default(1000),
    score: scoreSchema.prefault({}),
    slots: slotsSchema.prefault({}),
    admission: admissionSchema.prefault({}),
    eviction: evictionSchema.prefault({}),
  })
  .superRefine((c, ctx) => {
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
  const issue = result.error.issues[0]!
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path
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

/** Handshakes in progress at once, both directions. */
export function handshakeCap(config: P2pConfig): number {
  return (
    config.admission.maxHandshakesInFlight ??
    2 * config.maxIncomingConnections + config.maintenance.maxParallelDials
  )
}
