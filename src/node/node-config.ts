// The dune-node config file (DATA_DIR/config.json): loading and validation against its schema
// (node-config-schema.ts) with errors naming the field and the fix, and its documentation.
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { DuneP2pError } from '../errors/index.js'
import { jsonErrorPosition } from './json-syntax.js'
import { networkPreset } from './network-presets.js'
import { type NodeConfig, nodeConfigSchema } from './node-config-schema.js'

export {
  dialPointProblem,
  discoveryAddrProblem,
  LOG_LEVELS,
  type NodeConfig,
  nodeConfigSchema,
  pointProblem,
} from './node-config-schema.js'

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
  const [issue] = result.error.issues
  if (issue === undefined) throw result.error // a failed parse reports at least one issue
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, ...issue.keys.slice(0, 1)] : issue.path
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
