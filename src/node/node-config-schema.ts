// The schema of the dune-node config file (DATA_DIR/config.json): its sections and fields with
// their documentation; the P2P fields take their checks and defaults from the library's schema.
import { z } from 'zod'
import {
  admissionSchema,
  discoverySchema,
  evictionSchema,
  p2pConfigFields as library,
  localDiscoverySchema,
  maintenanceSchema,
  p2pConfigDefault,
  scoreSchema,
  slotsSchema,
  tcpKeepaliveSchema,
} from '../pool/config.js'
import { DEFAULT_DISCOVERY_PORT, discoveryAddressError, pointAddressError } from '../pool/point-address.js'
import { DEFAULT_EXPOSED_ALLOW, parseHostHeader, parseRoutePattern } from '../rpc/guard.js'
import { RPC_LIMITS } from '../rpc/limits.js'
import { DEFAULT_RELAY_BURST, DEFAULT_RELAY_PER_SECOND } from '../shell/gossip.js'
import { pointSyntaxError } from '../wire/index.js'
import { NETWORK_NAMES } from './network-presets.js'

/** A host name where an IP address belongs: letters, digits, dots and dashes, not an IP. */
function looksLikeHostName(host: string): boolean {
  return /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?$/.test(host) && /[A-Za-z]/.test(host)
}

/**
 * Why `text` is not `what` (a point, HOST:PORT), for a person; undefined when it is one. Host
 * names get their own answer: only IP addresses are accepted (points carry no names yet).
 */
export function pointProblem(text: string, what = 'a point', example = '192.0.2.7:9732'): string | undefined {
  const problem = pointSyntaxError(text)
  if (problem === undefined) return undefined
  const colon = text.lastIndexOf(':')
  const host = colon > 0 ? text.slice(0, colon) : text
  if (looksLikeHostName(host))
    return `${JSON.stringify(text)} is not ${what}: only IP addresses are accepted (IP:PORT, e.g. ${example})`
  return `${JSON.stringify(text)} is not ${what} (${problem}); write IP:PORT, e.g. ${example} or [2001:db8::7]:9732`
}

/** Why `text` is not a point to dial (IP or DNS name, port, optional #PEER_ID), for a person; undefined when it is one. */
export function dialPointProblem(text: string): string | undefined {
  const problem = pointAddressError(text)
  if (problem === undefined) return undefined
  return `${JSON.stringify(text)} is not a point (${problem}); write HOST:PORT or HOST:PORT#PEER_ID, e.g. "192.0.2.7:9732", "[2001:db8::7]:9732" or "boot.example.net:9732"`
}

/** Why `text` is not where local discovery broadcasts (an IPv4 address, optional port), for a person. */
export function discoveryAddrProblem(text: string): string | undefined {
  const problem = discoveryAddressError(text)
  if (problem === undefined) return undefined
  return `${JSON.stringify(text)} is not ADDR[:PORT] (${problem}); write an IPv4 broadcast address, e.g. "192.168.1.255" or "192.168.1.255:10732"`
}

/** An address to listen on: an IP literal and a port (0: any free port). */
const hostPort = z.string().check((ctx) => {
  const problem = pointProblem(ctx.value, 'HOST:PORT', '127.0.0.1:9732')
  if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value })
})
/** A point to dial: an IP address or a DNS name, a port, and optionally the peer id expected there. */
const point = z.string().check((ctx) => {
  const problem = dialPointProblem(ctx.value)
  if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value })
})
/** Where local discovery broadcasts: an IPv4 address and an optional port. */
const discoveryAddr = z.string().check((ctx) => {
  const problem = discoveryAddrProblem(ctx.value)
  if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value })
})
/** Notes an operator may leave in any section; ignored. */
const comment = z.union([z.string(), z.array(z.string())]).optional()
/** The library's defaults of the connection counts (what min/expected/max connections fall back to). */
const DEFAULT_CONNECTIONS = {
  min: p2pConfigDefault('minConnections'),
  expected: p2pConfigDefault('expectedConnections'),
  max: p2pConfigDefault('maxConnections'),
}
/** A library field that has a default, as an optional node field (the library fills it in). */
const withoutDefault = <T extends z.ZodType>(field: z.ZodDefault<T>): z.ZodOptional<T> =>
  field.unwrap().optional()

