#!/usr/bin/env node
// The dune-node command line: a program of subcommands (identity, config, run, sandbox), run
// as a process or in-process through `main(argv)`, which returns the exit code.
import { resolve } from 'node:path'
import { type Command, InvalidArgumentError } from 'commander'
import { checkIdentity, generateIdentity } from '../crypto/identity.js'
import { identityFilePath, readIdentityFile, writeIdentityFile } from '../crypto/identity-file.js'
import { peerIdToB58 } from '../crypto/peer-id.js'
import { PowSearchAborted } from '../crypto/pow-search.js'
import { assertPowBits, DEFAULT_POW_BITS } from '../crypto/proof-of-work.js'
import { defaultDataDir } from '../node/node-config.js'
import { type CliContext, EXIT_INTERRUPTED } from './cli-context.js'
import { addConfigCommand } from './config-command.js'
import { runIfEntryPoint } from './entry-point.js'
import { refusesToReplace } from './files.js'
import { newProgram, runProgram } from './program.js'
import { ProgressBar } from './progress-bar.js'
import { addRunCommand } from './run-command.js'
import { addSandboxCommand } from './sandbox-command.js'

function parsePowBits(value: string): number {
  const bits = value.trim() === '' ? Number.NaN : Number(value)
  try {
    assertPowBits(bits)
  } catch {
    throw new InvalidArgumentError('expected a number of bits from 0 to 256.')
  }
  return bits
}

const dataDirOption = [
  '--data-dir <dir>',
  'data folder of the node (default: $DUNE_NODE_DATA_DIR or ~/.dune-node)',
] as const
const powOption = [
  '--pow <bits>',
  'proof-of-work difficulty in bits',
  parsePowBits,
  DEFAULT_POW_BITS,
] as const

function parseThreads(value: string): number {
  const threads = Number(value)
  if (!Number.isInteger(threads) || threads < 1)
    throw new InvalidArgumentError('expected a positive integer.')
  return threads
}

interface IdentityOptions {
  dataDir?: string
  pow: number
  force?: boolean
  threads?: number
}

/** `identity generate | show | check`. */
function addIdentityCommand(program: Command, ctx: CliContext): void {
  const identity = program
    .command('identity')
    .description("create and inspect the node's identity (identity.json)")

  identity
    .command('generate')
    .description('create a new identity: key pair and proof-of-work stamp (searched on every core)')
    .option(...dataDirOption)
    .option(...powOption)
    .option('--force', 'replace an existing identity file')
    .option('--threads <n>', 'worker threads of the search (default: one per core)', parseThreads)
    .action((options: IdentityOptions) => generate(ctx, options))

  identity
    .command('show')
    .description('print the peer id and public key of the identity')
    .option(...dataDirOption)
    .action(async (options: IdentityOptions) => {
      const { peerId, publicKey } = await readIdentityFile(resolve(options.dataDir ?? defaultDataDir()))
      ctx.stdout.write(`Peer id:    ${peerIdToB58(peerId)}\nPublic key: ${publicKey.toString('hex')}\n`)
    })

  identity
    .command('check')
    .description('verify the identity: keys agree, peer id matches the key, stamp meets the difficulty')
    .option(...dataDirOption)
    .option(...powOption)
    .action(async (options: IdentityOptions) => {
      const dataDir = resolve(options.dataDir ?? defaultDataDir())
      const identity = await readIdentityFile(dataDir)
      const problems = checkIdentity(identity, options.pow)
      if (problems.length === 0) {
        ctx.stdout.write(`${identityFilePath(dataDir)} is valid for ${options.pow} bits of proof of work.\n`)
        return
      }
      ctx.stderr.write(`${identityFilePath(dataDir)} is not valid:\n`)
      for (const problem of problems) ctx.stderr.write(`  - ${problem.message}\n`)
      ctx.exitCode = 1
    })
}

async function generate(ctx: CliContext, options: IdentityOptions): Promise<void> {
  const dataDir = resolve(options.dataDir ?? defaultDataDir())
  const path = identityFilePath(dataDir)
  if (await refusesToReplace(ctx, path, options.force)) return
  const interrupt = new AbortController()
  const onSigint = (): void => interrupt.abort()
  process.once('SIGINT', onSigint)
  const bar = new ProgressBar(ctx.stderr, { unit: 'H' })
  try {
    // Written after the SIGINT handler is in place: whoever reads it may press Ctrl-C at once.
    ctx.stderr.write(`Generating an identity with ${options.pow} bits of proof of work (Ctrl-C stops)...\n`)
    const identity = await generateIdentity(options.pow, {
      threads: options.threads,
      signal: interrupt.signal,
      onProgress: (p) =>
        bar.update({ done: p.hashes, expected: p.expectedHashes, perSecond: p.hashesPerSecond }),
    })
    bar.clear()
    await writeIdentityFile(dataDir, identity)
    ctx.stderr.write(`Stored the new identity in ${path}\n`)
    ctx.stdout.write(`${peerIdToB58(identity.peerId)}\n`)
  } catch (err) {
    bar.clear()
    if (!(err instanceof PowSearchAborted)) throw err
    ctx.stderr.write('Interrupted; no identity written.\n')
    ctx.exitCode = EXIT_INTERRUPTED
  } finally {
    process.removeListener('SIGINT', onSigint)
  }
}

/** The dune-node program with all its commands; errors and help go through `ctx`, never process.exit. */
export function createProgram(ctx: CliContext): Command {
  const program = newProgram('dune-node', ctx).description('a node of the Dune shell peer-to-peer layer')
  addIdentityCommand(program, ctx)
  addConfigCommand(program, ctx)
  addRunCommand(program, ctx)
  addSandboxCommand(program, ctx)
  return program
}

/** Runs dune-node with `argv` (the arguments after the program name) and resolves to the exit code. */
export async function main(
  argv: string[],
  streams: Pick<CliContext, 'stdout' | 'stderr'> = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const ctx: CliContext = { ...streams, exitCode: 0 }
  const code = await runProgram('dune-node', () => createProgram(ctx), argv, ctx.stderr)
  return code === 0 ? ctx.exitCode : code
}

runIfEntryPoint(import.meta.url, main)
