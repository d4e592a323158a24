// The figures of one driver: throughput, message rate, round trips and handshake rates over
// one listener/dialer pair of processes, then idle memory over a fresh pair per count.
import type { DriverName } from './drivers.js'
import { BenchPeerError, DriverUnavailableError } from './errors.js'
import { PeerProcess } from './ipc.js'
import {
  BULK_MESSAGE_BYTES,
  type ConnBenchOptions,
  HANDSHAKE_CONCURRENCY,
  SMALL_MESSAGE_BYTES,
} from './options.js'
import { type Summary, summarize } from './stats.js'
import { type ManyFigures, measureMany } from './suite-many.js'

/** Dialers opening the idle connections in parallel (not timed). */
const IDLE_DIAL_LANES = 16
/** Connections opened before the first memory reading of an idle measurement (not counted). */
export const IDLE_WARMUP = 32
/**
 * Node flags of the idle-memory peers, for every driver: V8 grows its young generation up to
 * 16 MiB per semi-space during the burst of connection set-ups and keeps it committed, a fixed
 * cost that would count as up to 32 KiB per connection at N = 1000. Capped, RSS measures the connections.
 */
export const IDLE_NODE_FLAGS = ['--max-semi-space-size=1'] as const

export interface DriverFigures {
  bulk: { messageBytes: number; messages: number; receiverMBps: Summary; endToEndMBps: Summary } & CpuFigures
  messages: {
    messageBytes: number
    messages: number
    receiverPerSec: Summary
    endToEndPerSec: Summary
  } & CpuFigures
  pingPong: {
    messageBytes: number
    roundTrips: number
    medianUs: Summary
    p99Us: Summary
    /**
     * The lowest of the runs' medians: round trips on a loaded 2-core machine are bimodal (a run's
     * median is about 20 or about 95 us depending on where the processes land), so drivers are
     * compared by their fastest run.
     */
    fastestRunMedianUs: number
  }
  handshakes: { count: number; sequentialPerSec: Summary; concurrency: number; concurrentPerSec: Summary }
  /** Keyed by the number of open connections. */
  idle: Record<string, IdleFigures>
  /** Many peers at once, keyed by the number of connections carrying paced messages. */
  many: Record<string, ManyFigures>
}

/** CPU of each process, in cores: its CPU time (every thread) over its own timed interval. */
export interface CpuFigures {
  receiverCpuCores: Summary
  senderCpuCores: Summary
}

export interface IdleFigures {
  listenerRssBytesPerConnection: Summary
  dialerRssBytesPerConnection: Summary
  listenerHeapBytesPerConnection: Summary
  dialerHeapBytesPerConnection: Summary
}

export type DriverOutcome = DriverFigures | { skipped: string } | { error: string }

type Progress = (line: string) => void

export async function withPair<T>(
  driver: DriverName,
  use: (listener: PeerProcess, dialer: PeerProcess) => Promise<T>,
  nodeFlags: readonly string[] = [],
): Promise<T> {
  const started = await Promise.allSettled([
    PeerProcess.spawn(driver, 'listener', nodeFlags),
    PeerProcess.spawn(driver, 'dialer', nodeFlags),
  ])
  try {
    const [listener, dialer] = started.map((s) => {
      if (s.status === 'rejected') throw s.reason
      return s.value
    }) as [PeerProcess, PeerProcess]
    return await use(listener, dialer)
  } finally {
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.kill() : undefined)))
  }
}

const perSecond = (events: number, ns: number): number => events / (ns / 1e9)
const megabytesPerSecond = (bytes: number, ns: number): number => bytes / 1e6 / (ns / 1e9)

