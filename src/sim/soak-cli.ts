// `npm run soak -- --minutes N`: the soak run from the command line; prints the verdict and the
// report's path, exits 0 when memory and handles stayed flat after the warm-up, 1 when not, 2 on failure.

import { join } from 'node:path'
import { Command, CommanderError } from 'commander'
import { numberIn } from './number-option.js'
import { runSoak } from './soak.js'

const program = new Command('soak')
  .exitOverride()
  .description(
    'soak run: N real nodes with gossip and churn in this process; RSS and handles over time, judged flat or not',
  )
  .option('--minutes <n>', 'how long to run, warm-up included', numberIn('minutes', 0.1, 10_080, false), 30)
  .option('--nodes <n>', 'number of nodes', numberIn('nodes', 2, 1000, true), 50)
  .option(
    '--churn-every <s>',
    'seconds between churn events (a node stopped, then started from its data dir or, every other time, as a fresh identity); 0: none',
    numberIn('churn-every', 0, 86_400, false),
    5,
  )
  .option(
    '--fresh-every <n>',
    'every n-th churn event brings the node back as a fresh identity (2: alternately; 0: never)',
    numberIn('fresh-every', 0, 1_000_000, true),
    2,
  )
  .option(
    '--gossip-every <s>',
    'seconds between two gossip messages of each node; 0: none',
    numberIn('gossip-every', 0, 86_400, false),
    10,
  )
  .option('--sample-every <s>', 'seconds between samples', numberIn('sample-every', 0.1, 3600, false), 5)
  .option(
    '--warmup-minutes <n>',
    'minutes shown but not judged',
    numberIn('warmup-minutes', 0, 10_080, false),
    5,
  )
  .option(
    '--seen-capacity <n>',
    "message ids each node's gossip remembers (filled during the warm-up)",
    numberIn('seen-capacity', 1, 1_000_000, true),
    1000,
  )
  .option('--no-gc', 'sample without a full garbage collection first (RSS and heap then follow the sawtooth)')
  .option(
    '--malloc-trim-every <s>',
    "seconds between two calls of glibc's malloc_trim(0), recording the RSS each gives back (what the allocator kept but did not use); 0: never",
    numberIn('malloc-trim-every', 0, 86_400, false),
    0,
  )
  .option('--connections <n>', "each node's --connections", numberIn('connections', 2, 1000, true), 8)
  .option('--out <dir>', 'folder for soak-report.json and soak-chart.svg', 'reports/soak')
  .action(async (opts) => {
    const abort = new AbortController()
    process.once('SIGINT', () => {
      console.error('soak: interrupted; stopping the nodes and writing the report')
      abort.abort()
    })
    const report = await runSoak({
      nodes: opts.nodes,
      durationMs: opts.minutes * 60_000,
      warmupMs: opts.warmupMinutes * 60_000,
      churnEveryMs: opts.churnEvery * 1000,
      freshIdentityEvery: opts.freshEvery,
      gossipEveryMs: opts.gossipEvery * 1000,
      sampleEveryMs: opts.sampleEvery * 1000,
      connections: opts.connections,
      seenCapacity: opts.seenCapacity,
      gcBeforeSample: opts.gc,
      mallocTrimEveryMs: opts.mallocTrimEvery * 1000,
      out: opts.out,
      signal: abort.signal,
      log: (line) => console.error(`soak: ${line}`),
    })
    const { samples: _samples, ...summary } = report
    console.log(JSON.stringify(summary, null, 2))
    const path = join(opts.out, 'soak-report.json')
    const flat = report.verdict?.flat ?? false
    console.log(
      `soak: ${flat ? 'flat' : 'NOT flat'}; report ${path}, chart ${join(opts.out, 'soak-chart.svg')}`,
    )
    process.exitCode = flat ? 0 : 1
  })

try {
  await program.parseAsync()
} catch (err) {
  if (err instanceof CommanderError) {
    // commander has printed the problem (or the help, exit code 0)
    process.exitCode = err.exitCode === 0 ? 0 : 2
  } else {
    console.error(`soak: ${err instanceof Error ? err.message : String(err)}`)
    process.exitCode = 2
  }
}
