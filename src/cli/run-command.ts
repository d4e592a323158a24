// `dune-node run`: reads DATA_DIR/config.json (if any), applies the flags, starts the node and
// runs it until SIGINT or SIGTERM, which send Disconnect to every peer and save the state (exit 0).
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { DuneP2pError } from '../errors/index.js'
import { applyOverrides, type ConfigOverrides, FlagError } from '../node/config-overrides.js'
import { createLogger } from '../node/logger.js'
import {
  configFilePath,
  defaultDataDir,
  FIELD_FLAGS,
  type NodeConfig,
  NodeConfigError,
  parseNodeConfig,
  readConfigFile,
} from '../node/node-config.js'
import { startNode } from '../node/observer-node.js'
import { ListenError } from '../workers/welcome.js'
import type { CliContext } from './cli-context.js'
import { exists } from './files.js'

/** The flags `run` and `config init` share, each overriding one field of the config file. */
export function addConfigFlags(command: Command): Command {
  return command
    .option(
      '--data-dir <DIR>',
      'data folder: identity.json, config.json, peers.json (default: $DUNE_NODE_DATA_DIR or ~/.dune-node)',
    )
    .option('--config-file <FILE>', 'the config file (default: DATA_DIR/config.json)')
    .option('--net-addr <HOST:PORT>', 'where the P2P layer listens (port 0: a free port)')
    .option('--rpc-addr <HOST:PORT>', 'where the admin RPC listens ("none": no RPC)')
    .option('--allow-all-rpc', 'answer every RPC route off loopback too (default there: read-only ones)')
    .option(
      '--peer <POINT>',
      'a bootstrap peer HOST:PORT, HOST an IP or a DNS name; #PEER_ID pins it (repeatable)',
      (v: string, all: string[] = []) => [...all, v],
    )
    .option('--advertised-net-port <PORT>', 'the port peers are told to dial back (NAT, port mapping)')
    .option(
      '--discovery-addr <ADDR[:PORT]>',
      'local peer discovery: broadcast address, UDP port 10732 by default',
    )
    .option('--connections <N>', 'min, expected and max connections N/2, N, 3N/2 (as Octez)')
    .option('--private-mode', 'talk only to trusted points and peers')
    .option('--expected-pow <BITS>', 'proof of work demanded of peers (and of a generated identity)')
    .option('--chain-name <NAME>', 'the chain name')
    .option('--max-upload-speed <BYTES_PER_S>', 'global upload limit')
    .option('--max-download-speed <BYTES_PER_S>', 'global download limit')
    .option('--log-level <LEVEL>', 'trace, debug, info, warn, error, fatal or silent')
    .option('--gossip-every <SECONDS>', 'publish a demo gossip message every SECONDS (0: none)')
    .option(
      '--network <NAME>',
      'join an Octez network (mainnet, ghostnet, sandbox): its chain name, versions, pow and bootstrap peers (flags win); runs the observer',
    )
    .option(
      '--head-every <SECONDS>',
      'observer: ask each peer for its current head every SECONDS (default 30)',
    )
}

export type ConfigFlags = ConfigOverrides & { configFile?: string }

/**
 * The config the flags stand for: the config file (DATA_DIR/config.json, or --config-file,
 * which must exist; not read with `ignoreFile`) with the flags applied, checked. Throws
 * NodeConfigError naming the field.
 */
export async function resolveNodeConfig(
  flags: ConfigFlags,
  options: { ignoreFile?: boolean } = {},
): Promise<{ config: NodeConfig; file: string; fromFile: boolean }> {
  const dataDir = resolve(flags.dataDir ?? defaultDataDir())
  const file = resolve(flags.configFile ?? configFilePath(dataDir))
  const fromFile = !options.ignoreFile && (flags.configFile !== undefined || (await exists(file)))
  const raw = fromFile ? await readConfigFile(file) : {}
  const withFlags = applyOverrides(raw, { ...flags, ...(flags.dataDir ? { dataDir } : {}) })
  const source = fromFile ? file : 'the flags'
  let config: NodeConfig
  try {
    config = parseNodeConfig(withFlags, source, dataDir)
  } catch (err) {
    throw flagErrorOf(err, flags) ?? err
  }
  return { config: { ...config, data_dir: resolve(config.data_dir) }, file, fromFile }
}

