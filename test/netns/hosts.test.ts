// Three hosts in network namespaces on one bridge (10.x.y.1-3), a node process in each: links
// across addresses, an IP ban, greylisting per address, a partition (link down) and its healing.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { after, before, describe, test } from 'node:test'
import { waitUntil } from '../support/wait.js'
import { ChildNode } from './support/child-node.js'
import {
  bridgeNetwork,
  deleteStaleNamespaces,
  ip,
  netnsSubnet,
  netnsTag,
  netnsUnavailable,
} from './support/netns.js'

const skip = netnsUnavailable()
const tag = netnsTag()
const subnet = netnsSubnet()
const hosts = ['a', 'b', 'c'] as const
type Host = (typeof hosts)[number]
const network = bridgeNetwork<Host>(tag, hosts, subnet)
const { ns, link, address, exec } = network

function createNetwork(): void {
  network.create((h) =>
    // Give up on an unacknowledged segment after ~3 s, so that a partition is seen in a test.
    execFileSync('ip', ['netns', 'exec', ns(h), 'sh', '-c', 'echo 3 > /proc/sys/net/ipv4/tcp_retries2']),
  )
}

function deleteNetwork(): void {
  network.delete()
}

const connections = async (n: ChildNode) =>
  (await n.request('connections')) as Array<{ peerId: string; remoteAddress: string }>

describe('several hosts in network namespaces', { skip }, () => {
  const nodes = {} as Record<Host, ChildNode>
  const point = (h: Host) => `${address(h)}:${nodes[h].port}`

  before(async () => {
    deleteStaleNamespaces()
    createNetwork()
    const common = {
      listenPort: 0,
      connectionTimeoutMs: 1000,
      authenticationTimeoutMs: 1000,
      // TCP_USER_TIMEOUT overrides tcp_retries2: give up on an unacknowledged segment after 3 s
      // here too (the shipped 45 s: dead-peer.test.ts).
      tcpKeepalive: { userTimeoutMs: 3000 },
    }
    const [b, c] = await Promise.all([
      ChildNode.start({ ...common, listenHost: address('b'), maintenance: { enabled: false } }, exec('b')),
      ChildNode.start(
        { ...common, listenHost: address('c'), maintenance: { enabled: false }, chatEveryMs: 200 },
        exec('c'),
      ),
    ])
    nodes.b = b
    nodes.c = c
    // a keeps at least one connection, dialing c (its bootstrap peer) again whenever it loses it.
    nodes.a = await ChildNode.start(
      {
        ...common,
        listenHost: address('a'),
        bootstrapPeers: [point('c')],
        minConnections: 1,
        expectedConnections: 2,
        maxConnections: 4,
        maintenance: {
          periodMs: 500,
          bootstrapWaitMs: 100,
          backoff: { firstRetryMs: 100, maxRetryMs: 500, afterDisconnectMs: 0 },
        },
        chatEveryMs: 200,
      },
      exec('a'),
    )
  })

  after(async () => {
    await Promise.all(hosts.map((h) => nodes[h]?.stop()))
    deleteNetwork()
  })

  test('nodes on distinct addresses connect; each side sees the other host’s address', async () => {
    await waitUntil(async () => (await connections(nodes.a)).some((c) => c.peerId === nodes.c.peerId), {
      message: 'a to dial c',
      timeoutMs: 15_000,
      intervalMs: 50,
    })
    await nodes.a.request('connect', { point: point('b') })
    await nodes.c.request('connect', { point: point('b') })
    const seenByB = await connections(nodes.b)
    assert.deepEqual(seenByB.map((c) => c.remoteAddress).sort(), [address('a'), address('c')].sort())
    const seenByC = await connections(nodes.c)
    assert.ok(seenByC.some((c) => c.peerId === nodes.a.peerId && c.remoteAddress === address('a')))
  })

  test('an IP ban of one host: its connection is kicked and it is refused; the other host stays', async () => {
    await nodes.b.request('banIp', { ip: address('a') })
    await nodes.b.waitEvent((e) => e.event === 'disconnection' && e.peerId === nodes.a.peerId)
    await assert.rejects(nodes.a.request('connect', { point: point('b') }))
    await nodes.b.waitEvent(
      (e) => e.event === 'refused' && e.remoteAddress === address('a') && e.reason === 'banned',
    )
    assert.deepEqual(
      (await connections(nodes.b)).map((c) => c.remoteAddress),
      [address('c')],
    )
  })

  test('greylisting is per address: the host that sent garbage is greylisted, no other', async () => {
    await nodes.c.request('garbage', { point: point('b') })
    await nodes.b.waitEvent((e) => e.event === 'greylisted' && e.kind === 'ip')
    assert.equal(await nodes.b.request('isIpGreylisted', { ip: address('c') }), true)
    assert.equal(await nodes.b.request('isIpGreylisted', { ip: address('a') }), false)
    // Its next connection is closed at accept, before the handshake.
    await nodes.c.request('garbage', { point: point('b') })
    await nodes.b.waitEvent(
      (e) => e.event === 'refused' && e.remoteAddress === address('c') && e.reason === 'greylisted',
    )
  })

  test('a partition (c’s link down) closes a–c with a reason; once healed, the maintenance of a reconnects', async () => {
    const before = nodes.a.events.length
    ip('-n', ns('c'), 'link', 'set', link('c'), 'down')
    const lost = await nodes.a.waitEvent(
      (e) =>
        nodes.a.events.indexOf(e) >= before && e.event === 'disconnection' && e.peerId === nodes.c.peerId,
      20_000,
    )
    assert.equal(lost.reason, 'dead_peer')
    ip('-n', ns('c'), 'link', 'set', link('c'), 'up')
    await nodes.a.waitEvent(
      (e) =>
        nodes.a.events.indexOf(e) > nodes.a.events.indexOf(lost) &&
        e.event === 'connection' &&
        e.peerId === nodes.c.peerId,
      20_000,
    )
    assert.ok(
      (await connections(nodes.a)).some(
        (c) => c.peerId === nodes.c.peerId && c.remoteAddress === address('c'),
      ),
    )
  })
})
