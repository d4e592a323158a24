// The pool's state across restarts (peers.json in the data dir): known points and peers, bans,
// trusts and greylist entries come back; saves happen while running; a corrupt file is moved
// aside and the node still starts.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { createP2p } from '../../../src/p2p.js'
import type { ConnectionRefusedError } from '../../../src/pool/errors.js'
import {
  type ChatNode,
  chatMessages,
  nodeConfig,
  pointOf,
  startNode,
  stopAll,
} from '../../support/p2p-nodes.js'
import { waitUntil } from '../../support/wait.js'

describe('persistence', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dune-pool-state-'))
  const nodes: ChatNode[] = []
  after(async () => {
    await stopAll(...nodes)
    await rm(dir, { recursive: true, force: true })
  })

  test('points, peers and the ACL survive a restart; the state is saved while running', async () => {
    const dataDir = join(dir, 'restart')
    const b = await startNode('127.0.7.1')
    nodes.push(b)
    const config = nodeConfig('127.0.7.2', { dataDir, saveDelayMs: 10 })
    const a = await createP2p(config, { messages: chatMessages })
    assert.equal(a.stateLoad?.status, 'missing')
    await a.start()
    await a.connect(pointOf(b))
    a.acl.banIp('10.9.9.0/24')
    a.acl.trustPoint('127.0.7.3:9732')
    a.acl.greylistPeer(b.peerId, 'test')
    const file = join(dataDir, 'peers.json')
    await waitUntil(() => savedPoints(file).includes(pointOf(b)), {
      message: 'the connected point to be saved',
    })
    await a.stop()

    const again = await createP2p(config, { messages: chatMessages })
    nodes.push(again)
    assert.equal(again.stateLoad?.status, 'loaded')
    const point = again.point(pointOf(b))
    assert.equal(point?.state, 'disconnected')
    assert.equal(point?.peerId, b.peerId)
    assert.ok(point?.lastEstablished !== undefined && point.lastDisconnect !== undefined)
    assert.equal(again.point('127.0.7.3:9732')?.trusted, true)
    const peer = again.peer(b.peerId)
    assert.equal(peer?.state, 'disconnected')
    assert.deepEqual(peer?.points, [pointOf(b)])
    assert.deepEqual(again.acl.bans().ips, ['10.9.9.0/24'])
    assert.deepEqual(again.acl.trusts().points, ['127.0.7.3:9732'])
    assert.equal(again.acl.isPeerGreylisted(b.peerId), true)
    await again.start()
    await assert.rejects(
      again.connect(pointOf(b)),
      (err: ConnectionRefusedError) => err.reason === 'peer_banned',
      'b is still greylisted after the restart',
    )
  })

  test('a corrupt peers.json is moved aside and the node starts empty', async () => {
    const dataDir = join(dir, 'corrupt')
    const seed = await createP2p(nodeConfig('127.0.7.4', { dataDir }), { messages: chatMessages })
    seed.acl.banIp('10.1.1.1')
    await seed.save()
    const file = join(dataDir, 'peers.json')
    const text = await readFile(file, 'utf8')
    await writeFile(file, text.slice(0, text.length / 2))
    const warnings: string[] = []
    const node = await createP2p(nodeConfig('127.0.7.4', { dataDir }), {
      messages: chatMessages,
      logger: { warn: (_fields, message) => warnings.push(message) },
    })
    nodes.push(node)
    assert.equal(node.stateLoad?.status, 'corrupt')
    assert.ok(node.stateLoad?.movedTo && existsSync(node.stateLoad.movedTo))
    assert.equal(warnings.length, 1)
    assert.deepEqual(node.acl.bans().ips, [])
    await node.start()
    const b = await startNode('127.0.7.5')
    nodes.push(b)
    await node.connect(pointOf(b))
  })
})

/** The points saved in a peers.json (none while it does not exist). */
function savedPoints(file: string): string[] {
  if (!existsSync(file)) return []
  return (JSON.parse(readFileSync(file, 'utf8')) as { points: { point: string }[] }).points.map(
    (p) => p.point,
  )
}
