// Faults around a running node: kill -9 while it saves its state, a full disk, an unwritable or
// read-only data dir, and a peer process killed mid-stream (closed with a reason, then replaced).
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { createP2p } from '../../../src/p2p.js'
import { StateReadError, StateWriteError } from '../../../src/pool/persistence/state-store.js'
import { ChildNode, nodeMainScript } from '../../netns/support/child-node.js'
import { compileForNode } from '../../support/compile-for-node.js'
import { testIdentity } from '../../support/identities.js'
import { chatMessages, nextEvent, nodeConfig, nodeFixture, pointOf } from '../../support/p2p-nodes.js'
import { waitUntil } from '../../support/wait.js'

const config = (dataDir: string) => nodeConfig('127.37.0.1', { dataDir, identity: testIdentity(4) })

/** Mounts a tmpfs of `size` on a fresh folder (unmounted after the file), or says why it cannot. */
async function tmpfs(size: string): Promise<string | { skip: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'dune-faults-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' })
  } catch (err) {
    return { skip: `cannot mount a tmpfs here (needs root): ${(err as Error).message.split('\n')[0]}` }
  }
  after(() => {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' })
    return rm(dir, { recursive: true, force: true })
  })
  return dir
}

describe('faults', () => {
  test('kill -9 during state writes, 8 times: the node always restarts with the old or the new state', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'dune-faults-kill-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const compiled = await compileForNode(nodeMainScript, join(dir, 'compiled'))
    const dataDir = join(dir, 'data')
    let onDisk = 0
    for (let round = 0; round < 8; round++) {
      const child = await ChildNode.start(
        { listenHost: '127.37.1.1', listenPort: 0, dataDir, maintenance: { enabled: false } },
        [],
        compiled,
      )
      void child.request('saveLoop').catch(() => {})
      await delay(100 + Math.floor(Math.random() * 150))
      child.kill('SIGKILL')
      await child.exited
      const reported = child.events.filter((e) => e.event === 'saved').map((e) => Number(e.bans))
      const last = reported.at(-1) ?? onDisk
      const node = await createP2p(config(dataDir), { messages: chatMessages })
      assert.notEqual(node.stateLoad?.status, 'corrupt', `round ${round}`)
      const bans = node.acl.toJSON().bannedIps.length
      assert.ok(
        bans === last || bans === last + 1,
        `round ${round}: ${bans} bans on disk, the last save reported ${last}`,
      )
      onDisk = bans
    }
    assert.ok(onDisk > 0, 'some states were saved')
  })

  test('a full disk: save fails with StateWriteError (ENOSPC), the node runs on, the old state is kept', async (t) => {
    const dir = await tmpfs('64k')
    if (typeof dir !== 'string') return t.skip(dir.skip)
    const node = await createP2p(config(dir), { messages: chatMessages })
    await node.start()
    node.acl.banIp('192.0.2.1')
    await node.save()
    const before = await readFile(join(dir, 'peers.json'), 'utf8')
    // Fill the file system, then make the state bigger than what is left.
    await writeFile(join(dir, 'filler'), Buffer.alloc(60 * 1024)).catch(() => {})
    for (let i = 0; i < 300; i++) node.acl.banIp(`198.51.${i >> 8}.${i & 255}`)
    const err = await node.save().then(
      () => assert.fail('saved on a full disk'),
      (e: unknown) => e,
    )
    assert.ok(err instanceof StateWriteError, String(err))
    assert.equal(err.errno, 'ENOSPC')
    assert.equal(await readFile(join(dir, 'peers.json'), 'utf8'), before, 'the old state is whole')
    assert.ok(node.running)
    await node.stop().catch(() => {}) // its last save fails the same way
    const again = await createP2p(config(dir), { messages: chatMessages })
    assert.equal(again.stateLoad?.status, 'loaded')
    assert.equal(again.acl.toJSON().bannedIps.length, 1)
  })

  test('a read-only data dir: save fails with StateWriteError (EROFS), loading still works', async (t) => {
    const dir = await tmpfs('1m')
    if (typeof dir !== 'string') return t.skip(dir.skip)
    const node = await createP2p(config(dir), { messages: chatMessages })
    node.acl.banIp('192.0.2.7')
    await node.save()
    execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' })
    node.acl.banIp('192.0.2.8')
    const err = await node.save().then(
      () => assert.fail('saved on a read-only file system'),
      (e: unknown) => e,
    )
    assert.ok(err instanceof StateWriteError && err.errno === 'EROFS', String(err))
    const again = await createP2p(config(dir), { messages: chatMessages })
    assert.equal(again.acl.toJSON().bannedIps.length, 1)
  })

  test('a data dir that is a file: createP2p fails with StateReadError, naming the path', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'dune-faults-file-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const notADir = join(dir, 'data')
    await writeFile(notADir, 'a file where the data dir should be')
    const err = await createP2p(config(notADir), { messages: chatMessages }).then(
      () => assert.fail('created'),
      (e: unknown) => e,
    )
    assert.ok(err instanceof StateReadError, String(err))
    assert.equal(err.code, 'DUNE_STATE_READ')
    assert.ok(err.message.includes(notADir), err.message)
  })

  describe('a peer process killed mid-stream', () => {
    const node = nodeFixture()
    const children: ChildNode[] = []
    after(() => Promise.all(children.map((c) => c.stop())))

    test('the connection closes with a reason and the maintenance dials a replacement', async () => {
      const spare = await node('127.37.2.3')
      const peer = await ChildNode.start({
        listenHost: '127.37.2.2',
        listenPort: 0,
        maintenance: { enabled: false },
        chatEveryMs: 5,
      })
      children.push(peer)
      const b = await node('127.37.2.1', {
        bootstrapPeers: [`127.37.2.2:${peer.port}`],
        minConnections: 1,
        expectedConnections: 1,
        maxConnections: 2,
        maintenance: {
          enabled: true,
          periodMs: 60_000,
          backoff: { firstRetryMs: 100, maxRetryMs: 500, afterDisconnectMs: 0 },
        },
      })
      await waitUntil(() => b.connection(peer.peerId) !== undefined, {
        message: 'b to dial the peer process',
      })
      // b learns the spare's point, then the spare leaves: a candidate for later.
      await spare.connect(pointOf(b))
      await spare.disconnect(b.peerId)
      await waitUntil(() => b.connections().length === 1, { message: 'the spare to leave' })
      await waitUntil(() => (b.connection(peer.peerId)?.stats.messagesReceived ?? 0) > 10, {
        message: 'the stream to flow',
      })

      const closed = nextEvent(b, 'disconnection', (e) => e.peerId === peer.peerId)
      peer.kill('SIGKILL')
      const [event] = await closed
      assert.ok(['eof', 'socket_error'].includes(event.reason.kind), event.reason.kind)
      await waitUntil(() => b.connection(spare.peerId) !== undefined, {
        message: 'the maintenance to dial the spare',
        timeoutMs: 10_000,
      })
    })
  })
})
