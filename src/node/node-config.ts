// The dune-node config file (DATA_DIR/config.json): a zod schema with defaults and per-field
// documentation, loading and validation whose errors name the field and the fix.
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { DuneP2pError } from '../errors/index.js'
import {
  admissionSchema,
  DEFAULT_APPLICATION_QUEUE_BYTES,
  DEFAULT_INCOMING_QUEUE_BYTES,
  DEFAULT_MEMORY_BUDGET_BYTES,
  DEFAULT_OUTGOING_QUEUE_BYTES,
  DEFAULT_WRITE_STALL_TIMEOUT_MS,
  discoverySchema,
  evictionSchema,
  scoreSchema,
  slotsSchema,
} from '../pool/config.js'
import { discoveryAddressError, pointAddressError } from '../pool/point-address.js'
import { DEFAULT_EXPOSED_ALLOW, parseHostHeader, parseRoutePattern } from '../rpc/guard.js'
import { RPC_LIMITS } from '../rpc/limits.js'
import { DEFAULT_RELAY_BURST, DEFAULT_RELAY_PER_SECOND } from '../shell/gossip.js'
import { pointSyntaxError } from '../wire/index.js'
import { jsonErrorPosition } from './json-syntax.js'
import { NETWORK_NAMES, networkPreset } from './network-presets.js'

/** The name of the config file in a data folder. */
export const CONFIG_FILE_NAME = 'config.json'

/** A config file that is unreadable, not JSON, or has a bad field (code `DUNE_NODE_CONFIG`). */
export class NodeConfigError extends DuneP2pError {
  /** The dotted path of the bad field (`(file)` when the file itself is the problem). */
  readonly field: string
  /** What is wrong with it. */
  readonly problem: string
  /** What to do about it. */
  readonly fix: string

  constructor(field: string, problem: string, fix: string, options?: { cause?: unknown }) {
    super('DUNE_NODE_CONFIG', `config field ${field}: ${problem}. Fix: ${fix}`, options)
    this.field = field
    this.problem = problem
    this.fix = fix
  }
}

/** DUNE_NODE_DATA_DIR, else ~/.dune-node. */
export function defaultDataDir(): string {
  return process.env.DUNE_NODE_DATA_DIR || join(homedir(), '.dune-node')
}

/** Where the config file of `dataDir` lives. */
export function configFilePath(dataDir: string): string {
  return join(dataDir, CONFIG_FILE_NAME)
}

/** The command-line flag that sets each field, named in the errors' fixes and the docs. */
export const FIELD_FLAGS: Readonly<Record<string, string>> = {
  data_dir: '--data-dir DIR',
  chain_name: '--chain-name NAME',
  'p2p.listen_addr': '--net-addr HOST:PORT',
  'p2p.bootstrap_peers': '--peer POINT (repeatable)',
  'p2p.advertised_net_port': '--advertised-net-port PORT',
  'p2p.discovery_addr': '--discovery-addr ADDR[:PORT]',
  'p2p.expected_proof_of_work': '--expected-pow BITS',
  'p2p.private_mode': '--private-mode',
  'p2p.connections': '--connections N',
  'p2p.max_upload_speed': '--max-upload-speed BYTES_PER_S',
  'p2p.max_download_speed': '--max-download-speed BYTES_PER_S',
  'rpc.listen_addr': '--rpc-addr HOST:PORT',
  'rpc.allow_all': '--allow-all-rpc',
  'log.level': '--log-level LEVEL',
  'gossip.every_seconds': '--gossip-every SECONDS',
  network: '--network NAME',
  'observer.head_every_seconds': '--head-every SECONDS',
}

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
const connectionCount = z.int().min(0)
const bytesPerSecond = z.number().positive().finite()

