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

const direction = (d: Fields): string => (d.incoming ? 'it dialed us' : 'we dialed')

/** What greylisting lifts it, said in every greylisting line. */
const LIFT = '`dune-admin-client flush greylist` lifts it'

function greylisted(d: Fields): string {
  const what =
    d.ip !== undefined
      ? `IP ${str(d.ip)}`
      : d.point !== undefined
        ? `Point ${str(d.point)}`
        : `Peer ${str(d.peer_id)}`
  const until = typeof d.until === 'number' ? ` until ${formatClock(d.until)}` : ''
  return `${what} greylisted${until} (${str(d.reason)}); ${LIFT}.`
}

const ACL_VERBS: Record<string, string> = {
  ban: 'Banned',
  unban: 'Unbanned',
  trust: 'Trusted',
  untrust: 'Stopped trusting',
}

function aclChange(d: Fields): string {
  if (d.action === 'flush_greylist') return 'Flushed the greylist.'
  const verb = ACL_VERBS[str(d.action)] ?? `ACL ${str(d.action)}`
  const target = d.target === undefined || d.target === null ? '' : ` ${str(d.target)}`
  return `${verb}${d.kind ? ` ${str(d.kind)}` : ''}${target}.`
}

/** Each event kind as a sentence. */
const RENDER: Record<string, (d: Fields) => string> = {
  connection: (d) => `Connected to ${str(d.peer_id)} at ${where(d)} (${direction(d)}).`,
  disconnection: (d) =>
    `Connection to ${str(d.peer_id)} at ${where(d)} (${direction(d)}) closed: ${str(d.reason)}.`,
  greylisted,
  handshake_failed: (d) =>
    `Handshake ${d.incoming ? 'from' : 'to'} ${str(d.remote_addr)} failed: ${str(d.error)}${d.code ? ` (${str(d.code)})` : ''}.`,
  refused: (d) => `Refused a connection from ${str(d.remote_addr)}: ${str(d.reason)}.`,
  evicted: (d) => `Evicted ${str(d.peer_id)} at ${str(d.remote_addr)} to make room for ${str(d.newcomer)}.`,
  low_score: (d) =>
    `Disconnected and greylisted ${str(d.peer_id)}: its score ${typeof d.score === 'number' ? formatScore(d.score) : str(d.score)} is too low.`,
  maintenance: (d) =>
    `Maintenance step (${str(d.reason)}): ${str(d.before)} connections before, ${str(d.after)} after; ${str(d.connected)} new, ${str(d.failed_dials)} failed dials, ${str(d.disconnected)} dropped, ${str(d.low_score_disconnected)} dropped for a low score.`,
  acl: aclChange,
  gossip: (d) =>
    d.from
      ? `Gossip from ${str(d.from)}: ${JSON.stringify(str(d.text))}`
      : `Gossip published here: ${JSON.stringify(str(d.text))}`,
  stat: (d) =>
    `${str(d.connections)} connections; now in ${formatRate(Number(d.current_inflow))}, out ${formatRate(
      Number(d.current_outflow),
    )}; ${formatBytes(Number(d.total_recv))} received and ${formatBytes(Number(d.total_sent))} sent in all.`,
}

/** One readable line (no newline) for an event: its time of day, its kind, and what happened. */
export function formatLogEvent(event: LogEvent): string {
  const data = typeof event.data === 'object' && event.data !== null ? (event.data as Fields) : undefined
  const time = typeof data?.time === 'number' ? formatClock(data.time) : formatClock(Date.now())
  const render = data ? RENDER[event.event] : undefined
  const text = render && data ? render(data) : `${event.event} ${JSON.stringify(event.data)}`
  return `${time}  ${text}`
}
