// Local discovery's datagram (Octez's 28 bytes), its pauses, the subnet filter, and the worker
// on a real UDP socket of 127.0.0.1: valid datagrams heard, its own and malformed ones dropped.
import assert from 'node:assert/strict'
import dgram from 'node:dgram'
import { describe, test } from 'node:test'
import { peerIdFromB58 } from '../../../src/crypto/index.js'
import {
  DISCOVERY_MESSAGE_SIZE,
  decodeDiscoveryMessage,
  discoveryDelayMs,
  encodeDiscoveryMessage,
  isOnLocalSubnet,
  LocalDiscovery,
  LocalDiscoveryError,
} from '../../../src/workers/local-discovery.js'
import { FakeClock } from '../../support/fake-clock.js'
import { testIdentity } from '../../support/identities.js'
import { waitUntil } from '../../support/wait.js'

const ours = testIdentity(4).peerId
const theirs = testIdentity(4).peerId

/** A free UDP port of 127.0.0.1 in 20000..32767 (announceable as Octez's int16). */
async function freeUdpPort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000)
    const socket = dgram.createSocket('udp4')
    const ok = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false))
      socket.bind(port, '0.0.0.0', () => resolve(true))
    })
    await new Promise<void>((resolve) => socket.close(() => resolve()))
    if (ok) return port
  }
}

function send(datagram: Buffer, port: number): Promise<void> {
  const socket = dgram.createSocket('udp4')
  return new Promise((resolve, reject) =>
    socket.send(datagram, port, '127.0.0.1', (err) => {
      socket.close()
      if (err) reject(err)
      else resolve()
    }),
  )
}

