// Readers of the admin RPC's streams for the tests: server-sent events from /network/log, and
// the Prometheus text of /metrics parsed strictly (any malformed line fails the test).
import assert from 'node:assert/strict'
import { defined } from '../../support/defined.js'

/** Reads server-sent events from `url` until `enough` holds for those read so far; then hangs up. */
export async function readEvents(
  url: string,
  started: () => Promise<void>,
  enough: (events: Array<{ kind: string; data: Record<string, unknown> }>) => boolean,
): Promise<{ contentType: string | null; events: Array<{ kind: string; data: Record<string, unknown> }> }> {
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), 10_000)
  const response = await fetch(url, { signal: abort.signal })
  const reader = response.body!.getReader()
  const events: Array<{ kind: string; data: Record<string, unknown> }> = []
  let buffer = ''
  let first = true
  try {
    while (!enough(events)) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += Buffer.from(value).toString('utf8')
      if (first) {
        first = false
        await started()
      }
      let end = buffer.indexOf('\n\n')
      while (end >= 0) {
        const frame = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const kind = /^event: (.*)$/m.exec(frame)?.[1]
        const data = /^data: (.*)$/m.exec(frame)?.[1]
        if (kind && data) events.push({ kind, data: JSON.parse(data) })
        end = buffer.indexOf('\n\n')
      }
    }
  } finally {
    clearTimeout(timer)
    abort.abort()
  }
  return { contentType: response.headers.get('content-type'), events }
}

/** One sample of the Prometheus text format: `name{labels} value`. */
const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*)?\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/

/** Parses exposition text; fails on any line that is neither a comment, HELP/TYPE, nor a sample. */
export function parsePrometheus(text: string): { types: Map<string, string>; samples: Map<string, number> } {
  const types = new Map<string, string>()
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line)
    if (type) {
      types.set(defined(type[1]), defined(type[2]))
      continue
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue
    const sample = SAMPLE.exec(line)
    assert.ok(sample, `not Prometheus text: ${JSON.stringify(line)}`)
    samples.set(`${sample[1]}${sample[2] ?? ''}`, Number(sample[3]))
  }
  return { types, samples }
}
