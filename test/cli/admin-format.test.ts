// dune-admin-client's pieces without a node: the table and unit formatting, and the server-sent
// events parser (the same events however the stream is cut into chunks).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  formatAge,
  formatBytes,
  formatDuration,
  formatFields,
  formatRate,
  formatScore,
  formatTable,
} from '../../src/cli/admin-format.js'
import { formatLogEvent, type LogEvent, readEventStream } from '../../src/cli/admin-log.js'

describe('admin formatting', () => {
  test('formatTable aligns columns, numbers to the right, no trailing spaces', () => {
    const table = formatTable(
      [{ header: 'NAME' }, { header: 'N', align: 'right' }, { header: 'NOTE' }],
      [
        ['a', '1', ''],
        ['longer', '100', 'x'],
      ],
    )
    assert.equal(table, 'NAME      N  NOTE\na         1\nlonger  100  x\n')
  })

  test('formatFields aligns the values', () => {
    assert.equal(
      formatFields([
        ['Id', 'x'],
        ['Longer', 'y'],
      ]),
      'Id:      x\nLonger:  y\n',
    )
  })

  test('rates in kB/s, bytes in powers of 1000, scores', () => {
    assert.equal(formatRate(0), '0.0 kB/s')
    assert.equal(formatRate(12_345), '12.3 kB/s')
    assert.equal(formatBytes(999), '999 B')
    assert.equal(formatBytes(1500), '1.5 kB')
    assert.equal(formatBytes(2_500_000_000), '2.5 GB')
    assert.equal(formatScore(3), '3')
    assert.equal(formatScore(0.123456), '0.12')
  })

  test('durations in their two largest units; ages past and future', () => {
    assert.equal(formatDuration(0), '0s')
    assert.equal(formatDuration(45_000), '45s')
    assert.equal(formatDuration(200_000), '3m 20s')
    assert.equal(formatDuration(7_500_000), '2h 5m')
    assert.equal(formatDuration(3_600_000), '1h')
    assert.equal(formatDuration(90_061_000), '1d 1h')
    const now = 1_700_000_000_000
    assert.equal(formatAge(null, now), 'never')
    assert.equal(formatAge(now - 200, now), 'now')
    assert.equal(formatAge(now - 200_000, now), '3m 20s ago')
    assert.equal(formatAge(now + 5000, now), 'in 5s')
  })

  test('one line per log event kind', () => {
    const line = (event: string, data: Record<string, unknown>): string =>
      formatLogEvent({ event, data: { time: 0, ...data } }).replace(/^\d\d:\d\d:\d\d {2}/, '')
    assert.equal(
      line('connection', { peer_id: 'idA', point: '1.2.3.4:9732', remote_addr: '1.2.3.4', incoming: true }),
      'connected to idA at 1.2.3.4:9732 (incoming)',
    )
    assert.equal(
      line('disconnection', {
        peer_id: 'idA',
        point: null,
        remote_addr: '1.2.3.4',
        incoming: false,
        reason: 'eof',
      }),
      'disconnected from idA at 1.2.3.4 (outgoing): eof',
    )
    assert.match(
      line('greylisted', { ip: '1.2.3.4', reason: 'bad pow', until: 0 }),
      /^greylisted 1\.2\.3\.4 until .+: bad pow$/,
    )
    assert.equal(
      line('handshake_failed', { remote_addr: '1.2.3.4', incoming: true, error: 'bad', code: 'DUNE_POW' }),
      'handshake from 1.2.3.4 failed: bad (DUNE_POW)',
    )
    assert.equal(line('refused', { remote_addr: '1.2.3.4', reason: 'banned' }), 'refused 1.2.3.4: banned')
    assert.equal(
      line('maintenance', { reason: 'timer', active: 3, dialed: ['a', 'b'], disconnected: [] }),
      'maintenance (timer): 3 active, 2 dialed, 0 disconnected',
    )
    assert.equal(line('acl', { action: 'ban', target: '10.0.0.0/8' }), 'acl ban 10.0.0.0/8')
    assert.equal(line('acl', { action: 'flush_greylist', target: null }), 'acl flush_greylist')
    assert.equal(line('gossip', { from: 'idB', id: '00', text: 'hi' }), 'gossip from idB: hi')
    assert.equal(line('gossip', { from: null, id: '00', text: 'hi' }), 'gossip published here: hi')
    assert.equal(
      line('stat', {
        connections: 2,
        current_inflow: 1500,
        current_outflow: 0,
        total_recv: 2000,
        total_sent: 10,
      }),
      'stat: 2 connections, in 1.5 kB/s, out 0.0 kB/s, received 2.0 kB, sent 10 B',
    )
    assert.equal(line('future_kind', { x: 1 }), 'future_kind {"time":0,"x":1}')
  })
})

/** A body that delivers `text` cut at `cuts` (byte offsets), as a fetch body would. */
function bodyOf(bytes: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
  const edges = [...new Set([0, ...cuts.map((c) => c % (bytes.length + 1)), bytes.length])].sort(
    (x, y) => x - y,
  )
  let i = 0
  return new ReadableStream({
    pull(controller) {
      if (i + 1 >= edges.length) return controller.close()
      controller.enqueue(bytes.slice(edges[i], edges[i + 1]))
      i++
    },
  })
}

async function collect(body: ReadableStream<Uint8Array>): Promise<LogEvent[]> {
  const events: LogEvent[] = []
  for await (const event of readEventStream(body)) events.push(event)
  return events
}

describe('readEventStream', () => {
  const stream =
    ': keepalive\n\nevent: connection\ndata: {"peer_id":"idé","n":1}\n\n' +
    'event: stat\r\ndata: {"connections":2}\r\n\r\n' +
    'data: first\ndata: second\n\nevent: empty\n\nevent: tail\ndata: {"last":true}\n\n' +
    'event: unfinished\ndata: {}'
  const expected: LogEvent[] = [
    { event: 'connection', data: { peer_id: 'idé', n: 1 } },
    { event: 'stat', data: { connections: 2 } },
    { event: 'message', data: 'first\nsecond' },
    { event: 'tail', data: { last: true } },
  ]

  test('events, comments, CRLF, multi-line data; an unfinished event at the end is dropped', async () => {
    assert.deepEqual(await collect(bodyOf(new TextEncoder().encode(stream), [])), expected)
  })

  test('the same events however the bytes are cut (even inside a UTF-8 character)', async () => {
    const bytes = new TextEncoder().encode(stream)
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: bytes.length }), { maxLength: 20 }), async (cuts) => {
        assert.deepEqual(await collect(bodyOf(bytes, cuts)), expected)
      }),
      { numRuns: 200 },
    )
  })
})
