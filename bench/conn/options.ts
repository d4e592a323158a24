// The command-line options of the connection benchmark, their defaults (full and --quick),
// and the fixed shapes of its workloads (message sizes, handshake concurrency).
import { parseArgs } from 'node:util'
import { DRIVER_NAMES, type DriverName, isDriverName } from './drivers.js'
import { BenchOptionsError } from './errors.js'

export const BULK_MESSAGE_BYTES = 64 * 1024
export const SMALL_MESSAGE_BYTES = 100
export const HANDSHAKE_CONCURRENCY = 32
/** Each peer process holds this many sockets at most; the machine allows 20000 open files per process. */
export const MAX_IDLE_CONNECTIONS = 18_000

export interface ConnBenchOptions {
  drivers: DriverName[]
  /** Bytes of the bulk transfer, a whole number of BULK_MESSAGE_BYTES messages. */
  bytes: number
  /** Number of SMALL_MESSAGE_BYTES messages streamed one way. */
  messages: number
  roundTrips: number
  /** Connections set up and closed per handshake measurement. */
  handshakes: number
  /** Connection counts for the idle-memory measurement. */
  idle: number[]
  runs: number
  quick: boolean
  /** Many-peers figure: connection counts (N = 1, the baseline, always first); empty to skip. */
  many: number[]
  /** Many-peers figure: messages per second over all connections together. */
  manyRate: number
  /** Many-peers figure: recorded messages per run, after a tenth as many unrecorded. */
  manyMessages: number
}

const FULL = {
  bytes: 2 ** 30,
  messages: 1_000_000,
  roundTrips: 20_000,
  handshakes: 1_000,
  idle: [1000, 5000],
  runs: 3,
  many: [1, 100, 1000],
  manyRate: 10_000,
  manyMessages: 100_000,
}
const QUICK = {
  bytes: 32 * 2 ** 20,
  messages: 20_000,
  roundTrips: 2_000,
  handshakes: 128,
  idle: [200],
  runs: 1,
  many: [1, 100],
  manyRate: 2_000,
  manyMessages: 1_000,
}

export const USAGE = `usage: npm run bench -- conn [options]
  --drivers LIST     comma-separated, of ${DRIVER_NAMES.join(',')} (default: all)
  --bytes N          bulk transfer size in bytes (default 1 GiB), sent in 64 KiB messages
  --messages N       100-byte messages streamed one way (default 1e6)
  --roundtrips N     100-byte ping-pong round trips, after N/10 untimed (default 10000; --quick 2000)
  --handshakes N     connections set up per handshake measurement, after N/10 untimed (default 1000)
  --idle LIST        idle connection counts for the memory figure (default 1000,5000)
  --many LIST        connection counts for the many-peers figure, N = 1 added as the baseline
                     (default 100,1000; --quick 100; 0 skips the figure)
  --many-rate N      many-peers: 100-byte messages per second over all connections (default 10000; --quick 2000)
  --many-messages N  many-peers: recorded messages per run, after N/10 untimed (default 100000; --quick 1000)
  --runs N           repetitions of each measurement (default 3; round trips compare the fastest run)
  --quick            small sizes and one run (CI); explicit options still apply`

function count(text: string | undefined, fallback: number, name: string, min: number): number {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value < min)
    throw new BenchOptionsError(`--${name} must be an integer >= ${min}`)
  return value
}

/** Parses the arguments after the benchmark name; throws BenchOptionsError with a reason. */
export function parseOptions(args: string[]): ConnBenchOptions {
  let values: Record<string, string | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      args,
      options: {
        drivers: { type: 'string' },
        bytes: { type: 'string' },
        messages: { type: 'string' },
        roundtrips: { type: 'string' },
        handshakes: { type: 'string' },
        idle: { type: 'string' },
        runs: { type: 'string' },
        many: { type: 'string' },
        'many-rate': { type: 'string' },
        'many-messages': { type: 'string' },
        quick: { type: 'boolean' },
      },
    }))
  } catch (err) {
    throw new BenchOptionsError((err as Error).message)
  }
  const text = (name: string): string | undefined => values[name] as string | undefined
  const quick = values.quick === true
  const defaults = quick ? QUICK : FULL
  const drivers = (text('drivers') ?? DRIVER_NAMES.join(',')).split(',').map((d) => d.trim())
  for (const name of drivers) if (!isDriverName(name)) throw new BenchOptionsError(`unknown driver: ${name}`)
  const bytes = count(text('bytes'), defaults.bytes, 'bytes', 2 * BULK_MESSAGE_BYTES)
  const idleText = text('idle')
  const idle =
    idleText === undefined ? defaults.idle : idleText.split(',').map((n) => count(n.trim(), 0, 'idle', 1))
  for (const n of idle) {
    if (n > MAX_IDLE_CONNECTIONS) throw new BenchOptionsError(`--idle ${n} is above ${MAX_IDLE_CONNECTIONS}`)
  }
  const manyText = text('many')
  let many = defaults.many
  if (manyText !== undefined) {
    const counts = manyText.split(',').map((n) => count(n.trim(), 0, 'many', 0))
    for (const n of counts) {
      if (n > MAX_IDLE_CONNECTIONS)
        throw new BenchOptionsError(`--many ${n} is above ${MAX_IDLE_CONNECTIONS}`)
    }
    many = counts.includes(0) ? [] : [...new Set([1, ...counts])].sort((a, b) => a - b)
  }
  return {
    drivers: drivers as DriverName[],
    bytes: Math.ceil(bytes / BULK_MESSAGE_BYTES) * BULK_MESSAGE_BYTES,
    messages: count(text('messages'), defaults.messages, 'messages', 2),
    roundTrips: count(text('roundtrips'), defaults.roundTrips, 'roundtrips', 1),
    handshakes: count(text('handshakes'), defaults.handshakes, 'handshakes', 1),
    idle,
    runs: count(text('runs'), defaults.runs, 'runs', 1),
    quick,
    many,
    manyRate: count(text('many-rate'), defaults.manyRate, 'many-rate', 1),
    manyMessages: count(text('many-messages'), defaults.manyMessages, 'many-messages', 1),
  }
}
