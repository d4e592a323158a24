// `dune-node config init | show`: writes the documented config file (defaults and flags) to
// DATA_DIR/config.json, and prints the effective config or what each field means.
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Command } from 'commander'
import { type NetworkPreset, networkPreset } from '../node/network-presets.js'
import { documentedConfigText, nodeConfigDoc } from '../node/node-config.js'
import type { CliContext } from './cli-context.js'
import { refusesToReplace } from './files.js'
import { addConfigFlags, type ConfigFlags, resolveNodeConfig } from './run-command.js'

export function addConfigCommand(program: Command, ctx: CliContext): void {
  const config = program
    .command('config')
    .description('write and inspect the config file (DATA_DIR/config.json)')

  addConfigFlags(config.command('init'))
    .description('write a documented config file with the defaults and the flags given')
    .option('--force', 'replace an existing config file')
    .action(async (flags: ConfigFlags & { force?: boolean }) => {
      const { config: values, file: target } = await resolveNodeConfig(flags, { ignoreFile: true })
      if (await refusesToReplace(ctx, target, flags.force)) return
      await mkdir(dirname(target), { recursive: true, mode: 0o700 })
      await writeFile(target, documentedConfigText(values), { mode: 0o600 })
      ctx.stdout.write(`Wrote ${target}\n`)
    })

  addConfigFlags(config.command('show'))
    .description('print the effective config (file, defaults and flags), or with --doc what each field means')
    .option('--doc', 'print every field with its meaning and flag')
    .action(async (flags: ConfigFlags & { doc?: boolean }) => {
      if (flags.doc) {
        ctx.stdout.write(`${nodeConfigDoc().join('\n')}\n`)
        return
      }
      const { config: values } = await resolveNodeConfig(flags)
      const preset = networkPreset(values.network)
      // What the preset sets beyond the fields: a note the loader ignores, so the output still loads.
      const shown = preset ? { $comment: networkNote(preset), ...values } : values
      ctx.stdout.write(`${JSON.stringify(shown, null, 2)}\n`)
    })
}

/** The settings of a network preset that are not config fields. */
function networkNote(p: NetworkPreset): string[] {
  return [
    `network ${p.name} (Octez's built-in): chain_name ${p.chainName}, chain id ${p.chainId}, genesis ${p.genesisBlock}`,
    `distributed_db_versions ${p.distributedDbVersions.join(', ')}; p2p_versions ${p.p2pVersions.join(', ')}`,
    `expected_proof_of_work ${p.expectedProofOfWork}; bootstrap peers ${p.bootstrapPeers.join(', ') || 'none'} (port 9732 unless given)`,
    'the node runs the observer: it asks peers for their heads (Get_current_branch, Get_current_head) and claims none',
  ]
}
