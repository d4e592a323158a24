// The simulation runner, bounded: 12 nodes on 127.78.0.x converge, a quarter is killed and
// restarted, and the run writes a report (graph connected, degrees within bounds) and a chart.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { runSimulation, type SimulationReport } from '../../../src/sim/simulation.js'

test('sim: 12 nodes converge, recover from churn, and the report and chart are written', async () => {
  const out = await mkdtemp(join(tmpdir(), 'dune-sim-'))
  try {
    const report = await runSimulation({
      nodes: 12,
      durationMs: 30_000,
      churn: 0.25,
      churnAtMs: 0,
      stopWhenRecovered: true,
      seed: 42,
      out,
      hostPrefix: '127.78',
      port: 19_733,
      periodMs: 500,
      bootstrapWaitMs: 200,
    })
    assert.notEqual(report.convergedAfterMs, null, 'every node got within its thresholds')
    assert.equal(report.churn?.killed, 3)
    assert.notEqual(report.churn?.recoveredAfterMs, null, 'and again after the churn')
    const degrees = Object.entries(report.final.degreeDistribution)
    assert.equal(
      degrees.reduce((sum, [, count]) => sum + count, 0),
      12,
    )
    assert.equal(report.final.connected, true)
    assert.equal(report.final.components, 1)
    assert.ok(report.final.diameter !== null && report.final.diameter >= 1)
    assert.ok(report.samples.every((s) => s.counts.length === 12))
    const saved = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as SimulationReport
    assert.deepEqual(saved.final, report.final)
    const svg = await readFile(join(out, 'chart.svg'), 'utf8')
    assert.match(svg, /^<svg /)
    assert.equal(svg.match(/<polygon /g)?.length, 1, 'one min-max band')
    assert.equal(svg.match(/<polyline /g)?.length, 4, 'the median and the three counts, not a line per node')
  } finally {
    await rm(out, { recursive: true, force: true })
  }
})