async function measureTraffic(
  driver: DriverName,
  options: ConnBenchOptions,
  timeoutMs: number,
  progress: Progress,
): Promise<Omit<DriverFigures, 'idle' | 'many'>> {
  const bulkMessages = options.bytes / BULK_MESSAGE_BYTES
  // Untimed handshakes first, so that the figure is the steady state rather than JIT warm-up.
  const handshakeWarmup = Math.ceil(options.handshakes / 10)
  const samples: Record<string, number[]> = {}
  const add = (key: string, value: number): number => {
    samples[key] ??= []
    samples[key].push(value)
    return value
  }
  await withPair(driver, async (listener, dialer) => {
    const address = listener.address
    for (let run = 1; run <= options.runs; run++) {
      const tag = `${driver} run ${run}/${options.runs}`
      const bulk = await dialer.request(
        { cmd: 'stream', address, size: BULK_MESSAGE_BYTES, count: bulkMessages },
        timeoutMs,
      )
      const mbps = add('bulkReceiver', megabytesPerSecond(bulk.bytesAfterFirst, bulk.firstToLastNs))
      add('bulkEndToEnd', megabytesPerSecond(options.bytes, bulk.endToEndNs))
      const receiverCores = add('bulkReceiverCpu', bulk.cpuNs / bulk.firstToLastNs)
      const senderCores = add('bulkSenderCpu', bulk.senderCpuNs / bulk.endToEndNs)
      progress(
        `${tag}: bulk ${mbps.toFixed(1)} MB/s, receiver ${receiverCores.toFixed(2)} cores, sender ${senderCores.toFixed(2)} cores`,
      )

      const small = await dialer.request(
        { cmd: 'stream', address, size: SMALL_MESSAGE_BYTES, count: options.messages },
        timeoutMs,
      )
      const rate = add('messagesReceiver', perSecond(options.messages - 1, small.firstToLastNs))
      add('messagesEndToEnd', perSecond(options.messages, small.endToEndNs))
      add('messagesReceiverCpu', small.cpuNs / small.firstToLastNs)
      add('messagesSenderCpu', small.senderCpuNs / small.endToEndNs)
      progress(`${tag}: ${Math.round(rate)} messages/s`)

      const warmup = Math.ceil(options.roundTrips / 10)
      const rtt = await dialer.request(
        { cmd: 'pingpong', address, size: SMALL_MESSAGE_BYTES, roundTrips: options.roundTrips, warmup },
        timeoutMs,
      )
      add('rttMedian', rtt.medianUs)
      add('rttP99', rtt.p99Us)
      progress(`${tag}: round trip median ${rtt.medianUs.toFixed(1)} us, p99 ${rtt.p99Us.toFixed(1)} us`)

      for (const concurrency of [1, HANDSHAKE_CONCURRENCY]) {
        const { elapsedNs } = await dialer.request(
          { cmd: 'handshakes', address, count: options.handshakes, concurrency, warmup: handshakeWarmup },
          timeoutMs,
        )
        const handshakesPerSec = add(`handshakes${concurrency}`, perSecond(options.handshakes, elapsedNs))
        progress(`${tag}: ${Math.round(handshakesPerSec)} handshakes/s, ${concurrency} at a time`)
      }
    }
  })
  progress(
    `${driver}: round trip median of the fastest run ${Math.min(...(samples.rttMedian ?? [])).toFixed(1)} us over ${options.runs} runs (round trips are bimodal here: drivers are compared by their fastest run${options.runs < 5 ? '; use --runs 5 or more' : ''})`,
  )
  return {
    bulk: {
      messageBytes: BULK_MESSAGE_BYTES,
      messages: bulkMessages,
      receiverMBps: summarize(samples.bulkReceiver ?? [], 1),
      endToEndMBps: summarize(samples.bulkEndToEnd ?? [], 1),
      receiverCpuCores: summarize(samples.bulkReceiverCpu ?? [], 2),
      senderCpuCores: summarize(samples.bulkSenderCpu ?? [], 2),
    },
    messages: {
      messageBytes: SMALL_MESSAGE_BYTES,
      messages: options.messages,
      receiverPerSec: summarize(samples.messagesReceiver ?? [], 0),
      endToEndPerSec: summarize(samples.messagesEndToEnd ?? [], 0),
      receiverCpuCores: summarize(samples.messagesReceiverCpu ?? [], 2),
      senderCpuCores: summarize(samples.messagesSenderCpu ?? [], 2),
    },
    pingPong: {
      messageBytes: SMALL_MESSAGE_BYTES,
      roundTrips: options.roundTrips,
      medianUs: summarize(samples.rttMedian ?? [], 1),
      p99Us: summarize(samples.rttP99 ?? [], 1),
      fastestRunMedianUs: Number(Math.min(...(samples.rttMedian ?? [])).toFixed(1)),
    },
    handshakes: {
      count: options.handshakes,
      sequentialPerSec: summarize(samples.handshakes1 ?? [], 0),
      concurrency: HANDSHAKE_CONCURRENCY,
      concurrentPerSec: summarize(samples[`handshakes${HANDSHAKE_CONCURRENCY}`] ?? [], 0),
    },
  }
}

