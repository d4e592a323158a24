// The benchmark's own messages on a connection: the dialer's opening command (what the
// listener does with the messages that follow) and the listener's report after a sink.
import { BenchConnectionError } from './errors.js'

/**
 * `sink`: count `messages` messages, then send a SinkReport. `echo`: send every message back.
 * `stamped`: pass every message to the process's paced collector (bench/conn/many.ts).
 */
export type Command = { mode: 'sink'; messages: number } | { mode: 'echo' } | { mode: 'stamped' }

/** Timings taken by the receiving side of a sink, on its own clock. */
export interface SinkReport {
  /** From the arrival of the first message to that of the last. */
  firstToLastNs: number
  /** Bytes received in that interval: every message but the first. */
  bytesAfterFirst: number
  /** CPU time (user and system, every thread) of the receiving process over that interval. */
  cpuNs: number
}

export function encodeCommand(command: Command): Buffer {
  return Buffer.from(JSON.stringify(command))
}

export function decodeCommand(message: Buffer): Command {
  const value = parseJson(message, 'command')
  if (value.mode === 'echo') return { mode: 'echo' }
  if (value.mode === 'stamped') return { mode: 'stamped' }
  if (value.mode === 'sink' && Number.isSafeInteger(value.messages) && (value.messages as number) > 0) {
    return { mode: 'sink', messages: value.messages as number }
  }
  throw new BenchConnectionError(`not a benchmark command: ${message.toString('utf8', 0, 80)}`)
}

export function encodeReport(report: SinkReport): Buffer {
  return Buffer.from(JSON.stringify(report))
}

export function decodeReport(message: Buffer): SinkReport {
  const value = parseJson(message, 'report')
  const { firstToLastNs, bytesAfterFirst, cpuNs } = value
  if (typeof firstToLastNs === 'number' && typeof bytesAfterFirst === 'number' && typeof cpuNs === 'number') {
    return { firstToLastNs, bytesAfterFirst, cpuNs }
  }
  throw new BenchConnectionError(`not a sink report: ${message.toString('utf8', 0, 80)}`)
}

function parseJson(message: Buffer, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(message.toString('utf8'))
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>
  } catch (err) {
    throw new BenchConnectionError(`${what} is not JSON`, { cause: err })
  }
  throw new BenchConnectionError(`${what} is not a JSON object`)
}