describe('the discovery datagram', () => {
  test("is Octez's: 'DISCOMAGIC', the 16-byte peer id, the port as a big-endian int16 (28 bytes)", () => {
    const id = peerIdFromB58('idtqxHUjbjbCfaDn4jczoPGsnhacKX')
    const datagram = encodeDiscoveryMessage(id, 9732)
    assert.equal(datagram.length, DISCOVERY_MESSAGE_SIZE)
    assert.equal(
      datagram.toString('hex'),
      `${Buffer.from('DISCOMAGIC').toString('hex')}${id.toString('hex')}2604`,
    )
    assert.deepEqual(decodeDiscoveryMessage(datagram), { peerId: id, port: 9732 })
  })

  test('a port Octez cannot carry (int16) is refused with the reason', () => {
    assert.throws(() => encodeDiscoveryMessage(ours, 40000), LocalDiscoveryError)
    assert.throws(() => encodeDiscoveryMessage(ours, 0), /int16/)
    assert.equal(encodeDiscoveryMessage(ours, 32767).readInt16BE(26), 32767)
  })

  test('malformed datagrams decode to nothing: size, magic, port <= 0', () => {
    const good = encodeDiscoveryMessage(ours, 9732)
    assert.equal(decodeDiscoveryMessage(good.subarray(0, 27)), undefined)
    assert.equal(decodeDiscoveryMessage(Buffer.concat([good, Buffer.from([0])])), undefined)
    const badMagic = Buffer.from(good)
    badMagic[0] = 0x64 // 'd'
    assert.equal(decodeDiscoveryMessage(badMagic), undefined)
    const negative = Buffer.from(good)
    negative.writeInt16BE(-25536, 26)
    assert.equal(decodeDiscoveryMessage(negative), undefined)
    const zero = Buffer.from(good)
    zero.writeInt16BE(0, 26)
    assert.equal(decodeDiscoveryMessage(zero), undefined)
  })

  test("pauses as Octez's sender: 100 ms doubling for 10 rounds, then 51.2 s", () => {
    const pauses = Array.from({ length: 12 }, (_, i) => discoveryDelayMs(i + 1))
    assert.deepEqual(pauses, [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 51200, 51200])
  })

  test('isOnLocalSubnet: only addresses in a subnet of one of the host’s IPv4 interfaces', () => {
    const interfaces = {
      lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4' }],
      eth0: [
        { address: '192.168.1.7', netmask: '255.255.255.0', family: 'IPv4' },
        { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6' },
      ],
    } as unknown as Parameters<typeof isOnLocalSubnet>[1]
    assert.equal(isOnLocalSubnet('192.168.1.200', interfaces), true)
    assert.equal(isOnLocalSubnet('127.5.6.7', interfaces), true)
    assert.equal(isOnLocalSubnet('192.168.2.1', interfaces), false)
    assert.equal(isOnLocalSubnet('203.0.113.9', interfaces), false)
    assert.equal(isOnLocalSubnet('not an ip', interfaces), false)
  })
})

describe('the LocalDiscovery worker on 127.0.0.1', () => {
  test('hears other peers’ datagrams (their IP, announced port); drops its own and malformed ones', async () => {
    const port = await freeUdpPort()
    const heard: Array<[string, number]> = []
    const discovery = new LocalDiscovery({
      peerId: ours,
      listeningPort: 9732,
      config: { address: '127.0.0.1', port },
      localAddress: '127.0.0.1',
      onPoint: (ip, p) => heard.push([ip, p]),
    })
    await discovery.start()
    try {
      await send(Buffer.from('garbage'), port)
      await send(Buffer.alloc(DISCOVERY_MESSAGE_SIZE), port)
      await send(encodeDiscoveryMessage(ours, 1234), port) // ours, as if reflected
      await send(encodeDiscoveryMessage(theirs, 4321), port)
      await waitUntil(() => heard.length > 0 && discovery.stats().sent > 0, {
        message: () => `a point heard: ${JSON.stringify(discovery.stats())}`,
      })
      assert.deepEqual(heard, [['127.0.0.1', 4321]])
      const stats = discovery.stats()
      assert.equal(stats.heard, 1)
      // 3 sent above, and its own broadcasts, which it hears and drops.
      assert.ok(stats.ignored >= 3 + 1, JSON.stringify(stats))
    } finally {
      await discovery.stop()
    }
  })

  test('datagrams from outside the accepted sources are dropped', async () => {
    const port = await freeUdpPort()
    const heard: string[] = []
    const discovery = new LocalDiscovery({
      peerId: ours,
      listeningPort: 9732,
      config: { address: '127.0.0.1', port },
      onPoint: (ip) => heard.push(ip),
      acceptSource: () => false,
    })
    await discovery.start()
    try {
      await send(encodeDiscoveryMessage(theirs, 4321), port)
      await waitUntil(() => discovery.stats().ignored > 0, { message: 'the datagram dropped' })
      assert.deepEqual(heard, [])
      assert.ok(discovery.stats().ignored >= 1)
    } finally {
      await discovery.stop()
    }
  })

  test('points not heard recently are passed on at most newPointsPerMinute; repeats pass freely', async () => {
    const port = await freeUdpPort()
    const heard: number[] = []
    const clock = new FakeClock(1_000_000)
    const discovery = new LocalDiscovery({
      peerId: ours,
      listeningPort: 9732,
      config: { address: '127.0.0.1', port },
      onPoint: (_ip, p) => heard.push(p),
      newPointsPerMinute: 3,
      clock,
    })
    await discovery.start()
    try {
      const flood = Array.from({ length: 10 }, (_, i) => 1000 + i)
      for (const p of flood) await send(encodeDiscoveryMessage(theirs, p), port)
      await send(encodeDiscoveryMessage(theirs, 1000), port) // heard before: passes
      // Datagrams of one host over loopback arrive in order: once the last is heard, all were.
      const heardCount = (count: number) =>
        waitUntil(() => heard.length >= count, { message: `${count} points heard` })
      await heardCount(4)
      assert.deepEqual(heard, [1000, 1001, 1002, 1000])
      clock.time += 20_000 // a third of a minute: one more token
      await send(encodeDiscoveryMessage(theirs, 2000), port)
      await send(encodeDiscoveryMessage(theirs, 2001), port) // no token left: dropped
      await send(encodeDiscoveryMessage(theirs, 2000), port)
      await heardCount(6)
      assert.deepEqual(heard, [1000, 1001, 1002, 1000, 2000, 2000])
    } finally {
      await discovery.stop()
    }
  })

  test('a listening port above 32767 is heard from but not announced (an error says why)', async () => {
    const port = await freeUdpPort()
    const errors: Error[] = []
    const discovery = new LocalDiscovery({
      peerId: ours,
      listeningPort: 40000,
      config: { address: '127.0.0.1', port },
      onPoint: () => {},
      onError: (err) => errors.push(err),
    })
    await discovery.start()
    await discovery.stop()
    assert.equal(discovery.stats().sent, 0)
    assert.match(errors[0]?.message ?? '', /int16/)
  })
})