const p2pSchema = z.strictObject({
  $comment: comment,
  listen_addr: hostPort
    .default(`${p2pConfigDefault('listenHost')}:${p2pConfigDefault('listenPort')}`)
    .describe('HOST:PORT the P2P layer listens on; port 0 picks a free port'),
  bootstrap_peers: z
    .array(point)
    .default([])
    .describe(
      'points dialed at start and kept for the maintenance worker: IP:PORT, [IPv6]:PORT or NAME:PORT (a DNS name, resolved at each dial, every address tried); "#PEER_ID" after one pins it: another peer answering there is refused and greylisted (default: none; with network, that network\'s bootstrap names)',
    ),
  trusted_points: z
    .array(point)
    .default([])
    .describe(
      'points trusted from the start: kept connected, never greylisted (needed in private mode); written as bootstrap_peers',
    ),
  advertised_net_port: z
    .int()
    .min(1)
    .max(0xffff)
    .optional()
    .describe(
      'the port put in our connection messages, where peers dial us back (behind NAT or a port mapping); default unset: the port listened on',
    ),
  discovery_addr: discoveryAddr
    .nullable()
    .default(null)
    .describe(
      `local peer discovery (Octez): the IPv4 address (a LAN broadcast address) and UDP port (default ${DEFAULT_DISCOVERY_PORT}) to broadcast our peer id and port to, and the port to hear others on; null: off`,
    ),
  trust_discovered_peers: localDiscoverySchema.shape.trusted.describe(
    'register the points local discovery hears as trusted (Octez does in sandbox mode); default false',
  ),
  expected_proof_of_work: library.expectedProofOfWork.describe(
    "proof-of-work bits demanded of peers' identities, and of ours when one is generated",
  ),
  private_mode: library.privateMode.describe(
    'talk only to trusted points and peers; peers are asked not to advertise us',
  ),
  connections: library.connections.describe(
    `as Octez --connections N: min, expected and max connections N/2, N, 3N/2 (fields below win; default unset: ${DEFAULT_CONNECTIONS.min}, ${DEFAULT_CONNECTIONS.expected}, ${DEFAULT_CONNECTIONS.max})`,
  ),
  min_connections: withoutDefault(library.minConnections).describe(
    `below this the maintenance dials (default ${DEFAULT_CONNECTIONS.min})`,
  ),
  expected_connections: withoutDefault(library.expectedConnections).describe(
    `the count maintenance aims at (default ${DEFAULT_CONNECTIONS.expected})`,
  ),
  max_connections: withoutDefault(library.maxConnections).describe(
    `above this maintenance drops connections (default ${DEFAULT_CONNECTIONS.max})`,
  ),
  max_upload_speed: library.maxUploadSpeed.describe(
    'global upload limit in bytes per second (default unset: no limit)',
  ),
  max_download_speed: library.maxDownloadSpeed.describe(
    'global download limit in bytes per second (default unset: no limit)',
  ),
  maintenance_period_ms: maintenanceSchema.shape.periodMs.describe(
    'milliseconds between two timed maintenance steps (default 120000, 2 min)',
  ),
  greylist_timeout_ms: library.greylistTimeoutMs.describe(
    'milliseconds a misbehaving IP, point or peer id stays greylisted (default 86400000, 24 h; `dune-admin-client flush greylist` lifts it)',
  ),
  tcp_user_timeout_ms: tcpKeepaliveSchema.shape.userTimeoutMs.describe(
    'TCP_USER_TIMEOUT of every P2P socket, in milliseconds: a peer that acknowledges nothing this long ' +
      '(power off, cable pulled) is disconnected as a dead peer (default 45000, as Octez; 0: the system default, ~15 min)',
  ),
  tcp_keepalive_idle_ms: tcpKeepaliveSchema.shape.keepAliveIdleMs.describe(
    'TCP keepalive: milliseconds of silence before the first probe, so an idle dead peer is noticed too ' +
      '(default 10000, as Octez; 0: no keepalive)',
  ),
  tcp_keepalive_interval_ms: tcpKeepaliveSchema.shape.keepAliveIntervalMs.describe(
    'TCP keepalive: milliseconds between unanswered probes, whole seconds (default 5000, as Octez)',
  ),
  score: scoreSchema
    .optional()
    .describe('peer score rules, as the library config `score` (camelCase keys; README: scores and slots)'),
  slots: slotsSchema
    .optional()
    .describe('inbound and reserved outbound slots, as the library config `slots`'),
  admission: admissionSchema
    .optional()
    .describe('per-address and per-subnet limits and the handshake cap, as the library config `admission`'),
  eviction: evictionSchema.optional().describe('inbound eviction rules, as the library config `eviction`'),
  discovery: discoverySchema
    .optional()
    .describe(
      'what peers may teach this node, as the library config `discovery`: `allowRanges`, CIDRs of non-routable ranges whose points may be learnt (default none: only routable addresses and the range of listen_addr, e.g. 127.0.0.0/8 for a node on 127.0.0.1; SECURITY.md)',
    ),
  // Memory and flood bounds (docs/SECURITY.md): what no peer can lift.
  incoming_queue_bytes: library.incomingQueueBytes.describe(
    'bytes of received messages queued per connection; when full the socket is not read (default 1 MiB)',
  ),
  outgoing_queue_bytes: library.outgoingQueueBytes.describe(
    'bytes of messages waiting to be sent per connection; when full more are dropped (default 1 MiB)',
  ),
  application_queue_bytes: library.applicationQueueBytes.describe(
    'bytes of received application messages waiting for the node, all peers together (default 4 MiB)',
  ),
  memory_budget_bytes: library.memoryBudgetBytes.describe(
    'bytes queued by the whole P2P layer at most; past it the peer holding the most is dropped (default 64 MiB)',
  ),
  write_stall_timeout_ms: library.writeStallTimeoutMs.describe(
    'milliseconds a peer may leave its full outgoing queue unread before it is disconnected (default 30000)',
  ),
  violation_budget: library.violationBudget.describe(
    'protocol violations (empty chunks, Bootstrap/Advertise/Swap within their cooldown) a connection may commit before it is closed and greylisted',
  ),
  violations_forgiven_per_second: library.violationsForgivenPerSecond.describe(
    'violations forgiven per second on each connection (a slower rate is never punished)',
  ),
})

