// dune-admin-client's pieces without a node: the table and unit formatting, the score and admission
// views, and the server-sent events parser (the same events however the stream is cut into chunks).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import {
  formatAge,
  formatBytes,
  formatDue,
  formatDuration,
  formatFields,
  formatRate,
  formatScore,
  formatTable,
} from '../../src/cli/admin-format.js'
import { formatLogEvent, type LogEvent, readEventStream } from '../../src/cli/admin-log.js'
import { admissionView, peerView, pointsView, pointView, scoresView } from '../../src/cli/admin-views.js'
import type { AdmissionJson, PeerJson, PointJson, ScoreDetailJson, ScoresJson } from '../../src/rpc/shapes.js'

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

  test('one sentence per log event kind', () => {
    const line = (event: string, data: Record<string, unknown>): string =>
      formatLogEvent({ event, data: { time: 0, ...data } }).replace(/^\d\d:\d\d:\d\d {2}/, '')
    assert.equal(
      line('connection', { peer_id: 'idA', point: '1.2.3.4:9732', remote_addr: '1.2.3.4', incoming: true }),
      'Connected to idA at 1.2.3.4:9732 (it dialed us).',
    )
    assert.equal(
      line('disconnection', {
        peer_id: 'idA',
        point: null,
        remote_addr: '1.2.3.4',
        incoming: false,
        reason: 'the peer sent Disconnect',
      }),
      'Connection to idA at 1.2.3.4 (we dialed) closed: the peer sent Disconnect.',
    )
    assert.match(
      line('greylisted', { ip: '1.2.3.4', reason: 'handshake: pow', until: 0 }),
      /^IP 1\.2\.3\.4 greylisted until .+ \(handshake: pow\); `dune-admin-client flush greylist` lifts it\.$/,
    )
    assert.match(
      line('greylisted', { point: '127.0.0.1:9732', reason: 'mac_error', until: 0 }),
      /^Point 127\.0\.0\.1:9732 greylisted until .+ \(mac_error\); `dune-admin-client flush greylist` lifts it\.$/,
    )
    assert.match(line('greylisted', { peer_id: 'idA', reason: 'x', until: 0 }), /^Peer idA greylisted until /)
    assert.equal(
      line('handshake_failed', { remote_addr: '1.2.3.4', incoming: true, error: 'bad', code: 'DUNE_POW' }),
      'Handshake from 1.2.3.4 failed: bad (DUNE_POW).',
    )
    assert.equal(
      line('refused', { remote_addr: '1.2.3.4', reason: 'banned' }),
      'Refused a connection from 1.2.3.4: banned.',
    )
    assert.equal(
      line('maintenance', {
        reason: 'timer',
        before: 3,
        after: 5,
        connected: 2,
        failed_dials: 1,
        disconnected: 0,
        low_score_disconnected: 0,
      }),
      'Maintenance step (timer): 3 connections before, 5 after; 2 new, 1 failed dials, 0 dropped, 0 dropped for a low score.',
    )
    assert.equal(
      line('evicted', { peer_id: 'idA', remote_addr: '1.2.3.4', newcomer: 'idB' }),
      'Evicted idA at 1.2.3.4 to make room for idB.',
    )
    assert.equal(
      line('low_score', { peer_id: 'idA', score: -20.5 }),
      'Disconnected and greylisted idA: its score -20.50 is too low.',
    )
    assert.equal(line('acl', { action: 'ban', kind: 'ip', target: '10.0.0.0/8' }), 'Banned ip 10.0.0.0/8.')
    assert.equal(
      line('acl', { action: 'untrust', kind: 'peer', target: 'idA' }),
      'Stopped trusting peer idA.',
    )
    assert.equal(line('acl', { action: 'flush_greylist', target: null }), 'Flushed the greylist.')
    assert.equal(line('gossip', { from: 'idB', id: '00', text: 'hi' }), 'Gossip from idB: "hi"')
    assert.equal(line('gossip', { from: null, id: '00', text: 'hi' }), 'Gossip published here: "hi"')
    assert.equal(
      line('stat', {
        connections: 2,
        current_inflow: 1500,
        current_outflow: 0,
        total_recv: 2000,
        total_sent: 10,
      }),
      '2 connections; now in 1.5 kB/s, out 0.0 kB/s; 2.0 kB received and 10 B sent in all.',
    )
    assert.equal(line('future_kind', { x: 1 }), 'future_kind {"time":0,"x":1}')
  })
})

