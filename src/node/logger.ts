// The daemon's structured logs: pino writing JSON lines, or, on a terminal, one readable line
// per record (time, level, message, then the fields as key=value).
import { pino } from 'pino'

/** Where log lines go: a stream with `write` (stdout by default). */
export interface LogDestination {
  write(text: string): unknown
  readonly isTTY?: boolean
}

export interface LoggerOptions {
  /** pino's level name (trace … fatal, or silent). */
  readonly level: string
  /** Where to write (default process.stdout). */
  readonly destination?: LogDestination
  /** Readable lines instead of JSON; default: whether the destination is a terminal. */
  readonly pretty?: boolean
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
}
const LEVEL_COLORS: Record<number, string> = { 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[31m' }
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname'])

/** One pino JSON line as a readable line: `12:00:01.234 INFO  message key=value ...`. */
export function prettyLine(json: string, color: boolean): string {
  let record: Record<string, unknown>
  try {
    record = JSON.parse(json) as Record<string, unknown>
  } catch {
    return json
  }
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 23) : ''
  const level = typeof record.level === 'number' ? record.level : 30
  const name = LEVEL_NAMES[level] ?? String(level)
  const fields = Object.entries(record)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
  const paint =
    color && LEVEL_COLORS[level] ? (s: string) => `${LEVEL_COLORS[level]}${s}\x1b[0m` : (s: string) => s
  const msg = typeof record.msg === 'string' ? record.msg : ''
  return `${time} ${paint(name)} ${msg}${fields.length > 0 ? `  ${fields.join(' ')}` : ''}\n`
}

/** A pino logger: JSON lines, or readable lines when `pretty` (default: on a terminal). */
export function createLogger(options: LoggerOptions): pino.Logger {
  const destination = options.destination ?? process.stdout
  const pretty = options.pretty ?? destination.isTTY === true
  const stream = pretty
    ? { write: (line: string) => destination.write(prettyLine(line, destination.isTTY === true)) }
    : { write: (line: string) => destination.write(line) }
  return pino({ level: options.level, base: null }, stream)
}