/** The node could not listen on its P2P or RPC address (code `DUNE_NODE_LISTEN`): one line, naming the flag. */
export class NodeListenError extends DuneP2pError {
  constructor(message: string, options: { cause: unknown }) {
    super('DUNE_NODE_LISTEN', message, options)
  }
}

const LISTEN_PROBLEMS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the address is already in use (another node, or another program)',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the address is not one of this machine’s',
}

/**
 * A failure to listen (the P2P layer's ListenError, or the RPC server's errno error) as one line
 * naming the address and the flag to change; undefined for any other error.
 */
export function listenErrorOf(err: unknown, config: NodeConfig): NodeListenError | undefined {
  const p2p = err instanceof ListenError
  const cause = (p2p ? err.cause : err) as NodeJS.ErrnoException | undefined
  if (!p2p && (cause?.syscall !== 'listen' || typeof cause.code !== 'string')) return undefined
  const problem = LISTEN_PROBLEMS[cause?.code ?? ''] ?? cause?.message ?? String(cause)
  const message = p2p
    ? `cannot listen for P2P on ${config.p2p.listen_addr}: ${problem}; choose another address with --net-addr HOST:PORT (port 0: any free port) or p2p.listen_addr in the config file`
    : `cannot listen for the admin RPC on ${config.rpc.listen_addr}: ${problem}; choose another address with --rpc-addr HOST:PORT (or --rpc-addr none) or rpc.listen_addr in the config file`
  return new NodeListenError(message, { cause: err })
}

/** The flags whose values `applyOverrides` wrote, by field. */
const FIELD_GIVEN: Readonly<Record<string, (flags: ConfigFlags) => boolean>> = {
  data_dir: (f) => f.dataDir !== undefined,
  chain_name: (f) => f.chainName !== undefined,
  'p2p.listen_addr': (f) => f.netAddr !== undefined,
  'p2p.bootstrap_peers': (f) => (f.peer?.length ?? 0) > 0,
  'p2p.connections': (f) => f.connections !== undefined,
  'p2p.expected_proof_of_work': (f) => f.expectedPow !== undefined,
  'p2p.max_upload_speed': (f) => f.maxUploadSpeed !== undefined,
  'p2p.max_download_speed': (f) => f.maxDownloadSpeed !== undefined,
  'rpc.listen_addr': (f) => f.rpcAddr !== undefined,
  'log.level': (f) => f.logLevel !== undefined,
  'gossip.every_seconds': (f) => f.gossipEvery !== undefined,
}

/** A config error on a field a flag set, as an error naming that flag (undefined otherwise). */
function flagErrorOf(err: unknown, flags: ConfigFlags): FlagError | undefined {
  if (!(err instanceof NodeConfigError)) return undefined
  const [field, given] =
    Object.entries(FIELD_GIVEN).find(([f]) => err.field === f || err.field.startsWith(`${f}.`)) ?? []
  const flag = field === undefined ? undefined : FIELD_FLAGS[field]?.split(' ')[0]
  if (flag === undefined || given?.(flags) !== true) return undefined
  return new FlagError(flag, err.problem.replace(/ \(in [^)]*\)$/, ''))
}

export function addRunCommand(program: Command, ctx: CliContext): void {
  addConfigFlags(program.command('run'))
    .description(
      'run the node (config file, then flags); SIGINT or SIGTERM stops it with a Disconnect to every peer',
    )
    .action(async (flags: ConfigFlags) => {
      const { config, file, fromFile } = await resolveNodeConfig(flags)
      const logger = createLogger({ level: config.log.level, destination: ctx.stdout })
      logger.info(
        { config_file: fromFile ? file : null },
        fromFile ? 'config loaded' : 'no config file: defaults and flags',
      )
      let signalled: (signal: string) => void = () => {}
      const stopSignal = new Promise<string>((resolveSignal) => {
        signalled = resolveSignal
      })
      const onSignal = (signal: NodeJS.Signals): void => signalled(signal)
      process.on('SIGINT', onSignal)
      process.on('SIGTERM', onSignal)
      try {
        const node = await startNode(config, { logger }).catch((err: unknown) => {
          throw listenErrorOf(err, config) ?? err
        })
        const signal = await stopSignal
        logger.info({ signal }, 'signal received')
        await node.stop()
      } finally {
        process.removeListener('SIGINT', onSignal)
        process.removeListener('SIGTERM', onSignal)
      }
    })
}
