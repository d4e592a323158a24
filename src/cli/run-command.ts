// `dune-node run`: reads DATA_DIR/config.json (if any), applies the flags, starts the node and
// runs it until SIGINT or SIGTERM, which send Disconnect to every peer and save the state (exit 0).
import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { ConfigOverrides } from '../node/config-overrides.js'
import { applyOverrides } from '../node/config-overrides.js'
import { createLogger } from '../node/logger.js'
import {
  configFilePath,
  defaultDataDir,
  type NodeConfig,
  parseNodeConfig,
  readConfigFile,
} from '../node/node-config.js'
import { startNode } from '../node/observer-node.js'
import type { CliContext } from './dune-node.js'
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
    .option('--peer <POINT>', 'a bootstrap peer IP:PORT (repeatable)', (v: string, all: string[] = []) => [
      ...all,
      v,
    ])
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
  const config = parseNodeConfig(withFlags, source, dataDir)
  return { config: { ...config, data_dir: resolve(config.data_dir) }, file, fromFile }
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
        const node = await startNode(config, { logger })
        const signal = await stopSignal
        logger.info({ signal }, 'signal received')
        await node.stop()
      } finally {
        process.removeListener('SIGINT', onSignal)
        process.removeListener('SIGTERM', onSignal)
      }
    })
}
