// Dead peers are noticed: two shipped nodes on two netns hosts; one host vanishes (its link
// down: no FIN, no RST) and the other closes the connection as `dead_peer` within 60 s.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { ChildNode } from './support/child-node.js'
import { ip, netnsSubnet, netnsTag, netnsUnavailable } from './support/netns.js'

const skip = netnsUnavailable()
const tag = netnsTag()
const subnet = netnsSubnet()
const hosts = ['a', 'b'] as const
type Host = (typeof hosts)[number]
const ns = (h: Host) => `dune-${tag}-${h}`
const link = (h: Host) => `d${tag}${h}`
const address = (h: Host) => `${subnet}.${hosts.indexOf(h) + 1}`
const exec = (h: Host) => ['ip', 'netns', 'exec', ns(h)]
const script = fileURLToPath(new URL('./support/shipped-node-main.ts', import.meta.url))

/** Two hosts joined by a veth pair; the kernel's TCP settings are left as a fresh namespace has them. */
function createNetwork(): void {
  for (const h of hosts) ip('netns', 'add', ns(h))
  ip('link', 'add', link('a'), 'netns', ns('a'), 'type', 'veth', 'peer', 'name', link('b'), 'netns', ns('b'))
  for (const h of hosts) {
    ip('-n', ns(h), 'addr', 'add', `${address(h)}/24`, 'dev', link(h))
    ip('-n', ns(h), 'link', 'set', link(h), 'up')
    ip('-n', ns(h), 'link', 'set', 'lo', 'up')
  }
}

function deleteNetwork(): void {
  for (const h of hosts) {
    try {
      ip('netns', 'del', ns(h))
    } catch {
      // not created
    }
  }
}

describe('dead peers are noticed (netns hosts, shipped defaults)', { skip }, () => {
  const nodes = {} as Record<Host, ChildNode>

  before(async () => {
    createNetwork()
    nodes.b = await ChildNode.start({ host: address('b') }, exec('b'), undefined, script)
    nodes.a = await ChildNode.start(
      { host: address('a'), bootstrapPeers: [`${address('b')}:${nodes.b.port}`] },
      exec('a'),
      undefined,
      script,
    )
  })

  after(async () => {
    await Promise.all(hosts.map((h) => nodes[h]?.stop()))
    deleteNetwork()
  })

  test('a host vanishes: both ends close the connection as dead_peer within 60 s', async () => {
    await nodes.a.waitEvent((e) => e.event === 'connection' && e.peerId === nodes.b.peerId, 20_000)
    await nodes.b.waitEvent((e) => e.event === 'connection' && e.peerId === nodes.a.peerId, 20_000)
    // Idle connections, as shipped (no gossip): only keepalive probes can notice the loss.
    const since = Date.now()
    ip('-n', ns('b'), 'link', 'set', link('b'), 'down')
    // a dialed b: its dialed socket notices; b accepted a: its accepted socket, cut off, too.
    const [lostByA, lostByB] = await Promise.all([
      nodes.a.waitEvent((e) => e.event === 'disconnection' && e.peerId === nodes.b.peerId, 60_000),
      nodes.b.waitEvent((e) => e.event === 'disconnection' && e.peerId === nodes.a.peerId, 60_000),
    ])
    assert.equal(lostByA.reason, 'dead_peer', String(lostByA.detail))
    assert.equal(lostByB.reason, 'dead_peer', String(lostByB.detail))
    // Figures, not pass/fail bounds beyond the waitEvent's 60 s.
    const seconds = (e: Record<string, unknown>) => ((Number(e.at) - since) / 1000).toFixed(1)
    process.stdout.write(
      `# dead peer noticed after ${seconds(lostByA)} s (dialer), ${seconds(lostByB)} s (acceptor)\n`,
    )
  })
})
