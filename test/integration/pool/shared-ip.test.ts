// Nodes sharing an IP (the loopback of one machine, exempt from the admission limits as shipped):
// one bad node greylists its point and peer id, not the IP, so good nodes there still connect;
// trusted points and peers are never refused by the IP greylist. Shipped nodes, real sockets.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { writeIdentityFile } from '../../../src/crypto/identity-file.js'
import { checkProofOfWork, generateIdentityInline } from '../../../src/crypto/index.js'
import { type DuneNode, startDuneNode } from '../../../src/node/daemon.js'
import { createLogger } from '../../../src/node/logger.js'
import { SHIPPED_TEST_POW, shippedConfig, startShippedNode } from '../../support/shipped-node.js'
import { waitUntil } from '../../support/wait.js'

const nodes: DuneNode[] = []
after(() => Promise.all(nodes.map((n) => n.stop())))

async function shipped(
  host: string,
  options: Parameters<typeof startShippedNode>[1] = {},
): Promise<DuneNode> {
  const node = await startShippedNode(host, options)
  nodes.push(node)
  return node
}

/** A shipped node whose identity is below the proof of work its peers expect (as after `identity generate --pow 1`). */
async function weakNode(host: string): Promise<DuneNode> {
  const config = shippedConfig(host)
  let identity = generateIdentityInline(0)
  while (checkProofOfWork(identity.publicKey, identity.proofOfWorkStamp, SHIPPED_TEST_POW))
    identity = generateIdentityInline(0)
  await writeIdentityFile(config.data_dir, identity)
  const node = await startDuneNode(config)
  nodes.push(node)
  return node
}

const pointOf = (node: DuneNode): string => `${node.p2p.config.listenHost}:${node.netPort}`
const connectedTo = (node: DuneNode, other: DuneNode) => () =>
  node.p2p.connections().some((c) => c.peerId === other.peerId)

describe('nodes sharing an IP', () => {
  test('a bad node on a loopback address greylists its point and peer id, not the IP: a good node there still connects', async () => {
    const logs: Record<string, unknown>[] = []
    const destination = { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) }
    const target = await shipped('127.0.62.1', {
      node: { logger: createLogger({ level: 'warn', destination }) },
    })
    const bad = await weakNode('127.0.62.2')

    await assert.rejects(target.p2p.connect(pointOf(bad)), /proof of work/i)
    assert.equal(target.p2p.acl.isIpGreylisted('127.0.62.2'), false, 'the shared IP is not greylisted')
    assert.equal(target.p2p.acl.isPointGreylisted(pointOf(bad)), true)
    assert.equal(target.p2p.acl.isPeerGreylisted(bad.peerId), true)
    // Each greylisting is one warning saying why and what lifts it.
    const warnings = logs.filter((l) => l.level === 40).map((l) => String(l.msg))
    assert.ok(
      warnings.some((m) =>
        new RegExp(
          `^greylisted point ${pointOf(bad).replace(/\./g, '\\.')} \\(handshake: proof_of_work\\) until .*\`dune-admin-client flush greylist\` lifts it$`,
        ).test(m),
      ),
      warnings.join('\n'),
    )
    assert.ok(warnings.some((m) => m.startsWith(`greylisted peer ${bad.peerId} (handshake: proof_of_work)`)))
    // The bad point is not dialed again; the bad node's own dials fail (its stamp).
    await assert.rejects(target.p2p.connect(pointOf(bad)), /point_banned/)
    await assert.rejects(bad.p2p.connect(pointOf(target)))
    assert.equal(connectedTo(target, bad)(), false)

    // A good node on the same IP connects to the target, and the target to another one.
    const good = await shipped('127.0.62.2')
    await good.p2p.connect(pointOf(target))
    await waitUntil(connectedTo(target, good), { message: 'the good node adopted' })
    const other = await shipped('127.0.62.2')
    await target.p2p.connect(pointOf(other))
    await waitUntil(connectedTo(other, target), { message: 'the other good node adopted' })
    assert.equal(target.p2p.acl.isIpGreylisted('127.0.62.2'), false)
  })

  test('trusted points and peers on a greylisted IP still connect; others there are refused', async () => {
    const target = await shipped('127.0.63.1')
    // An IP greylisted earlier (restored from peers.json, or a remote address that misbehaved).
    target.p2p.acl.greylistIp('127.0.63.2', 'an earlier greylisting')

    // A trusted point there: the maintenance keeps it connected (dialing it, or taking its dial).
    const trustedPoint = await shipped('127.0.63.2')
    target.p2p.acl.trustPoint(pointOf(trustedPoint))
    await waitUntil(connectedTo(target, trustedPoint), {
      message: 'the trusted point connected',
      timeoutMs: 15_000,
    })

    const stranger = await shipped('127.0.63.2')
    await assert.rejects(stranger.p2p.connect(pointOf(target)))
    await assert.rejects(target.p2p.connect(pointOf(stranger)), /point_banned/)
    assert.equal(connectedTo(target, stranger)(), false)

    const trustedPeer = await shipped('127.0.63.2')
    target.p2p.acl.trustPeer(trustedPeer.peerId)
    await trustedPeer.p2p.connect(pointOf(target))
    await waitUntil(connectedTo(target, trustedPeer), { message: 'the trusted peer adopted' })
    assert.equal(target.p2p.connections().find((c) => c.peerId === trustedPeer.peerId)?.incoming, true)
    assert.equal(target.p2p.acl.isIpGreylisted('127.0.63.2'), true, 'the IP is still greylisted')
  })
})