const p2pSchema = z.strictObject({
  $comment: comment,
  listen_addr: hostPort
    .default('0.0.0.0:9732')
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
      'local peer discovery (Octez): the IPv4 address (a LAN broadcast address) and UDP port (default 10732) to broadcast our peer id and port to, and the port to hear others on; null: off',
    ),
  trust_discovered_peers: z
    .boolean()
    .default(false)
    .describe(
      'register the points local discovery hears as trusted (Octez does in sandbox mode); default false',
    ),
  expected_proof_of_work: z
    .number()
    .min(0)
    .max(256)
    .default(26)
    .describe("proof-of-work bits demanded of peers' identities, and of ours when one is generated"),
  private_mode: z
    .boolean()
    .default(false)
    .describe('talk only to trusted points and peers; peers are asked not to advertise us'),
  connections: z
    .int()
    .min(1)
    .optional()
    .describe(
      'as Octez --connections N: min, expected and max connections N/2, N, 3N/2 (fields below win; default unset: 10, 50, 100)',
    ),
  min_connections: connectionCount.optional().describe('below this the maintenance dials (default 10)'),
  expected_connections: connectionCount.optional().describe('the count maintenance aims at (default 50)'),
  max_connections: z
    .int()
    .min(1)
    .optional()
    .describe('above this maintenance drops connections (default 100)'),
  max_upload_speed: bytesPerSecond
    .optional()
    .describe('global upload limit in bytes per second (default unset: no limit)'),
  max_download_speed: bytesPerSecond
    .optional()
    .describe('global download limit in bytes per second (default unset: no limit)'),
  maintenance_period_ms: z
    .int()
    .min(1)
    .default(120_000)
    .describe('milliseconds between two timed maintenance steps (default 120000, 2 min)'),
  greylist_timeout_ms: z
    .int()
    .min(1)
    .default(86_400_000)
    .describe(
      'milliseconds a misbehaving IP, point or peer id stays greylisted (default 86400000, 24 h; `dune-admin-client flush greylist` lifts it)',
    ),
  tcp_user_timeout_ms: z
    .int()
    .min(0)
    .max(0x7fffffff)
    .default(45_000)
    .describe(
      'TCP_USER_TIMEOUT of every P2P socket, in milliseconds: a peer that acknowledges nothing this long ' +
        '(power off, cable pulled) is disconnected as a dead peer (default 45000, as Octez; 0: the system default, ~15 min)',
    ),
  tcp_keepalive_idle_ms: z
    .int()
    .min(0)
    .max(32_767_000)
    .default(10_000)
    .describe(
      'TCP keepalive: milliseconds of silence before the first probe, so an idle dead peer is noticed too ' +
        '(default 10000, as Octez; 0: no keepalive)',
    ),
  tcp_keepalive_interval_ms: z
    .int()
    .min(0)
    .max(32_767_000)
    .default(5_000)
    .describe(
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
  incoming_queue_bytes: z
    .int()
    .min(1)
    .default(DEFAULT_INCOMING_QUEUE_BYTES)
    .describe(
      'bytes of received messages queued per connection; when full the socket is not read (default 1 MiB)',
    ),
  outgoing_queue_bytes: z
    .int()
    .min(1)
    .default(DEFAULT_OUTGOING_QUEUE_BYTES)
    .describe(
      'bytes of messages waiting to be sent per connection; when full more are dropped (default 1 MiB)',
    ),
  application_queue_bytes: z
    .int()
    .min(1)
    .default(DEFAULT_APPLICATION_QUEUE_BYTES)
    .describe(
      'bytes of received application messages waiting for the node, all peers together (default 4 MiB)',
    ),
  memory_budget_bytes: z
    .int()
    .min(1)
    .default(DEFAULT_MEMORY_BUDGET_BYTES)
    .describe(
      'bytes queued by the whole P2P layer at most; past it the peer holding the most is dropped (default 64 MiB)',
    ),
  write_stall_timeout_ms: z
    .int()
    .min(1)
    .default(DEFAULT_WRITE_STALL_TIMEOUT_MS)
    .describe(
      'milliseconds a peer may leave its full outgoing queue unread before it is disconnected (default 30000)',
    ),
  violation_budget: z
    .int()
    .min(1)
    .default(100)
    .describe(
      'protocol violations (empty chunks, Bootstrap/Advertise/Swap within their cooldown) a connection may commit before it is closed and greylisted',
    ),
  violations_forgiven_per_second: z
    .number()
    .min(0)
    .finite()
    .default(1)
    .describe('violations forgiven per second on each connection (a slower rate is never punished)'),
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
    const lo = min ?? (n === undefined ? 10 : Math.floor(n / 2))
    const mid = expected ?? n ?? 50
    const hi = max ?? (n === undefined ? 100 : Math.floor((3 * n) / 2))
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

/** The defaults, with the data dir from $DUNE_NODE_DATA_DIR or ~/.dune-node. */
export function defaultNodeConfig(): NodeConfig {
  return nodeConfigSchema.parse({ data_dir: defaultDataDir() })
}

/**
 * Checks a config object (e.g. a parsed config file with the flags applied) and fills in the
 * defaults; `data_dir` defaults to `defaultDataDirOf`. Throws NodeConfigError naming the first bad field.
 */
export function parseNodeConfig(raw: unknown, source: string, defaultDataDirOf?: string): NodeConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new NodeConfigError(
      '(file)',
      `${source} must hold a JSON object`,
      'run `dune-node config init --force`',
    )
  }
  const withDir =
    defaultDataDirOf !== undefined && !('data_dir' in raw) ? { data_dir: defaultDataDirOf, ...raw } : raw
  const input = withNetworkPreset(withDir as Record<string, unknown>)
  const result = nodeConfigSchema.safeParse(input)
  if (result.success) return withoutComments(result.data)
  const issue = result.error.issues[0]!
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path
  const field = path.length === 0 ? '(top)' : path.join('.')
  if (issue.code === 'unrecognized_keys') {
    const known = Object.keys(sectionShape(issue.path)).filter((k) => k !== '$comment')
    throw new NodeConfigError(
      field,
      `unknown setting in ${source}`,
      `remove it or correct its spelling (known here: ${known.join(', ')})`,
      { cause: result.error },
    )
  }
  const flag = FIELD_FLAGS[field]
  const fix = `set "${field}" in ${source}${flag ? ` or pass ${flag}` : ''}; \`dune-node config show --doc\` explains every field`
  throw new NodeConfigError(field, `${issue.message} (in ${source})`, fix, { cause: result.error })
}