async function waitForListener(listener: PeerProcess, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const open = await listener.request({ cmd: 'connections' }, timeoutMs)
    if (open === count) return
    if (Date.now() > deadline)
      throw new BenchPeerError(`listener holds ${open} connections, expected ${count}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function measureIdle(
  driver: DriverName,
  options: ConnBenchOptions,
  timeoutMs: number,
  progress: Progress,
): Promise<Record<string, IdleFigures>> {
  const settleMs = options.quick ? 500 : 2000
  const figures: Record<string, IdleFigures> = {}
  for (const count of options.idle) {
    const samples = {
      listenerRss: [] as number[],
      dialerRss: [] as number[],
      listenerHeap: [] as number[],
      dialerHeap: [] as number[],
    }
    for (let run = 1; run <= options.runs; run++) {
      progress(`${driver} idle ${count} run ${run}/${options.runs}: opening ${count} connections`)
      await withPair(
        driver,
        async (listener, dialer) => {
          // Warm-up connections first, so one-time costs (compiled code, pools) stay out of the figure.
          await dialer.request(
            {
              cmd: 'idle',
              address: listener.address,
              count: IDLE_WARMUP,
              lanes: IDLE_DIAL_LANES,
              settleMs: 0,
            },
            timeoutMs,
          )
          await waitForListener(listener, IDLE_WARMUP, timeoutMs)
          const listenerBefore = await listener.request({ cmd: 'memory' }, timeoutMs)
          const dialed = await dialer.request(
            { cmd: 'idle', address: listener.address, count, lanes: IDLE_DIAL_LANES, settleMs },
            timeoutMs,
          )
          await waitForListener(listener, IDLE_WARMUP + count, timeoutMs)
          const listenerAfter = await listener.request({ cmd: 'memory' }, timeoutMs)
          if (dialed.open !== count)
            throw new BenchPeerError(`dialer holds ${dialed.open} connections, expected ${count}`)
          samples.listenerRss.push((listenerAfter.rss - listenerBefore.rss) / count)
          samples.dialerRss.push((dialed.after.rss - dialed.before.rss) / count)
          samples.listenerHeap.push((listenerAfter.heapUsed - listenerBefore.heapUsed) / count)
          samples.dialerHeap.push((dialed.after.heapUsed - dialed.before.heapUsed) / count)
        },
        IDLE_NODE_FLAGS,
      )
      const kib = (bytes: number | undefined): string => ((bytes ?? 0) / 1024).toFixed(1)
      progress(
        `${driver} idle ${count} run ${run}/${options.runs}: RSS per connection listener ${kib(samples.listenerRss.at(-1))} KiB, dialer ${kib(samples.dialerRss.at(-1))} KiB`,
      )
    }
    figures[String(count)] = {
      listenerRssBytesPerConnection: summarize(samples.listenerRss ?? [], 0),
      dialerRssBytesPerConnection: summarize(samples.dialerRss ?? [], 0),
      listenerHeapBytesPerConnection: summarize(samples.listenerHeap ?? [], 0),
      dialerHeapBytesPerConnection: summarize(samples.dialerHeap ?? [], 0),
    }
  }
  return figures
}

/** All figures of one driver; a driver that cannot run is skipped, one that fails is reported. */
export async function benchDriver(
  driver: DriverName,
  options: ConnBenchOptions,
  progress: Progress,
): Promise<DriverOutcome> {
  const timeoutMs = options.quick ? 120_000 : 900_000
  try {
    const traffic = await measureTraffic(driver, options, timeoutMs, progress)
    const many =
      options.many.length === 0
        ? {}
        : await withPair(driver, (listener, dialer) =>
            measureMany(driver, options, { listener, dialer }, timeoutMs, progress),
          )
    const idle = await measureIdle(driver, options, timeoutMs, progress)
    return { ...traffic, many, idle }
  } catch (err) {
    if (err instanceof DriverUnavailableError) {
      progress(`${driver} skipped: ${err.message}`)
      return { skipped: err.message }
    }
    const message = err instanceof Error ? err.message : String(err)
    progress(`${driver} failed: ${message}`)
    return { error: message }
  }
}