/** A route pattern of rpc.acl: `[METHOD] /path` with `*` (one segment) and a final `**`. */
const routePattern = z.string().check((ctx) => {
  try {
    parseRoutePattern(ctx.value)
  } catch (err) {
    ctx.issues.push({ code: 'custom', message: (err as Error).message, input: ctx.value })
  }
})
/** A Host name of rpc.allowed_hosts: `NAME` (any port) or `NAME:PORT`. */
const hostName = z.string().check((ctx) => {
  if (parseHostHeader(ctx.value) === undefined)
    ctx.issues.push({
      code: 'custom',
      message: `${JSON.stringify(ctx.value)} is not a host name, NAME:PORT or [IPv6]:PORT (e.g. "node.example" or "node.example:8732")`,
      input: ctx.value,
    })
})
const rpcAclEntrySchema = z
  .strictObject({
    address: z
      .string()
      .min(1)
      .describe(
        'the listening address the entry applies to: HOST, HOST:PORT ([v6]:PORT), or * for any; no default: required in each entry',
      ),
    allow: z
      .array(routePattern)
      .optional()
      .describe(
        'only these routes, e.g. "GET /network/stat", "/network/**" (default unset; an entry has allow or deny)',
      ),
    deny: z.array(routePattern).optional().describe('every route but these (default unset)'),
  })
  .refine((e) => (e.allow === undefined) !== (e.deny === undefined), {
    message: 'an rpc.acl entry has exactly one of "allow" and "deny"',
  })
