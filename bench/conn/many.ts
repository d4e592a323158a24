// The many-peers workload: N connections between two processes, each carrying 100-byte messages
// at a steady total rate; the receiver measures send-to-receive latency from stamps in the messages.
import type { BenchConnection, Dialer, Driver } from './driver.js'
import { BenchConnectionError } from './errors.js'
import { percentile } from './stats.js'

/** Bytes 0..7: the sender's process.hrtime (CLOCK_MONOTONIC, shared by the processes of a host). */
const STAMP_BYTES = 8
/** Byte 8: 1 for a recorded message, 0 for a warm-up one. */
const RECORDED_AT = STAMP_BYTES
export const MIN_STAMPED_BYTES = STAMP_BYTES + 1
/** How often the sender wakes to send the messages that are due. */
const PACE_TICK_MS = 1
const FILL_BYTE = 0x5a

/** What the receiving process measured over the recorded messages of a paced run. */
export interface PacedReceiverReport {
  received: number
  /** From the first recorded message to the last. */
  firstToLastNs: number
  /** CPU time (user and system, every thread) of the receiving process over that interval. */
  cpuNs: number
  p50Us: number
  p90Us: number
  p99Us: number
}

/** The receiving side, one per process: every stamped connection feeds it. */
class PacedCollector {
  private expected = 0
  private received = 0
  private micros = new Float64Array(0)
  private firstNs = 0n
  private lastNs = 0n
  private cpuAtFirst = process.cpuUsage()
  private cpuNs = 0

  /** Forgets the previous run; the next `expected` recorded messages make the report. */
  reset(expected: number): void {
    this.expected = expected
    this.received = 0
    this.micros = new Float64Array(expected)
    this.cpuNs = 0
  }

  onMessage(message: Buffer): void {
    if (message.length < MIN_STAMPED_BYTES || message[RECORDED_AT] !== 1) return
    if (this.received >= this.expected) return
    const now = process.hrtime.bigint()
    const sentAt = message.readBigUInt64LE(0)
    if (this.received === 0) {
      this.firstNs = now
      this.cpuAtFirst = process.cpuUsage()
    }
    this.micros[this.received++] = Number(now - sentAt) / 1000
    if (this.received === this.expected) {
      this.lastNs = now
      const cpu = process.cpuUsage(this.cpuAtFirst)
      this.cpuNs = (cpu.user + cpu.system) * 1000
    }
  }

  /** The figures once every expected message arrived, else undefined (the caller polls). */
  report(): PacedReceiverReport | undefined {
    if (this.received < this.expected) return undefined
    const sorted = this.micros.slice(0, this.received).sort()
    return {
      received: this.received,
      firstToLastNs: Number(this.lastNs - this.firstNs),
      cpuNs: this.cpuNs,
      p50Us: percentile(sorted, 50),
      p90Us: percentile(sorted, 90),
      p99Us: percentile(sorted, 99),
    }
  }

  /** How many recorded messages arrived so far. */
  progress(): number {
    return this.received
  }
}

export const pacedCollector = new PacedCollector()

export interface PacedSenderResult {
  /** Recorded messages sent. */
  sent: number
  /** From the first recorded send to the last. */
  firstToLastNs: number
  /** CPU time of the sending process over that interval. */
  cpuNs: number
}

export interface PacedRequest {
  address: string
  connections: number
  /** Messages per second over all connections together. */
  rate: number
  /** Recorded messages, after `warmup` unrecorded ones at the same pace. */
  messages: number
  warmup: number
  size: number
  /** Dialers opening the connections in parallel. */
  lanes: number
}

function stamped(size: number, recorded: boolean): Buffer {
  const message = Buffer.allocUnsafe(size)
  message.fill(FILL_BYTE, MIN_STAMPED_BYTES)
  message.writeBigUInt64LE(process.hrtime.bigint(), 0)
  message[RECORDED_AT] = recorded ? 1 : 0
  return message
}

/**
 * Opens `connections` connections over `lanes` dialers, sends each the `stamped` command, then
 * sends `warmup + messages` messages round-robin over them at `rate` per second in total
 * (a 1 ms pacing tick sends what is due). The connections stay open until closePaced.
 */
export async function sendPaced(
  driver: Driver,
  request: PacedRequest,
  stampedCommand: Buffer,
): Promise<PacedSenderResult> {
  const { address, connections: count, rate, messages, warmup, size } = request
  if (size < MIN_STAMPED_BYTES)
    throw new BenchConnectionError(`paced messages need ${MIN_STAMPED_BYTES} bytes`)
  const lanes = Math.max(1, Math.min(request.lanes, count))
  const dialers: Dialer[] = await Promise.all(Array.from({ length: lanes }, () => driver.createDialer()))
  const connections: BenchConnection[] = []
  held.push({ dialers, connections })
  try {
    let started = 0
    await Promise.all(
      dialers.map(async (dialer) => {
        while (started < count) {
          started += 1
          const connection = await dialer.dial(address)
          connection.onMessage(() => {})
          connections.push(connection)
        }
      }),
    )
    for (const connection of connections) {
      const accepted = connection.send(stampedCommand)
      if (accepted !== undefined) await accepted
    }
    const total = warmup + messages
    let sent = 0
    let next = 0
    let firstNs = 0n
    let cpuAtFirst = process.cpuUsage()
    const begin = process.hrtime.bigint()
    while (sent < total) {
      const due = Math.min(total, Math.floor((Number(process.hrtime.bigint() - begin) / 1e9) * rate) + 1)
      const waits: Promise<void>[] = []
      while (sent < due) {
        const recorded = sent >= warmup
        if (recorded && sent === warmup) {
          firstNs = process.hrtime.bigint()
          cpuAtFirst = process.cpuUsage()
        }
        const accepted = connections[next]!.send(stamped(size, recorded))
        if (accepted !== undefined) waits.push(accepted)
        next = next + 1 === connections.length ? 0 : next + 1
        sent += 1
      }
      if (waits.length > 0) await Promise.all(waits)
      if (sent < total) await new Promise((resolve) => setTimeout(resolve, PACE_TICK_MS))
    }
    const firstToLastNs = Number(process.hrtime.bigint() - firstNs)
    const cpu = process.cpuUsage(cpuAtFirst)
    return { sent: messages, firstToLastNs, cpuNs: (cpu.user + cpu.system) * 1000 }
  } catch (err) {
    await closePaced()
    throw err
  }
}

/** The connections of paced runs, open until closePaced (so the receiver gets every message). */
const held: { dialers: Dialer[]; connections: BenchConnection[] }[] = []

/** Closes the connections and dialers of every paced run of this process. */
export async function closePaced(): Promise<void> {
  const runs = held.splice(0)
  for (const { dialers, connections } of runs) {
    await Promise.all(connections.map((c) => c.close()))
    await Promise.all(dialers.map((d) => d.close()))
  }
}
