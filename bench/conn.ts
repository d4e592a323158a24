// Connection benchmark: raw TCP, js-libp2p and dune-p2p connections side by side (throughput,
// message rate, round trips, handshakes, idle memory). One JSON document on stdout, progress on stderr.
import { arch, cpus, loadavg, platform } from 'node:os'
import { killAllPeers } from './conn/ipc.js'
import { parseOptions, USAGE } from './conn/options.js'
import { duneRatios, manyScaling } from './conn/ratios.js'
import { benchScheduler } from './conn/scheduler.js'
import { benchDriver, type DriverOutcome, IDLE_NODE_FLAGS, IDLE_WARMUP } from './conn/suite.js'

const args = process.argv.slice(2)
if (args.includes('--help')) {
  console.error(USAGE)
  process.exit(0)
}
let options: ReturnType<typeof parseOptions>
try {
  options = parseOptions(args)
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`)
  process.exit(2)
}

process.on('exit', killAllPeers)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130))

const progress = (line: string): void => console.error(`[conn] ${line}`)
const started = Date.now()
const loadAtStart = loadavg()
const drivers: Record<string, DriverOutcome> = {}
for (const name of options.drivers) drivers[name] = await benchDriver(name, options, progress)
const scheduler = options.drivers.includes('dune') ? await benchScheduler(options.quick, progress) : undefined

const document = {
  benchmark: 'conn',
  date: new Date(started).toISOString(),
  seconds: Math.round((Date.now() - started) / 1000),
  node: process.version,
  platform: `${platform()} ${arch()}`,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  /** 1, 5 and 15-minute load averages: other work on the machine skews the figures. */
  loadAverage: { start: loadAtStart, end: loadavg() },
  options,
  units: {
    MBps: '10^6 bytes per second; receiver: first to last message on the receiver, endToEnd: first send to the receiver report',
    perSec: 'events per second, median over runs',
    Us: 'microseconds',
    fastestRunMedianUs:
      'round trips: the lowest median over the runs; round trips on this machine are bimodal (a run is either about 20 or about 95 us, by where the processes land on the cores), so drivers are compared by their fastest run',
    cpuPerMessageUs:
      'many peers: CPU time of both processes (sender: first to last send; receiver: first to last message) per delivered message, in microseconds',
    latencyUs:
      'many peers: send to receive, from a process.hrtime stamp in each message (one host, one monotonic clock)',
    CpuCores:
      "a process's CPU time (user and system, every thread) over its own interval: the receiver's first to last message, the sender's first send to the report",
    BytesPerConnection: `memory growth of one process after garbage collection, divided by the connections opened after ${IDLE_WARMUP} warm-up ones; peers run with ${IDLE_NODE_FLAGS.join(' ')}`,
  },
  drivers,
  ratios: duneRatios(drivers),
  /** Many peers at once: each driver's figures at N connections over its own at N = 1. */
  manyScaling: manyScaling(drivers),
  /** The I/O scheduler over dune connections in this process (loopback, limits far below the link). */
  scheduler,
}
process.stdout.write(`${JSON.stringify(document, null, 2)}\n`)