/**
 * The config with the fields a `network` preset sets filled in where the file and flags left them
 * unset: chain_name, p2p.expected_proof_of_work, p2p.bootstrap_peers (explicit values win).
 */
export function withNetworkPreset(raw: Record<string, unknown>): Record<string, unknown> {
  const preset = typeof raw.network === 'string' ? networkPreset(raw.network) : undefined
  if (!preset) return raw
  const p2pRaw = raw.p2p
  if (p2pRaw !== undefined && (typeof p2pRaw !== 'object' || p2pRaw === null || Array.isArray(p2pRaw)))
    return raw // the schema reports the bad section
  const p2p: Record<string, unknown> = { ...(p2pRaw as Record<string, unknown> | undefined) }
  p2p.expected_proof_of_work ??= preset.expectedProofOfWork
  p2p.bootstrap_peers ??= [...preset.bootstrapPeers]
  return { ...raw, chain_name: raw.chain_name ?? preset.chainName, p2p }
}

/** The config without the operator's `$comment` notes (top level and sections). */
function withoutComments(config: NodeConfig): NodeConfig {
  const strip = <T extends { $comment?: unknown }>(o: T): T => {
    const { $comment: _note, ...rest } = o
    return rest as T
  }
  const { p2p, rpc, log, gossip, observer } = config
  return {
    ...strip(config),
    p2p: strip(p2p),
    rpc: strip(rpc),
    log: strip(log),
    gossip: strip(gossip),
    observer: strip(observer),
  }
}

/** Reads a config file as JSON, without checking it; throws NodeConfigError when missing or not JSON. */
export async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT'
    throw new NodeConfigError(
      '(file)',
      missing ? `no config file at ${file}` : `cannot read ${file}: ${(err as Error).message}`,
      missing
        ? `write one with \`dune-node config init --config-file ${file}\` (or give the right --config-file or --data-dir)`
        : 'check its permissions',
      { cause: err },
    )
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    const at = jsonErrorPosition(text)
    throw new NodeConfigError(
      '(file)',
      `${file} is not valid JSON${at ? ` at line ${at.line}, column ${at.column}` : ''}: ${(err as Error).message}`,
      `correct the syntax, or write a fresh one with \`dune-node config init --config-file ${file} --force\``,
      { cause: err },
    )
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new NodeConfigError(
      '(file)',
      `${file} must hold a JSON object`,
      'run `dune-node config init --force`',
    )
  }
  return json as Record<string, unknown>
}