describe('times of points', () => {
  const now = 1_700_000_000_000
  const point = (over: Partial<PointJson>): PointJson => ({
    point: '192.0.2.7:9732',
    state: 'disconnected',
    trusted: false,
    banned: false,
    greylisted: false,
    peer_id: null,
    last_attempt: null,
    last_failure: null,
    last_established: null,
    last_disconnect: null,
    failures: 0,
    greylisted_until: null,
    expected_peer_id: null,
    last_address: null,
    next_attempt_at: 0,
    ...over,
  })

  test('a point never tried: no epoch-0 age ("20790d ago"), `-`', () => {
    assert.equal(formatDue(0, now), '-')
    assert.equal(formatAge(0, now), 'never')
    const table = pointsView([point({})], now)
    assert.doesNotMatch(table, /\d+d \d+h ago/)
    assert.match(table.split('\n')[1] ?? '', /192\.0\.2\.7:9732 +disconnected +- +- +never +0 +-$/)
    assert.match(pointView(point({}), now), /Next attempt: +-\n$/)
  })

  test('a past-due attempt is `now`, a future one `in …`', () => {
    assert.equal(formatDue(now - 30_000, now), 'now')
    assert.equal(formatDue(now + 5000, now), 'in 5s')
    const overdue = point({ last_attempt: now - 60_000, failures: 1, next_attempt_at: now - 30_000 })
    assert.match(pointsView([overdue], now).split('\n')[1] ?? '', / 1 +now$/)
    assert.match(pointView(overdue, now), /Last attempt: +1m ago\n/)
    assert.match(pointView(overdue, now), /Next attempt: +now\n$/)
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

/** A score with one penalty: 2 invalid messages at weight -2, and some uptime. */
const DETAIL: ScoreDetailJson = {
  total: -3.5,
  application: 0,
  components: {
    uptime: { value: 500, weight: 0.001, contribution: 0.5 },
    useful: { value: 0, weight: 0.05, contribution: 0 },
    invalid: { value: 2, weight: -2, contribution: -4 },
    oversized: { value: 0, weight: -5, contribution: 0 },
    violation: { value: 0, weight: -5, contribution: 0 },
    handshake_failure: { value: 0, weight: -2, contribution: 0 },
  },
}
const THRESHOLDS = { disconnect_below: -20, retain_ms: 3_600_000, max_records: 4096 }
const THRESHOLDS_LINE =
  'Disconnected and greylisted below -20 (trusted peers excepted); counters kept 1h after a disconnection, for 4096 peers at most.\n'

describe('admin views of scores and admission', () => {
  test('show peer: the fields, the score components table, the thresholds', () => {
    const peer: PeerJson = {
      peer_id: 'idA',
      state: 'running',
      trusted: false,
      banned: false,
      greylisted: false,
      score: -3.5,
      score_detail: DETAIL,
      last_seen: null,
      points: [],
    }
    const out = peerView(peer, 0, THRESHOLDS)
    assert.match(out, /^Peer id: +idA\n/)
    assert.match(out, /\nScore: +-3\.50\n/)
    assert.ok(
      out.endsWith(
        [
          'SCORE',
          'COMPONENT          VALUE  WEIGHT  CONTRIBUTION',
          'uptime               500   0.001          0.50',
          'useful                 0    0.05             0',
          'invalid                2      -2            -4',
          'oversized              0      -5             0',
          'violation              0      -5             0',
          'handshake_failure      0      -2             0',
          'application                                  0',
          'total                                    -3.50',
          THRESHOLDS_LINE,
        ].join('\n'),
      ),
      out,
    )
  })

  test('list scores: the thresholds first, a row per peer with its contributions, the rules', () => {
    const rule = { weight: -2, half_life_ms: 3_600_000, cap: 1000 }
    const scores: ScoresJson = {
      thresholds: THRESHOLDS,
      rules: {
        uptime: { weight: 0.001, half_life_ms: 3_600_000, cap: 3600 },
        useful: { weight: 0.05, half_life_ms: 600_000, cap: 100 },
        invalid: rule,
        oversized: { ...rule, weight: -5 },
        violation: { ...rule, weight: -5 },
        handshake_failure: rule,
      },
      peers: [{ peer_id: 'idA', state: 'running', trusted: true, score_detail: DETAIL }],
    }
    const [header, blank, columns, row, ...rest] = scoresView(scores).split('\n')
    assert.equal(`${header}\n`, THRESHOLDS_LINE)
    assert.equal(blank, '')
    assert.match(
      columns!,
      /^PEER ID +STATE +TRUSTED +TOTAL +APPLICATION +UPTIME +USEFUL +INVALID +OVERSIZED +VIOLATION +HANDSHAKE_FAILURE$/,
    )
    assert.match(row!, /^idA +running +yes +-3\.50 +0 +0\.50 +0 +-4 +0 +0 +0$/)
    assert.ok(rest.includes('COMPONENT          WEIGHT  HALF-LIFE   CAP'), rest.join('\n'))
    assert.ok(rest.includes('useful               0.05        10m   100'), rest.join('\n'))
    assert.match(scoresView({ ...scores, peers: [] }), /\n\nNo known peers\.\n/)
  })

  test('show admission: slots, limits, exempt subnets, eviction rules', () => {
    const admission: AdmissionJson = {
      slots: {
        ceiling: 53,
        min_outbound: 8,
        max_inbound: 45,
        inbound: 3,
        outbound: 2,
        handshakes: 1,
        max_handshakes: 48,
      },
      admission: {
        per_address: { ipv4_bits: 32, ipv6_bits: 56, max_connections: 4, new_per_minute: 20 },
        per_subnet: { ipv4_bits: 16, ipv6_bits: 48, max_connections: 16, new_per_minute: 60 },
        exempt: ['127.0.0.0/8', '::1/128'],
        max_handshakes_in_flight: 48,
      },
      eviction: {
        grace_ms: 60_000,
        protect_groups: 4,
        protect_low_latency: 8,
        protect_recent_useful: 4,
        protect_longest_share: 0.5,
      },
    }
    assert.equal(
      admissionView(admission),
      [
        'Slots:              inbound 3/45, outbound 2 (min 8), ceiling 53',
        'Handshakes:         1/48 in progress',
        'Per address:        IPv4 /32, IPv6 /56: 4 connections at once, 20 new per minute',
        'Per subnet:         IPv4 /16, IPv6 /48: 16 connections at once, 60 new per minute',
        'Exempt:             127.0.0.0/8 ::1/128',
        'Eviction grace:     1m',
        'Eviction protects:  4 network groups, 8 lowest-latency, 4 recently useful, 50% longest-connected of the rest',
        '',
      ].join('\n'),
    )
  })
})
