// The dune-node config file (DATA_DIR/config.json): a zod schema with defaults and per-field
// documentation, loading and validation whose errors name the field and the fix.
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { DuneP2pError } from '../errors.js'
import { admissionSchema, evictionSchema, scoreSchema, slotsSchema } from '../pool/config.js'
import { pointSyntaxError } from '../wire/index.js'
import { NETWORK_NAMES, networkPreset } from './network-presets.js'

/** The name of the config file in a data folder. */
export const CONFIG_FILE_NAME = 'config.json'

/** A config file that is unreadable, not JSON, or has a bad field (code `DUNE_NODE_CONFIG`). */
export class NodeConfigError extends DuneP2pError {
  /** The dotted path of the bad field (`(file)` when the file itself is the problem). */
  readonly field: string
  /** What to do about it. */
  readonly fix: string

  constructor(field: string, problem: string, fix: string, options?: { cause?: unknown }) {
    super('DUNE_NODE_CONFIG', `config field ${field}: ${problem}. Fix: ${fix}`, options)
    this.field = field
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
  'p2p.expected_proof_of_work': '--expected-pow BITS',
  'p2p.private_mode': '--private-mode',
  'p2p.connections': '--connections N',
  'p2p.max_upload_speed': '--max-upload-speed BYTES_PER_S',
  'p2p.max_download_speed': '--max-download-speed BYTES_PER_S',
  'rpc.listen_addr': '--rpc-addr HOST:PORT',
  'log.level': '--log-level LEVEL',
  'gossip.every_seconds': '--gossip-every SECONDS',
  network: '--network NAME',
  'observer.head_every_seconds': '--head-every SECONDS',
}

/** An address to listen on: an IP literal and a port (0: any free port). */
const hostPort = z.string().check((ctx) => {
  const problem = pointSyntaxError(ctx.value)
  if (problem !== undefined)
    ctx.issues.push({
      code: 'custom',
      message: `${JSON.stringify(ctx.value)} is not HOST:PORT (${problem}); write an IP address and a port, e.g. "127.0.0.1:9732" or "[::]:9732"`,
      input: ctx.value,
    })
})
/**
 * A DNS name with an optional port (`boot.tzinit.org`, `ghostnet.stakenow.de:9733`), as Octez's
 * bootstrap peers are named: letters, digits and hyphens in dot-separated labels, the last one
 * not all digits (so a mistyped IPv4 address is still refused as one). IP literals are not names.
 */
export function isHostnamePoint(text: string): boolean {
  const m = /^([A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*)\.?(?::(\d{1,5}))?$/.exec(text)
  if (!m || m[1]!.length > 253) return false
  if (m[2] !== undefined && Number(m[2]) > 65535) return false
  const labels = m[1]!.split('.')
  if (labels.some((l) => l.startsWith('-') || l.endsWith('-'))) return false
  return !/^\d+$/.test(labels[labels.length - 1]!)
}

const point = z.string().check((ctx) => {
  const problem = pointSyntaxError(ctx.value)
  if (problem !== undefined)
    ctx.issues.push({
      code: 'custom',
      message: `${JSON.stringify(ctx.value)} is not a point (${problem}); write IP:PORT, e.g. "10.0.0.7:9732"`,
      input: ctx.value,
    })
})
/** A point or a DNS name (NAME[:PORT], port 9732 by default), for the peers a node dials. */
const pointOrName = z.string().check((ctx) => {
  const problem = pointSyntaxError(ctx.value)
  if (problem !== undefined && !isHostnamePoint(ctx.value))
    ctx.issues.push({
      code: 'custom',
      message: `${JSON.stringify(ctx.value)} is neither a point (${problem}) nor a DNS name; write IP:PORT or NAME[:PORT], e.g. "10.0.0.7:9732" or "boot.tzinit.org"`,
      input: ctx.value,
    })
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
    .array(pointOrName)
    .default([])
    .describe(
      "points (IP:PORT, or DNS names NAME[:PORT]) dialed at start and kept for the maintenance worker (default: none; with network, that network's bootstrap names)",
    ),
  trusted_points: z
    .array(point)
    .default([])
    .describe('points trusted from the start: kept connected, never greylisted (needed in private mode)'),
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
    .describe('as Octez --connections N: min, expected and max connections N/2, N, 3N/2 (fields below win)'),
  min_connections: connectionCount.optional().describe('below this the maintenance dials (default 10)'),
  expected_connections: connectionCount.optional().describe('the count maintenance aims at (default 50)'),
  max_connections: z
    .int()
    .min(1)
    .optional()
    .describe('above this maintenance drops connections (default 100)'),
  max_upload_speed: bytesPerSecond
    .optional()
    .describe('global upload limit in bytes per second; unset: none'),
  max_download_speed: bytesPerSecond
    .optional()
    .describe('global download limit in bytes per second; unset: none'),
  maintenance_period_ms: z
    .int()
    .min(1)
    .default(120_000)
    .describe('milliseconds between two timed maintenance steps'),
  greylist_timeout_ms: z
    .int()
    .min(1)
    .default(86_400_000)
    .describe('how long a misbehaving IP or peer stays greylisted, in milliseconds'),
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
})

const rpcSchema = z.strictObject({
  $comment: comment,
  listen_addr: hostPort
    .nullable()
    .default('127.0.0.1:8732')
    .describe('HOST:PORT of the admin RPC (HTTP, see docs/RPC.md); null: no RPC server'),
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
        `an Octez built-in network (${NETWORK_NAMES.join(', ')}): its chain name, versions, proof of work (26) and bootstrap names fill the fields left unset, and the node runs the observer instead of the gossip; unset: the Dune demo network`,
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
      missing ? 'run `dune-node config init` (or give the right --data-dir)' : 'check its permissions',
      { cause: err },
    )
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new NodeConfigError(
      '(file)',
      `${file} is not valid JSON: ${(err as Error).message}`,
      'correct the syntax, or write a fresh one with `dune-node config init --force`',
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

/** One line per field: `section.field: description [flag]`, for `config show --doc`. */
export function nodeConfigDoc(): string[] {
  const lines: string[] = []
  const walk = (shape: Shape, prefix: string): void => {
    for (const [key, schema] of Object.entries(shape)) {
      if (key === '$comment') continue
      const field = prefix + key
      const inner = unwrapObject(schema)
      const flag = FIELD_FLAGS[field]
      lines.push(`${field}: ${schema.description ?? ''}${flag ? ` [${flag}]` : ''}`)
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
        return `${key}: ${schema.description ?? ''}${flag ? ` [${flag}]` : ''}`
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
