// `npm run sim`: runs the network simulation (or, with --attack, the slot attack scenario) from
// the command line and prints a summary; the full report (and the chart) go to --out.
import { Command } from 'commander'
import { runAttack } from './attack.js'
import { numberIn } from './number-option.js'
import { runSimulation } from './simulation.js'

const program = new Command('sim')
  .description('maintenance simulation: N real nodes on 127.x.y.z in this process')
  .option('--nodes <n>', 'number of nodes', numberIn('nodes', 2, 2000, true), 20)
  .option('--duration <s>', 'how long to run, seconds', numberIn('duration', 1, 86_400, false), 30)
  .option('--churn <f>', 'fraction killed and restarted half way', numberIn('churn', 0, 1, false), 0.2)
  .option('--seed <x>', 'seed of the churn choice', numberIn('seed', 0, 2 ** 32 - 1, true), 1)
  .option('--connections <n>', "each node's --connections", numberIn('connections', 2, 1000, true), 6)
  .option('--out <dir>', 'folder for report.json and chart.svg', 'reports/sim')
  .option(
    '--attack <f>',
    'attack scenario: this fraction of the nodes, all in 127.66/16, keep dialing one honest node (each honest node in its own /16, --connections default 20)',
    numberIn('attack', 0.01, 0.99, false),
  )
  .action(async (opts) => {
    if (opts.attack !== undefined) {
      const attackers = Math.round(opts.attack * opts.nodes)
      const report = await runAttack({
        honest: Math.min(150, opts.nodes - attackers),
        attackers,
        durationMs: opts.duration * 1000,
        ...(program.getOptionValueSource('connections') === 'cli' ? { connections: opts.connections } : {}),
        out: opts.out,
        log: (line) => console.error(`sim: ${line}`),
      })
      console.log(JSON.stringify(report, null, 2))
      return
    }
    const report = await runSimulation({
      nodes: opts.nodes,
      durationMs: opts.duration * 1000,
      churn: opts.churn,
      seed: opts.seed,
      connections: opts.connections,
      out: opts.out,
      log: (line) => console.error(`sim: ${line}`),
    })
    const { samples: _samples, ...summary } = report
    console.log(JSON.stringify(summary, null, 2))
  })

await program.parseAsync()
