// The embedding example runs to completion: two nodes with their own message types and
// peer score exchange pings and pongs through createP2p, then stop (exit 0).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'

test('examples/ping-pong.ts runs and exits 0', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/ping-pong.ts'], {
    encoding: 'utf8',
    timeout: 30_000,
  })
  assert.equal(run.status, 0, `exit ${run.status}\n${run.stdout}\n${run.stderr}`)
  assert.match(run.stdout, /alice: pong #3 from id\w+, score now 3/)
  assert.match(run.stdout, /done: 3 rounds/)
})
