// The command-line flags of `dune-node run` and `config init` as config-file values: each flag
// replaces its field in the file's JSON before the whole is validated (errors name the field).
import { networkPreset } from './network-presets.js'

/** The flags, as given (numbers still text: validation names the field of a bad one). */
export interface ConfigOverrides {
  readonly dataDir?: string
  readonly netAddr?: string
  readonly rpcAddr?: string
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
}

/** A number when the text is one, else the text itself (for the validator to reject by name). */
function numberOrText(text: string): number | string {
  return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text
}

function section(raw: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = raw[name]
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value } : {}
}

/**
 * The file's JSON with the flags applied. `--connections N` replaces the file's min, expected
 * and max connections (Octez); `--rpc-addr none` turns the RPC off; `--peer` replaces the
 * bootstrap peers.
 */
export function applyOverrides(
  raw: Record<string, unknown>,
  flags: ConfigOverrides,
): Record<string, unknown> {
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
  if (flags.connections !== undefined) {
    p2p.connections = numberOrText(flags.connections)
    delete p2p.min_connections
    delete p2p.expected_connections
    delete p2p.max_connections
  }
  if (flags.privateMode) p2p.private_mode = true
  if (flags.expectedPow !== undefined) p2p.expected_proof_of_work = numberOrText(flags.expectedPow)
  if (flags.maxUploadSpeed !== undefined) p2p.max_upload_speed = numberOrText(flags.maxUploadSpeed)
  if (flags.maxDownloadSpeed !== undefined) p2p.max_download_speed = numberOrText(flags.maxDownloadSpeed)
  if (flags.rpcAddr !== undefined) rpc.listen_addr = flags.rpcAddr === 'none' ? null : flags.rpcAddr
  if (flags.logLevel !== undefined) log.level = flags.logLevel
  if (flags.gossipEvery !== undefined) gossip.every_seconds = numberOrText(flags.gossipEvery)
  if (flags.network !== undefined) out.network = flags.network
  if (flags.headEvery !== undefined) observer.head_every_seconds = numberOrText(flags.headEvery)
  for (const [name, value] of Object.entries({ p2p, rpc, log, gossip, observer })) {
    if (Object.keys(value).length > 0 || name in raw) out[name] = value
  }
  return out
}
