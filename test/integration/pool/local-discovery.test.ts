// Local peer discovery on loopback: shipped dune-nodes with discovery_addr on the loopback
// broadcast address find each other's points and connect, trusted only when configured.
import assert from 'node:assert/strict'
import dgram from 'node:dgram'
import net from 'node:net'
import { describe, test } from 'node:test'
import { type DuneNode, startDuneNode } from '../../../src/node/daemon.js'
import { stopAll } from '../../support/p2p-nodes.js'
import { shippedConfig } from '../../support/shipped-node.js'
import { waitUntil } from '../../support/wait.js'

/** Whether `port` is free for TCP on `host` and for UDP on 0.0.0.0. */
async function free(host: string, port: number, udp: boolean): Promise<boolean> {
  const tcp = net.createServer()
  const tcpFree = await new Promise<boolean>((resolve) => {
    tcp.once('error', () => resolve(false))
    tcp.listen({ host, port }, () => tcp.close(() => resolve(true)))
  })
  if (!tcpFree || !udp) return tcpFree
  const socket = dgram.createSocket('udp4')
  const udpFree = await new Promise<boolean>((resolve) => {
    socket.once('error', () => resolve(false))
    socket.bind(port, '0.0.0.0', () => resolve(true))
  })
  await new Promise<void>((resolve) => socket.close(() => resolve()))
  return udpFree
}

/** A port in 20000..32767 (Octez's discovery message carries the port as an int16) free on `host`. */
async function freePort(host: string, udp = false): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000)
    if (await free(host, port, udp)) return port
  }
}

/** A shipped node on host:port (fixed, announceable) with local discovery to `discoveryAddr`. */
async function discoveringNode(host: string, discoveryAddr: string, trusted = false): Promise<DuneNode> {
  const config = shippedConfig(host)
  const port = await freePort(host)
  return startDuneNode({
    ...config,
    p2p: {
      ...config.p2p,
      listen_addr: `${host}:${port}`,
      discovery_addr: discoveryAddr,
      trust_discovered_peers: trusted,
    },
  })
}

describe('local discovery on loopback (127.255.255.255)', () => {
  test('two shipped nodes find each other and connect; discovered points are not trusted by default', async () => {
    const discoveryPort = await freePort('127.0.0.1', true)
    const a = await discoveringNode('127.0.16.61', `127.255.255.255:${discoveryPort}`)
    const b = await discoveringNode('127.0.16.62', `127.255.255.255:${discoveryPort}`)
    try {
      await waitUntil(() => a.p2p.point(`127.0.16.62:${b.netPort}`) !== undefined, {
        message: 'a to hear b’s datagram',
        timeoutMs: 10_000,
      })
      await waitUntil(
        () => a.p2p.connection(b.peerId) !== undefined || b.p2p.connection(a.peerId) !== undefined,
        { message: 'the maintenance to connect the discovered nodes', timeoutMs: 15_000 },
      )
      assert.equal(a.p2p.point(`127.0.16.62:${b.netPort}`)?.trusted, false)
      assert.equal(b.p2p.point(`127.0.16.61:${a.netPort}`)?.trusted, false)
      const stats = a.p2p.localDiscoveryStats()!
      assert.ok(stats.sent >= 1 && stats.heard >= 1, JSON.stringify(stats))
      assert.equal(
        a.p2p.points().some((p) => p.point === `127.0.16.61:${a.netPort}`),
        false,
        'a never registers its own datagrams',
      )
    } finally {
      await stopAll(a, b)
    }
  })

  test('with trust_discovered_peers the points heard are trusted', async () => {
    const discoveryPort = await freePort('127.0.0.1', true)
    const a = await discoveringNode('127.0.16.63', `127.255.255.255:${discoveryPort}`, true)
    const b = await discoveringNode('127.0.16.64', `127.255.255.255:${discoveryPort}`)
    try {
      await waitUntil(() => a.p2p.point(`127.0.16.64:${b.netPort}`) !== undefined, {
        message: 'a to hear b',
        timeoutMs: 10_000,
      })
      assert.equal(a.p2p.point(`127.0.16.64:${b.netPort}`)?.trusted, true)
      // b is not configured to trust: a's point stays untrusted there.
      await waitUntil(() => b.p2p.point(`127.0.16.63:${a.netPort}`) !== undefined, {
        message: 'b to hear a',
        timeoutMs: 10_000,
      })
      assert.equal(b.p2p.point(`127.0.16.63:${a.netPort}`)?.trusted, false)
    } finally {
      await stopAll(a, b)
    }
  })

  test('off by default: a shipped node opens no discovery socket', async () => {
    const config = shippedConfig('127.0.16.65')
    assert.equal(config.p2p.discovery_addr, null)
    const node = await startDuneNode(config)
    try {
      assert.equal(node.p2p.localDiscoveryStats(), undefined)
    } finally {
      await node.stop()
    }
  })
})
