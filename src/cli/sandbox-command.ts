// `dune-node sandbox`: the quick start's local network of dune-nodes (see node/sandbox.ts),
// stopped by Ctrl-C or SIGTERM with a Disconnect to every peer, or after --duration seconds.
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { type Command, InvalidArgumentError } from 'commander'
import { runSandbox } from '../node/sandbox.js'
import type { CliContext } from './cli-context.js'

function count(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected a number from ${min} to ${max}`)
    return n
  }
}

export function addSandboxCommand(program: Command, ctx: CliContext): void {
  program
    .command('sandbox')
    .description('run a local network of nodes on 127.0.0.1 with fresh identities (Ctrl-C stops it)')
    .option('--nodes <N>', 'how many nodes', count(2, 64), 8)
    .option('--base-dir <DIR>', 'where the nodes keep their data', join(tmpdir(), 'dune-sandbox'))
    .option('--pow <BITS>', 'proof of work of the fresh identities', count(0, 20), 8)
    .option(
      '--gossip-every <SECONDS>',
      'seconds between two demo gossip messages of a node (0: none)',
      count(0, 3600),
      2,
    )
    .option('--connections <N>', 'connections each node aims at (min N/2, max 3N/2)', count(1, 64), 4)
    .option('--duration <SECONDS>', 'stop after this many seconds (0: run until Ctrl-C)', count(0, 86400), 0)
    .action(
      async (options: {
        nodes: number
        baseDir: string
        pow: number
        gossipEvery: number
        connections: number
        duration: number
      }) => {
        const stop = new AbortController()
        const onSignal = (): void => stop.abort()
        process.once('SIGINT', onSignal)
        process.once('SIGTERM', onSignal)
        try {
          const result = await runSandbox(
            {
              nodes: options.nodes,
              baseDir: resolve(options.baseDir),
              powBits: options.pow,
              gossipEverySeconds: options.gossipEvery,
              connections: options.connections,
              durationSeconds: options.duration,
            },
            ctx.stdout,
            stop.signal,
          )
          ctx.stdout.write(
            `Stopped: ${result.connections} connections closed, ${result.messages} gossip messages received in all\n`,
          )
        } finally {
          process.removeListener('SIGINT', onSignal)
          process.removeListener('SIGTERM', onSignal)
        }
      },
    )
}
