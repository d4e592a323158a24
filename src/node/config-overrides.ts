// The command-line flags of `dune-node run` and `config init` as config-file values: each flag
// is checked on its own (errors name the flag), then replaces its field in the file's JSON.
import { DuneP2pError } from '../errors/index.js'
import { NETWORK_NAMES, networkPreset } from './network-presets.js'
import { dialPointProblem, discoveryAddrProblem, LOG_LEVELS, pointProblem } from './node-config-schema.js'

/** The flags, as given (numbers still text: `checkFlags` names the flag of a bad one). */
export interface ConfigOverrides {
  readonly dataDir?: string
  readonly netAddr?: string
  readonly rpcAddr?: string
  readonly allowAllRpc?: boolean
  readonly peer?: string[]
  readonly connections?: string
  readonly privateMode?: boolean
  readonly expectedPow?: string
  readonly chainName?: string
  readonly maxUploadSpeed?: string
  readonly maxDownloadSpeed?: string
  readonly logLevel?: string
  readonly gossipEvery?: string
  /** An Octez built-in network (mainnet, ghostnet, sandbox). */
  readonly network?: string
  readonly headEvery?: string
  readonly advertisedNetPort?: string
  readonly discoveryAddr?: string
}

/** A bad command-line flag (code `DUNE_NODE_FLAG`): the message starts with the flag. */
export class FlagError extends DuneP2pError {
  /** The flag, e.g. `--connections`. */
  readonly flag: string

  constructor(flag: string, problem: string) {
    super('DUNE_NODE_FLAG', `${flag}: ${problem}`)
    this.flag = flag
  }
}

/** The number `text` stands for, or a FlagError saying it is not one (`hint` follows that message). */
function numberFlag(flag: string, text: string, check: (n: number) => string | undefined, hint = ''): number {
  const n = text.trim() === '' ? Number.NaN : Number(text)
  if (!Number.isFinite(n)) throw new FlagError(flag, `${JSON.stringify(text)} is not a number${hint}`)
  const problem = check(n)
  if (problem !== undefined) throw new FlagError(flag, `${JSON.stringify(text)}: ${problem}`)
  return n
}

const positiveInteger = (n: number) =>
  Number.isInteger(n) && n >= 1 ? undefined : 'need a whole number of at least 1'

/** The flags' values checked one by one, as config values; throws FlagError naming the first bad flag. */
export function checkFlags(flags: ConfigOverrides): {
  connections?: number
  expectedPow?: number
  maxUploadSpeed?: number
  maxDownloadSpeed?: number
  gossipEvery?: number
  advertisedNetPort?: number
  headEvery?: number
} {
  for (const [flag, text] of [
    ['--net-addr', flags.netAddr],
    ['--rpc-addr', flags.rpcAddr === 'none' ? undefined : flags.rpcAddr],
  ] as const) {
    if (text === undefined) continue
    const problem = pointProblem(text, 'HOST:PORT', '127.0.0.1:9732')
    if (problem !== undefined) throw new FlagError(flag, problem)
  }
  for (const text of flags.peer ?? []) {
    const problem = dialPointProblem(text)
    if (problem !== undefined) throw new FlagError('--peer', problem)
  }
  if (flags.network !== undefined && networkPreset(flags.network) === undefined)
    throw new FlagError(
      '--network',
      `${JSON.stringify(flags.network)} is not a network; use one of ${NETWORK_NAMES.join(', ')}`,
    )
  if (flags.discoveryAddr !== undefined) {
    const problem = discoveryAddrProblem(flags.discoveryAddr)
    if (problem !== undefined) throw new FlagError('--discovery-addr', problem)
  }
  if (flags.logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(flags.logLevel))
    throw new FlagError(
      '--log-level',
      `${JSON.stringify(flags.logLevel)} is not a level; use one of ${LOG_LEVELS.join(', ')}`,
    )
  if (flags.chainName !== undefined && (flags.chainName.length === 0 || flags.chainName.length > 128))
    throw new FlagError('--chain-name', 'need 1 to 128 characters')
  const speed = (flag: string, text: string | undefined) =>
    text === undefined
      ? undefined
      : numberFlag(
          flag,
          text,
          (n) => (n > 0 ? undefined : 'need a positive number of bytes per second'),
          ' (bytes per second, e.g. 1048576 for 1 MiB/s)',
        )
  const out: ReturnType<typeof checkFlags> = {}
  if (flags.connections !== undefined)
    out.connections = numberFlag('--connections', flags.connections, positiveInteger)
  if (flags.headEvery !== undefined)
    out.headEvery = numberFlag('--head-every', flags.headEvery, (n) =>
      n >= 1 && n <= 86_400 ? undefined : 'need a number of seconds from 1 to 86400',
    )
  if (flags.advertisedNetPort !== undefined)
    out.advertisedNetPort = numberFlag('--advertised-net-port', flags.advertisedNetPort, (n) =>
      Number.isInteger(n) && n >= 1 && n <= 65535 ? undefined : 'need a port from 1 to 65535',
    )
  if (flags.expectedPow !== undefined)
    out.expectedPow = numberFlag('--expected-pow', flags.expectedPow, (n) =>
      n >= 0 && n <= 256 ? undefined : 'need a number of bits from 0 to 256',
    )
  const up = speed('--max-upload-speed', flags.maxUploadSpeed)
  if (up !== undefined) out.maxUploadSpeed = up
  const down = speed('--max-download-speed', flags.maxDownloadSpeed)
  if (down !== undefined) out.maxDownloadSpeed = down
  if (flags.gossipEvery !== undefined)
    out.gossipEvery = numberFlag('--gossip-every', flags.gossipEvery, (n) =>
      n >= 0 && n <= 86_400 ? undefined : 'need a number of seconds from 0 to 86400',
    )
  return out
}