const rpcSchema = z.strictObject({
  $comment: comment,
  listen_addr: hostPort
    .nullable()
    .default('127.0.0.1:8732')
    .describe('HOST:PORT of the admin RPC (HTTP, see docs/RPC.md); null: no RPC server'),
  allowed_hosts: z
    .array(hostName)
    .default([])
    .describe(
      'Host header names accepted besides the listen address and localhost (e.g. behind a reverse proxy); others get 421 (DNS rebinding). Default: none',
    ),
  acl: z
    .array(rpcAclEntrySchema)
    .default([])
    .describe(
      `routes answered per listening address, as Octez's RPC ACL: [{ "address", "allow" | "deny": ["GET /network/stat", "/network/**"] }], the first matching entry wins. Default: none, i.e. every route on loopback, only ${DEFAULT_EXPOSED_ALLOW.join(', ')} elsewhere`,
    ),
  allow_all: z
    .boolean()
    .default(false)
    .describe(
      'answer every route on any address, ignoring acl (state-changing routes still need the token). Default false',
    ),
  max_connections: z
    .int()
    .min(1)
    .max(100_000)
    .default(RPC_LIMITS.maxConnections)
    .describe(
      `RPC connections open at once; more are closed at accept. Default ${RPC_LIMITS.maxConnections} (as Octez)`,
    ),
  max_log_subscribers: z
    .int()
    .min(1)
    .max(10_000)
    .default(RPC_LIMITS.maxLogSubscribers)
    .describe(`/network/log streams open at once; more get 503. Default ${RPC_LIMITS.maxLogSubscribers}`),
  log_buffer_bytes: z
    .int()
    .min(4096)
    .max(1 << 30)
    .default(RPC_LIMITS.logBufferBytes)
    .describe(
      `bytes of events waiting for one /network/log subscriber that does not read before it is dropped. Default ${RPC_LIMITS.logBufferBytes} (1 MiB)`,
    ),
  request_timeout_ms: z
    .int()
    .min(100)
    .max(3_600_000)
    .default(RPC_LIMITS.requestTimeoutMs)
    .describe(
      `milliseconds a request (headers and body) has to arrive before its connection is closed (slow clients). Default ${RPC_LIMITS.requestTimeoutMs}`,
    ),
})

/** pino's levels. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const

const logSchema = z.strictObject({
  $comment: comment,
  level: z
    .enum(LOG_LEVELS)
    .default('info')
    .describe(`least severe level logged: ${LOG_LEVELS.join(', ')}`),
})

const gossipSchema = z.strictObject({
  $comment: comment,
  every_seconds: z
    .number()
    .min(0)
    .max(86_400)
    .default(0)
    .describe('seconds between two demo gossip messages this node publishes; 0: none (it still relays)'),
  relay_per_second: z
    .number()
    .positive()
    .finite()
    .default(DEFAULT_RELAY_PER_SECOND)
    .describe('new gossip messages relayed per second from one peer; beyond, they are dropped and counted'),
  relay_burst: z
    .int()
    .min(1)
    .default(DEFAULT_RELAY_BURST)
    .describe('gossip messages one peer may send in a burst above relay_per_second'),
})

const observerSchema = z.strictObject({
  $comment: comment,
  head_every_seconds: z
    .number()
    .min(1)
    .max(86_400)
    .default(30)
    .describe(
      'seconds between two Get_current_head asks to each connected peer (default 30; each peer is also asked at connection)',
    ),
})

export const nodeConfigSchema = z
  .strictObject({
    $comment: comment,
    data_dir: z
      .string()
      .min(1)
      .describe('folder of identity.json, config.json and peers.json (default: the config file’s folder)'),
    chain_name: z
      .string()
      .min(1)
      .max(128)
      .default('DUNE_MAINNET')
      .describe('peers on another chain are refused'),
    p2p: p2pSchema.prefault({}).describe('the peer-to-peer layer'),
    rpc: rpcSchema.prefault({}).describe('the admin RPC'),
    log: logSchema.prefault({}).describe('logging (JSON lines; readable lines on a terminal)'),
    gossip: gossipSchema.prefault({}).describe('the demo application: gossip of short text messages'),
    network: z
      .enum(NETWORK_NAMES)
      .optional()
      .describe(
        `an Octez built-in network (${NETWORK_NAMES.join(', ')}): its chain name, versions, proof of work (26) and bootstrap names fill the fields left unset, and the node runs the observer instead of the gossip; default unset: the Dune demo network`,
      ),
    observer: observerSchema
      .prefault({})
      .describe('the observer, the application run with network: asks peers for their heads'),
  })
  .superRefine((c, ctx) => {
    const { min_connections: min, expected_connections: expected, max_connections: max } = c.p2p
    const n = c.p2p.connections
    const lo = min ?? (n === undefined ? DEFAULT_CONNECTIONS.min : Math.floor(n / 2))
    const mid = expected ?? n ?? DEFAULT_CONNECTIONS.expected
    const hi = max ?? (n === undefined ? DEFAULT_CONNECTIONS.max : Math.floor((3 * n) / 2))
    if (!(lo <= mid && mid <= hi)) {
      ctx.addIssue({
        code: 'custom',
        path: ['p2p', 'expected_connections'],
        message: `need min_connections <= expected_connections <= max_connections, got ${lo}, ${mid}, ${hi}`,
      })
    }
  })

/** A checked node config with every default filled in. */
export type NodeConfig = z.infer<typeof nodeConfigSchema>
