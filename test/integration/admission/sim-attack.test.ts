// The sim's attack scenario, bounded: 12 attackers in 127.66/16 keep dialing one of 6 honest
// nodes; they never hold more than its inbound share, nor any of its outbound slots.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runAttack } from '../../../src/sim/attack.js'

test('sim --attack: attackers of one subnet hold at most the inbound share, no outbound slot', async () => {
  const report = await runAttack({
    honest: 6,
    attackers: 12,
    connections: 6,
    durationMs: 5000,
    port: 19_834,
  })
  assert.deepEqual(report.target, { ceiling: 8, minOutbound: 2, maxInbound: 6 })
  assert.equal(report.attackerOutboundMax, 0)
  assert.ok(report.attackerShare.max <= report.inboundShare, JSON.stringify(report.attackerShare))
  assert.ok(report.final.outbound >= report.target.minOutbound, `outbound ${report.final.outbound}`)
  assert.ok(report.final.attackerInbound > 0, 'the attack did reach the node')
  assert.equal(report.targetMet, true)
})