function section(raw: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = raw[name]
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value } : {}
}

/**
 * The file's JSON with the flags applied, after `checkFlags` (throws FlagError naming the
 * flag). `--connections N` replaces the file's min, expected and max connections (Octez);
 * `--rpc-addr none` turns the RPC off; `--peer` replaces the bootstrap peers.
 */
export function applyOverrides(
  raw: Record<string, unknown>,
  flags: ConfigOverrides,
): Record<string, unknown> {
  const numbers = checkFlags(flags)
  const out: Record<string, unknown> = { ...raw }
  const p2p = section(raw, 'p2p')
  const rpc = section(raw, 'rpc')
  const log = section(raw, 'log')
  const gossip = section(raw, 'gossip')
  const observer = section(raw, 'observer')
  // --network sets its preset's fields over the file's (then the other flags win over it);
  // `network` in the file only fills the file's unset fields (node-config.ts withNetworkPreset).
  const preset = flags.network === undefined ? undefined : networkPreset(flags.network)
  if (preset) {
    out.chain_name = preset.chainName
    p2p.expected_proof_of_work = preset.expectedProofOfWork
    p2p.bootstrap_peers = [...preset.bootstrapPeers]
  }
  if (flags.dataDir !== undefined) out.data_dir = flags.dataDir
  if (flags.chainName !== undefined) out.chain_name = flags.chainName
  if (flags.netAddr !== undefined) p2p.listen_addr = flags.netAddr
  if (flags.peer !== undefined && flags.peer.length > 0) p2p.bootstrap_peers = flags.peer
  if (numbers.advertisedNetPort !== undefined) p2p.advertised_net_port = numbers.advertisedNetPort
  if (flags.discoveryAddr !== undefined) p2p.discovery_addr = flags.discoveryAddr
  if (numbers.connections !== undefined) {
    p2p.connections = numbers.connections
    delete p2p.min_connections
    delete p2p.expected_connections
    delete p2p.max_connections
  }
  if (flags.privateMode) p2p.private_mode = true
  if (numbers.expectedPow !== undefined) p2p.expected_proof_of_work = numbers.expectedPow
  if (numbers.maxUploadSpeed !== undefined) p2p.max_upload_speed = numbers.maxUploadSpeed
  if (numbers.maxDownloadSpeed !== undefined) p2p.max_download_speed = numbers.maxDownloadSpeed
  if (flags.rpcAddr !== undefined) rpc.listen_addr = flags.rpcAddr === 'none' ? null : flags.rpcAddr
  if (flags.allowAllRpc) rpc.allow_all = true
  if (flags.logLevel !== undefined) log.level = flags.logLevel
  if (numbers.gossipEvery !== undefined) gossip.every_seconds = numbers.gossipEvery
  if (flags.network !== undefined) out.network = flags.network
  if (numbers.headEvery !== undefined) observer.head_every_seconds = numbers.headEvery
  for (const [name, value] of Object.entries({ p2p, rpc, log, gossip, observer })) {
    if (Object.keys(value).length > 0 || name in raw) out[name] = value
  }
  return out
}