/** Reads and checks a config file; `data_dir` defaults to the file's folder. Throws NodeConfigError. */
export async function loadNodeConfig(file: string): Promise<NodeConfig> {
  return parseNodeConfig(await readConfigFile(file), file, dirname(file))
}

type Shape = Record<string, z.ZodType>

/** The fields of the section at `path` ([] is the top). */
function sectionShape(path: readonly PropertyKey[]): Shape {
  let shape: Shape = nodeConfigSchema.shape
  for (const key of path) {
    const inner = unwrapObject(shape[String(key)])
    if (!inner) break
    shape = inner
  }
  return shape
}

/** The shape of an object schema, looking through default/prefault/optional wrappers. */
function unwrapObject(schema: z.ZodType | undefined): Shape | undefined {
  let s: unknown = schema
  for (let i = 0; i < 4 && s; i++) {
    if (s instanceof z.ZodObject) return s.shape as Shape
    const unwrap = (s as { unwrap?: () => unknown }).unwrap
    s = typeof unwrap === 'function' ? unwrap.call(s) : undefined
  }
  return undefined
}

/** A field's description, and its default when the description does not already say it. */
function describeField(schema: z.ZodType): string {
  const description = schema.description ?? ''
  if (!(schema instanceof z.ZodDefault) || /\bdefault\b/i.test(description)) return description
  const value: unknown = schema.def.defaultValue
  return `${description} (default ${JSON.stringify(value)})`
}

/** One line per field: `section.field: description (default …) [flag]`, for `config show --doc`. */
export function nodeConfigDoc(): string[] {
  const lines: string[] = []
  const walk = (shape: Shape, prefix: string): void => {
    for (const [key, schema] of Object.entries(shape)) {
      if (key === '$comment') continue
      const field = prefix + key
      const inner = unwrapObject(schema)
      const flag = FIELD_FLAGS[field]
      lines.push(`${field}: ${describeField(schema)}${flag ? ` [${flag}]` : ''}`)
      if (inner) walk(inner, `${field}.`)
    }
  }
  walk(nodeConfigSchema.shape as Shape, '')
  return lines
}

/**
 * The config as a documented file: the values, and in each section a `$comment` list saying
 * what each field means and which flag overrides it (the loader ignores `$comment`).
 */
export function documentedConfigText(config: NodeConfig): string {
  const section = (name: string, values: Record<string, unknown>): Record<string, unknown> => {
    const shape = unwrapObject(nodeConfigSchema.shape[name as keyof typeof nodeConfigSchema.shape]) ?? {}
    const notes = Object.entries(shape)
      .filter(([key]) => key !== '$comment')
      .map(([key, schema]) => {
        const flag = FIELD_FLAGS[`${name}.${key}`]
        return `${key}: ${describeField(schema)}${flag ? ` [${flag}]` : ''}`
      })
    const { $comment: _dropped, ...rest } = values
    return { $comment: notes, ...rest }
  }
  const file = {
    $comment: [
      'dune-node configuration. Command-line flags override these values.',
      'data_dir: folder of identity.json, config.json and peers.json [--data-dir DIR]',
      'chain_name: the chain; peers on another chain are refused [--chain-name NAME]',
      'network: an Octez built-in network (mainnet, ghostnet, sandbox): its settings fill unset fields, the observer runs [--network NAME]',
      'Unset optional fields take their defaults; `dune-node config show --doc` lists every field.',
    ],
    data_dir: config.data_dir,
    ...(config.network === undefined ? {} : { network: config.network }),
    chain_name: config.chain_name,
    p2p: section('p2p', config.p2p),
    rpc: section('rpc', config.rpc),
    log: section('log', config.log),
    gossip: section('gossip', config.gossip),
    ...(config.network === undefined ? {} : { observer: section('observer', config.observer) }),
  }
  return `${JSON.stringify(file, null, 2)}\n`
}
