// The recorded Carthagenet session (2019, distributed_db_version 0) through the Octez shell
// message set: every one of the Sent direction's 5,472 frames decodes typed and re-encodes exactly.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { octezMessages } from '../../../src/octez/index.js'
import type { OctezMessage } from '../../../src/octez/messages.js'
import type { P2pMessage } from '../../../src/wire/p2p-message.js'
import { defined } from '../../support/defined.js'
import { recordedSentFrames } from '../../support/recorded-session-frames.js'

const frames = recordedSentFrames()

function nameOf(m: P2pMessage<OctezMessage>): string {
  return m.kind === 'application' ? m.message.name : m.kind
}

describe('recorded session through the Octez message set', () => {
  const decoded = frames.map((frame) => octezMessages.decodeBody(frame, 4, frame.length))

  test('all 5,472 frames decode into typed messages, by name', () => {
    assert.equal(frames.length, 5472)
    const counts = new Map<string, number>()
    for (const m of decoded) counts.set(nameOf(m), (counts.get(nameOf(m)) ?? 0) + 1)
    assert.deepEqual(Object.fromEntries([...counts].sort()), {
      advertise: 3,
      current_branch: 2,
      get_block_headers: 2071,
      get_current_branch: 6,
      get_operations: 8,
      get_operations_for_blocks: 3382,
    })
  })

  test('each one re-encodes byte for byte', () => {
    decoded.forEach((m, i) => {
      const out = Buffer.alloc(octezMessages.sizeOf(m))
      assert.equal(octezMessages.writeFrame(m, out, 0), out.length)
      assert.ok(out.equals(defined(frames[i], `frame ${i}`)), `frame ${i} (${nameOf(m)}) differs`)
    })
  })

  test('fields read as Octez prints them: Carthagenet chain id, genesis as the head', () => {
    const branch = decoded.find((m) => m.kind === 'application' && m.message.name === 'current_branch')
    assert.ok(branch?.kind === 'application' && branch.message.name === 'current_branch')
    const { chainId, currentBranch } = branch.message.value
    assert.equal(chainId, 'NetXjD3HPJJjmcd')
    assert.equal(currentBranch.currentHead.level, 0)
    assert.equal(currentBranch.currentHead.predecessor, 'BLockGenesisGenesisGenesisGenesisGenesisd6f5afWyME7')
    // 2019-11-28T13:02:13Z, the time in the chain name.
    assert.equal(currentBranch.currentHead.timestamp, BigInt(Date.parse('2019-11-28T13:02:13Z') / 1000))
    assert.match(currentBranch.currentHead.operationsHash, /^LLo[1-9A-HJ-NP-Za-km-z]{50}$/)
    assert.match(currentBranch.currentHead.context, /^Co[1-9A-HJ-NP-Za-km-z]{50}$/)
    const request = decoded.find(
      (m) => m.kind === 'application' && m.message.name === 'get_operations_for_blocks',
    )
    assert.ok(request?.kind === 'application' && request.message.name === 'get_operations_for_blocks')
    for (const block of request.message.value.blocks) {
      assert.match(block.hash, /^B[1-9A-HJ-NP-Za-km-z]{50}$/)
      assert.ok(block.validationPass >= 0 && block.validationPass < 8)
    }
  })
})
