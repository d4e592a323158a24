// The simulation's chart reads at a glance: a min-max band and the median of connections per
// node instead of one line per node, and a panel counting the nodes outside the thresholds.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { connectionSpread, connectionsChart } from '../../../src/sim/chart.js'

const samples = [
  { t: 0, counts: [0, 0, 0, 0] },
  { t: 1, counts: [2, 5, 3, 9] },
  { t: 2, counts: [4, -1, 4, 5] },
]

describe('simulation chart', () => {
  test('spread: min, median and max over the nodes that are up; counts below, above and down', () => {
    assert.deepEqual(connectionSpread(samples, 3, 6), [
      { t: 0, min: 0, median: 0, max: 0, below: 4, above: 0, down: 0 },
      { t: 1, min: 2, median: 4, max: 9, below: 1, above: 1, down: 0 },
      { t: 2, min: 4, median: 4, max: 5, below: 0, above: 0, down: 1 },
    ])
  })

  test('draws one band and one median line, not one line per node, and the outside-thresholds panel', () => {
    const many = [0, 1, 2].map((t) => ({ t, counts: Array.from({ length: 200 }, (_, i) => (i + t) % 7) }))
    const svg = connectionsChart({
      samples: many,
      minThreshold: 2,
      maxThreshold: 5,
      marks: [{ at: 1, label: 'churn: 10 restarted' }],
      title: '200 nodes',
    })
    assert.equal((svg.match(/<polygon /g) ?? []).length, 1, 'one min-max band')
    assert.equal((svg.match(/<polyline /g) ?? []).length, 4, 'median, below, above, down')
    assert.match(svg, /nodes outside the thresholds/)
    assert.equal((svg.match(/churn: 10 restarted/g) ?? []).length, 2, 'the churn mark on both panels')
  })
})
