// The many-peers figure of one driver: for each connection count N, one pair of processes
// carries paced 100-byte messages over N connections; CPU per message and latency percentiles.
import type { DriverName } from './drivers.js'
import { BenchPeerError } from './errors.js'
import type { PeerProcess } from './ipc.js'
import type { PacedReceiverReport } from './many.js'
import { type ConnBenchOptions, SMALL_MESSAGE_BYTES } from './options.js'
import { type Summary, summarize } from './stats.js'

/** Dialers opening the connections in parallel (not timed). */
const MANY_DIAL_LANES = 16
const POLL_MS = 50

export interface ManyFigures {
  connections: number
  messageBytes: number
  /** Offered messages per second, over all connections together. */
  rate: number
  messages: number
  /** Both processes' CPU time (the sender's first to last send, the receiver's first to last message) per message. */
  cpuPerMessageUs: Summary
  /** The sending process's share of cpuPerMessageUs. */
  senderCpuPerMessageUs: Summary
  /** The receiving process's share of cpuPerMessageUs. */
  receiverCpuPerMessageUs: Summary
  receiverPerSec: Summary
  latencyP50Us: Summary
  latencyP90Us: Summary
  latencyP99Us: Summary
}

type Progress = (line: string) => void

async function waitForReport(listener: PeerProcess, timeoutMs: number): Promise<PacedReceiverReport> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const { received, report } = await listener.request({ cmd: 'pacedReport' }, timeoutMs)
    if (report !== undefined) return report
    if (Date.now() > deadline) throw new BenchPeerError(`listener received ${received} paced messages only`)
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

async function waitForConnections(listener: PeerProcess, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const open = await listener.request({ cmd: 'connections' }, timeoutMs)
    if (open === count) return
    if (Date.now() > deadline)
      throw new BenchPeerError(`listener holds ${open} connections, expected ${count}`)
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

/** Runs every count of options.many, options.runs times, over the given pair of processes. */
export async function measureMany(
  driver: DriverName,
  options: ConnBenchOptions,
  pair: { listener: PeerProcess; dialer: PeerProcess },
  timeoutMs: number,
  progress: Progress,
): Promise<Record<string, ManyFigures>> {
  const { listener, dialer } = pair
  const figures: Record<string, ManyFigures> = {}
  const messages = options.manyMessages
  for (const connections of options.many) {
    const samples = {
      cpu: [] as number[],
      senderCpu: [] as number[],
      receiverCpu: [] as number[],
      rate: [] as number[],
      p50: [] as number[],
      p90: [] as number[],
      p99: [] as number[],
    }
    for (let run = 1; run <= options.runs; run++) {
      await listener.request({ cmd: 'pacedExpect', messages }, timeoutMs)
      const sender = await dialer.request(
        {
          cmd: 'paced',
          address: listener.address,
          connections,
          rate: options.manyRate,
          messages,
          warmup: Math.ceil(messages / 10),
          size: SMALL_MESSAGE_BYTES,
          lanes: MANY_DIAL_LANES,
        },
        timeoutMs,
      )
      const receiver = await waitForReport(listener, timeoutMs)
      await dialer.request({ cmd: 'pacedClose' }, timeoutMs)
      await waitForConnections(listener, 0, timeoutMs)
      const senderUs = sender.cpuNs / 1000 / receiver.received
      const receiverUs = receiver.cpuNs / 1000 / receiver.received
      const cpuUs = senderUs + receiverUs
      samples.cpu.push(cpuUs)
      samples.senderCpu.push(senderUs)
      samples.receiverCpu.push(receiverUs)
      samples.rate.push((receiver.received - 1) / (receiver.firstToLastNs / 1e9))
      samples.p50.push(receiver.p50Us)
      samples.p90.push(receiver.p90Us)
      samples.p99.push(receiver.p99Us)
      progress(
        `${driver} many ${connections} run ${run}/${options.runs}: ${cpuUs.toFixed(2)} us CPU per message, latency p50 ${receiver.p50Us.toFixed(0)} p99 ${receiver.p99Us.toFixed(0)} us`,
      )
    }
    figures[String(connections)] = {
      connections,
      messageBytes: SMALL_MESSAGE_BYTES,
      rate: options.manyRate,
      messages,
      cpuPerMessageUs: summarize(samples.cpu, 3),
      senderCpuPerMessageUs: summarize(samples.senderCpu, 3),
      receiverCpuPerMessageUs: summarize(samples.receiverCpu, 3),
      receiverPerSec: summarize(samples.rate, 0),
      latencyP50Us: summarize(samples.p50, 1),
      latencyP90Us: summarize(samples.p90, 1),
      latencyP99Us: summarize(samples.p99, 1),
    }
  }
  return figures
}
