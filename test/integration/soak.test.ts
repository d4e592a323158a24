// The soak run, bounded: 12 nodes on 127.91.0.x gossip for about 20 s while one node is churned
// every 2 s; samples are taken, connections form, gossip flows, the report and chart are written.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { judgeSeries, runSoak, SoakOptionsError, type SoakReport } from '../../src/sim/soak.js'
import { defined } from '../support/defined.js'

describe('soak', () => {
  test('12 nodes with churn and gossip: samples, connections, deliveries, churn, report and chart', async () => {
    const out = await mkdtemp(join(tmpdir(), 'dune-soak-test-'))
    try {
      const report = await runSoak({
        nodes: 12,
        durationMs: 20_000,
        warmupMs: 8000,
        churnEveryMs: 2000,
        gossipEveryMs: 1000,
        sampleEveryMs: 500,
        connections: 6,
        hostPrefix: '127.91',
        port: 19_792,
        maintenancePeriodMs: 2000,
        out,
      })
      assert.ok(report.samples.length >= 10, `samples taken (${report.samples.length})`)
      assert.ok(
        report.samples.every((s, i) => i === 0 || s.t >= defined(report.samples[i - 1]).t),
        'samples in time order',
      )
      assert.ok(
        report.samples.some((s) => s.connections > 0),
        'connections formed',
      )
      assert.ok(report.totals.connectionsOpened >= 12, 'every node connected at least once')
      assert.ok(report.totals.churnEvents >= 2, `nodes churned (${report.totals.churnEvents})`)
      assert.equal(report.totals.churnEvents, report.totals.restarts + report.totals.freshIdentities)
      assert.ok(report.totals.restarts >= 1 && report.totals.freshIdentities >= 1, 'both kinds of churn')
      assert.ok(report.totals.gossipPublished > 0, 'gossip published')
      assert.ok(report.totals.gossipDelivered > 0, 'gossip delivered to other nodes')
      const last = defined(report.samples[report.samples.length - 1])
      assert.equal(last.nodesUp, 12)
      assert.ok(last.handles > 0 && last.rss > 0 && last.heapUsed > 0)
      assert.ok(last.heapSpaces.old_space!.used > 0 && last.code.bytecode > 0, 'heap spaces and code sampled')
      if (last.rssAnon !== null) {
        assert.ok(last.rssAnon < last.rss && last.threads! >= 5, 'anonymous RSS and threads read from /proc')
        assert.equal(last.untracked, last.rssAnon - last.heapPhysical - last.external)
      }
      assert.ok(last.gossipSeen <= 12 * 1000, 'the gossip services remember at most their capacity')
      const verdict = report.verdict
      assert.ok(verdict, 'samples after the warm-up were judged')
      assert.ok(verdict.samples > 0)
      assert.ok(verdict.untracked.baseline > 0, 'the untracked native memory is shown in the verdict')
      assert.equal(typeof verdict.flat, 'boolean')
      // Generous: churn and sampling must not pile up handles or open files (a leak of one
      // socket per churn event and connection would double them).
      assert.ok(
        verdict.handles.maxWindow <= 2 * verdict.handles.baseline,
        `handles ${verdict.handles.baseline} → ${verdict.handles.maxWindow}`,
      )
      if (verdict.fds) assert.ok(verdict.fds.maxWindow <= 2 * verdict.fds.baseline)

      const saved = JSON.parse(await readFile(join(out, 'soak-report.json'), 'utf8')) as SoakReport
      assert.deepEqual(saved.totals, report.totals)
      assert.equal(saved.samples.length, report.samples.length)
      const svg = await readFile(join(out, 'soak-chart.svg'), 'utf8')
      assert.match(svg, /^<svg /)
      assert.equal(svg.match(/<polyline /g)?.length, 8, 'five memory lines, three handle lines')
      assert.match(svg, /end of warm-up/)
    } finally {
      await rm(out, { recursive: true, force: true })
    }
  })

  test('options leaving no time after the warm-up are refused with a typed error', async () => {
    await assert.rejects(
      runSoak({
        nodes: 2,
        durationMs: 1000,
        warmupMs: 1000,
        churnEveryMs: 0,
        gossipEveryMs: 0,
        sampleEveryMs: 100,
        out: join(tmpdir(), 'dune-soak-never-written'),
      }),
      (err) => err instanceof SoakOptionsError && err.code === 'DUNE_SOAK_OPTIONS',
    )
  })

  test('the verdict: flat within the tolerance of the first window, growth caught, slope per hour', () => {
    const minute = 60_000
    const steady = Array.from({ length: 30 }, (_, i) => [i * 10_000, 100 + (i % 3)] as const)
    const flat = judgeSeries(steady, 0, minute, 0.1)
    assert.equal(flat.flat, true)
    assert.ok(flat.maxDeviation <= 0.02)
    // +1 per 10 s: from 100 to 129 over five minutes, 360 per hour.
    const growing = Array.from({ length: 30 }, (_, i) => [i * 10_000, 100 + i] as const)
    const grown = judgeSeries(growing, 0, minute, 0.1)
    assert.equal(grown.flat, false)
    assert.equal(grown.baseline, 102.5)
    assert.ok(Math.abs(grown.slopePerHour - 360) < 1e-6)
    assert.ok(grown.end > grown.baseline * 1.2)
  })
})
