// The node's event stream (GET /network/log, server-sent events) read from a fetch body: a parser
// of `event:`/`data:` lines into events, and the one-line human rendering of each event kind.
import { formatBytes, formatClock, formatRate, formatScore } from './admin-format.js'

/** One server-sent event: its kind (`event:` line, `message` by default) and its data, parsed as JSON. */
export interface LogEvent {
  event: string
  /** The JSON value of the `data:` lines, or their raw text when it is not JSON. */
  data: unknown
}

/** The events of a text/event-stream body, in order, until the body ends; comments are skipped. */
export async function* readEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<LogEvent> {
  const decoder = new TextDecoder()
  let buffered = ''
  let kind = ''
  let data: string[] = []
  const reader = body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      buffered += done ? decoder.decode() : decoder.decode(value, { stream: true })
      let start = 0
      for (let end = buffered.indexOf('\n'); end !== -1; end = buffered.indexOf('\n', start)) {
        const line = buffered.slice(start, end > start && buffered[end - 1] === '\r' ? end - 1 : end)
        start = end + 1
        if (line === '') {
          if (data.length > 0) yield { event: kind || 'message', data: parseData(data.join('\n')) }
          kind = ''
          data = []
          continue
        }
        if (line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = colon === -1 ? line : line.slice(0, colon)
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'event') kind = value
        else if (field === 'data') data.push(value)
      }
      buffered = buffered.slice(start)
      if (done) return
    }
  } finally {
    reader.releaseLock()
  }
}

function parseData(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

type Fields = Record<string, unknown>

const str = (value: unknown): string => (value === null || value === undefined ? '-' : String(value))

function where(d: Fields): string {
  return str(d.point ?? d.remote_addr)
}

const RENDER: Record<string, (d: Fields) => string> = {
  connection: (d) =>
    `connected to ${str(d.peer_id)} at ${where(d)} (${d.incoming ? 'incoming' : 'outgoing'})`,
  disconnection: (d) =>
    `disconnected from ${str(d.peer_id)} at ${where(d)} (${d.incoming ? 'incoming' : 'outgoing'}): ${str(d.reason)}`,
  greylisted: (d) =>
    `greylisted ${str(d.ip ?? d.peer_id)}${typeof d.until === 'number' ? ` until ${formatClock(d.until)}` : ''}: ${str(d.reason)}`,
  handshake_failed: (d) =>
    `handshake ${d.incoming ? 'from' : 'to'} ${str(d.remote_addr)} failed: ${str(d.error)}${d.code ? ` (${str(d.code)})` : ''}`,
  refused: (d) => `refused ${str(d.remote_addr)}: ${str(d.reason)}`,
  evicted: (d) => `evicted ${str(d.peer_id)} at ${str(d.remote_addr)} to make room for ${str(d.newcomer)}`,
  low_score: (d) =>
    `low score ${typeof d.score === 'number' ? formatScore(d.score) : str(d.score)}: ${str(d.peer_id)} greylisted`,
  maintenance: (d) =>
    `maintenance (${str(d.reason)}): ${str(d.before)} -> ${str(d.after)} connections, ${str(d.connected)} connected, ${str(d.failed_dials)} failed dials, ${str(d.disconnected)} disconnected, ${str(d.low_score_disconnected)} for a low score`,
  acl: (d) => `acl ${str(d.action)}${d.target === undefined || d.target === null ? '' : ` ${str(d.target)}`}`,
  gossip: (d) =>
    d.from ? `gossip from ${str(d.from)}: ${str(d.text)}` : `gossip published here: ${str(d.text)}`,
  stat: (d) =>
    `stat: ${str(d.connections)} connections, in ${formatRate(Number(d.current_inflow))}, out ${formatRate(
      Number(d.current_outflow),
    )}, received ${formatBytes(Number(d.total_recv))}, sent ${formatBytes(Number(d.total_sent))}`,
}

/** One readable line (no newline) for an event: its time of day, its kind, and what happened. */
export function formatLogEvent(event: LogEvent): string {
  const data = typeof event.data === 'object' && event.data !== null ? (event.data as Fields) : undefined
  const time = typeof data?.time === 'number' ? formatClock(data.time) : formatClock(Date.now())
  const render = data ? RENDER[event.event] : undefined
  const text = render && data ? render(data) : `${event.event} ${JSON.stringify(event.data)}`
  return `${time}  ${text}`
}
