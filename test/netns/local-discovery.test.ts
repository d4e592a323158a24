// Hosts in network namespaces on one bridge (10.x.y.1-3): local discovery by broadcast to the
// bridge's subnet finds and connects the nodes; a host with IPv6 disabled still listens on [::].
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { after, before, describe, test } from 'node:test'
import { ChildNode } from './support/child-node.js'
import { bridgeNetwork, netnsSubnet, netnsTag, netnsUnavailable } from './support/netns.js'

const skip = netnsUnavailable()
const tag = netnsTag()
const subnet = netnsSubnet()
const hosts = ['a', 'b', 'c'] as const
type Host = (typeof hosts)[number]
const network = bridgeNetwork<Host>(tag, hosts, subnet)
const { address, exec } = network

function createNetwork(): void {
  network.create()
  // c is an IPv4-only host (tezos/tezos#49).
  execFileSync('ip', [...exec('c').slice(1), 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1'])
}

function deleteNetwork(): void {
  network.delete()
}

const connections = async (n: ChildNode) =>
  (await n.request('connections')) as Array<{ peerId: string; remoteAddress: string }>

describe('local discovery between network-namespace hosts on one bridge', { skip }, () => {
  const nodes = {} as Record<Host, ChildNode>
  const common = {
    listenPort: 9732,
    connectionTimeoutMs: 1000,
    authenticationTimeoutMs: 1000,
    minConnections: 1,
    expectedConnections: 2,
    maxConnections: 4,
    maintenance: { periodMs: 500, bootstrapWaitMs: 200 },
  }

  before(async () => {
    createNetwork()
    const discovery = { address: `${subnet}.255`, port: 10732 }
    const [a, b] = await Promise.all([
      ChildNode.start({ ...common, listenHost: address('a'), localDiscovery: discovery }, exec('a')),
      ChildNode.start({ ...common, listenHost: address('b'), localDiscovery: discovery }, exec('b')),
    ])
    nodes.a = a
    nodes.b = b
    // c listens on [::] although IPv6 is disabled there, and does no discovery.
    nodes.c = await ChildNode.start(
      { ...common, listenHost: '::', maintenance: { enabled: false } },
      exec('c'),
    )
  })

  after(async () => {
    await Promise.all(hosts.map((h) => nodes[h]?.stop()))
    deleteNetwork()
  })

  test('a and b hear each other’s broadcast and connect, each seeing the other host’s address', async () => {
    await nodes.a.waitEvent((e) => e.event === 'connection' && e.peerId === nodes.b.peerId, 20_000)
    const seenByA = await connections(nodes.a)
    assert.ok(seenByA.some((c) => c.peerId === nodes.b.peerId && c.remoteAddress === address('b')))
  })

  test('a host with IPv6 disabled listens on [::] and takes IPv4 peers', async () => {
    const peerId = await nodes.a.request('connect', { point: `${address('c')}:9732` })
    assert.equal(peerId, nodes.c.peerId)
    const seenByC = await connections(nodes.c)
    assert.ok(seenByC.some((c) => c.peerId === nodes.a.peerId && c.remoteAddress === address('a')))
  })
})
