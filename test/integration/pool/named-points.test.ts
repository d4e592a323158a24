// Points named by DNS name (resolved at each dial, every address tried), pinned points
// (HOST:PORT#PEER_ID), the advertised port, and listening on [::] (both families, IPv4 fallback).
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { startDuneNode } from '../../../src/node/daemon.js'
import { createLogger } from '../../../src/node/logger.js'
import { createP2p } from '../../../src/p2p.js'
import { ConnectionRefusedError } from '../../../src/pool/errors.js'
import { ResolveError, type Resolver } from '../../../src/pool/resolver.js'
import { InvalidPointError } from '../../../src/wire/index.js'
import { WelcomeWorker } from '../../../src/workers/welcome.js'
import { testIdentity } from '../../support/identities.js'
import {
  chatMessages,
  nextEvent,
  nodeConfig,
  nodeFixture,
  pointOf,
  stopAll,
} from '../../support/p2p-nodes.js'
import { shippedConfig, startShippedNode } from '../../support/shipped-node.js'
import { waitUntil } from '../../support/wait.js'

/** A resolver that knows only the names of `table` (never the system's: no public lookup). */
function fakeResolver(table: Record<string, string[]>, asked: string[] = []): Resolver {
  return async (name) => {
    asked.push(name)
    const addresses = table[name]
    if (addresses === undefined)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' })
    return addresses.map((address) => ({ address, family: net.isIP(address) }))
  }
}

/** Whether ::1 can be listened on here. */
async function hasIpv6Loopback(): Promise<boolean> {
  const server = net.createServer()
  return new Promise((resolve) => {
    server.once('error', () => resolve(false))
    server.listen({ host: '::1', port: 0 }, () => server.close(() => resolve(true)))
  })
}

describe('points named by DNS name', () => {
  const node = nodeFixture()

  test('a node naming the other localhost:PORT connects (the system resolver, /etc/hosts)', async () => {
    const b = await node('127.0.0.1')
    const a = await node('127.0.16.2', { bootstrapPeers: [`localhost:${b.port}`] })
    const info = await a.connect(`localhost:${b.port}`)
    assert.equal(info.peerId, b.peerId)
    assert.equal(info.point, `localhost:${b.port}`, 'the connection is known by the name dialed')
    const point = a.point(`LOCALHOST:${b.port}`)
    assert.equal(point?.point, `localhost:${b.port}`, 'kept by name (lower case), not by address')
    assert.equal(point?.state, 'running')
    assert.equal(point?.lastAddress, '127.0.0.1')
    assert.equal(a.points().length, 1, 'no second entry under the address')
  })

  test('each address of the name is tried in turn; the name is resolved again at each dial', async () => {
    const b = await node('127.0.16.4')
    const asked: string[] = []
    // 127.0.16.9 listens on nothing (refused), ::1 is of another family than the local address.
    const resolver = fakeResolver({ 'boot.example.net': ['127.0.16.9', '::1', '127.0.16.4'] }, asked)
    const a = await createP2p(nodeConfig('127.0.16.3'), { messages: chatMessages, resolver })
    await a.start()
    try {
      const info = await a.connect(`boot.example.net:${b.port}`)
      assert.equal(info.peerId, b.peerId)
      assert.equal(info.remoteAddress, '127.0.16.4')
      assert.equal(a.point(`boot.example.net:${b.port}`)?.lastAddress, '127.0.16.4')
      await a.disconnect(b.peerId)
      await waitUntil(() => a.connections().length === 0, { message: 'a to close' })
      await a.connect(`boot.example.net:${b.port}`)
      assert.deepEqual(asked, ['boot.example.net', 'boot.example.net'])
    } finally {
      await a.stop()
    }
  })

  test('a name that does not resolve: ResolveError, an event, a failure counted (backoff); the node carries on', async () => {
    const b = await node('127.0.16.6')
    const resolver = fakeResolver({})
    const a = await createP2p(nodeConfig('127.0.16.5', { bootstrapPeers: ['nowhere.example.net:9732'] }), {
      messages: chatMessages,
      resolver,
    })
    await a.start()
    try {
      assert.equal(
        a.point('nowhere.example.net:9732')?.state,
        'disconnected',
        'config names are known points',
      )
      const failed = nextEvent(a, 'resolve-failed')
      await assert.rejects(a.connect('nowhere.example.net:9732'), (err: Error) => {
        assert.ok(err instanceof ResolveError)
        assert.equal(err.code, 'DUNE_RESOLVE')
        assert.match(err.message, /ENOTFOUND/)
        return true
      })
      const [event] = await failed
      assert.equal(event.point, 'nowhere.example.net:9732')
      const info = a.point('nowhere.example.net:9732')!
      assert.equal(info.failures, 1)
      assert.ok(info.nextAttemptAt > (info.lastFailure ?? 0), 'the next attempt waits for the backoff')
      // The node still works.
      assert.equal((await a.connect(pointOf(b))).peerId, b.peerId)
    } finally {
      await a.stop()
    }
  })

  test('a resolver that never answers is bounded by the connection timeout', async () => {
    const resolver: Resolver = () => new Promise(() => {})
    const a = await createP2p(nodeConfig('127.0.16.7', { connectionTimeoutMs: 200 }), {
      messages: chatMessages,
      resolver,
    })
    await a.start()
    try {
      await assert.rejects(a.connect('slow.example.net:9732'), /no answer within 200 ms/)
    } finally {
      await a.stop()
    }
  })

  test('the point syntax: names are checked, bad ones refused with the reason', async () => {
    const a = await node('127.0.16.13')
    await assert.rejects(a.connect('bad_name!:9732'), InvalidPointError)
    await assert.rejects(a.connect('1.2.3:9732'), /not an IPv4 address/)
    await assert.rejects(a.connect('boot.example.net'), /expected "HOST:PORT"/)
    await assert.rejects(a.connect('boot.example.net:9732#idbad'), /peer id/)
  })
})

describe('pinned points (HOST:PORT#PEER_ID)', () => {
  const node = nodeFixture()

  test('the expected peer connects; another peer at the point is refused, logged, its IP greylisted', async () => {
    const b = await node('127.0.16.21')
    const c = await node('127.0.16.22')
    const a = await node('127.0.16.20')
    const ok = await a.connect(`${pointOf(b)}#${b.peerId}`)
    assert.equal(ok.peerId, b.peerId)
    assert.equal(a.point(pointOf(b))?.expectedPeerId, b.peerId)

    const mismatch = nextEvent(a, 'unexpected-peer')
    await assert.rejects(a.connect(`${pointOf(c)}#${b.peerId}`), (err: Error) => {
      assert.ok(err instanceof ConnectionRefusedError)
      assert.equal(err.reason, 'unexpected_peer_id')
      return true
    })
    const [event] = await mismatch
    assert.deepEqual(event, {
      point: pointOf(c),
      remoteAddress: '127.0.16.22',
      expected: b.peerId,
      got: c.peerId,
    })
    assert.equal(a.acl.isIpGreylisted('127.0.16.22'), true)
    assert.equal(a.connection(c.peerId), undefined)
    // The greylisted address is not dialed again.
    await assert.rejects(a.connect(pointOf(c)), /point_banned/)
  })

  test('a config bootstrap peer with #PEER_ID is pinned; pinning a live point to another peer closes it', async () => {
    const b = await node('127.0.16.24')
    const other = await node('127.0.16.25')
    const a = await node('127.0.16.23', { bootstrapPeers: [`${pointOf(b)}#${b.peerId}`] })
    assert.equal(a.point(pointOf(b))?.expectedPeerId, b.peerId)
    await a.connect(pointOf(b))
    const closed = nextEvent(a, 'disconnection', (e) => e.peerId === b.peerId)
    assert.equal(a.setExpectedPeerId(pointOf(b), other.peerId), true)
    await closed
    assert.equal(a.acl.isIpGreylisted('127.0.16.24'), true)
    assert.equal(a.point(pointOf(b))?.expectedPeerId, other.peerId)
  })

  test('an incoming peer whose announced point is pinned to another id is refused too', async () => {
    const b = await node('127.0.16.27')
    const c = await node('127.0.16.28')
    const a = await node('127.0.16.26')
    a.setExpectedPeerId(pointOf(b), c.peerId)
    const mismatch = nextEvent(a, 'unexpected-peer')
    await assert.rejects(b.connect(pointOf(a)))
    const [event] = await mismatch
    assert.equal(event.got, b.peerId)
    assert.equal(a.acl.isIpGreylisted('127.0.16.27'), true)
  })
})

describe('the advertised port', () => {
  const node = nodeFixture()

  test('the port in our connection message is advertisedPort, not the one listened on', async () => {
    const b = await node('127.0.16.31')
    const a = await node('127.0.16.30', { advertisedPort: 19732 })
    const seen = nextEvent(b, 'connection')
    await a.connect(pointOf(b))
    const [event] = await seen
    assert.equal(event.point, '127.0.16.30:19732', 'b learns the advertised point')
    assert.notEqual(a.port, 19732)
    assert.equal(b.point('127.0.16.30:19732')?.peerId, a.peerId)
  })
})

describe('listening on [::]', () => {
  const node = nodeFixture()

  test('accepts IPv4 peers (mapped, shown as IPv4) and IPv6 peers', async (t) => {
    const server = await node('::', { localAddress: undefined })
    assert.equal(server.listenHost, '::')
    const v4 = await node('127.0.16.41')
    const info = await v4.connect(`127.0.0.1:${server.port}`)
    assert.equal(info.peerId, server.peerId)
    await waitUntil(() => server.connection(v4.peerId) !== undefined, {
      message: 'the server to adopt the IPv4 peer',
    })
    assert.equal(server.connection(v4.peerId)?.remoteAddress, '127.0.16.41', 'IPv4-mapped shown as IPv4')
    if (!(await hasIpv6Loopback())) {
      t.skip('no ::1 on this host')
      return
    }
    const v6 = await node('::1')
    const info6 = await v6.connect(`[::1]:${server.port}`)
    assert.equal(info6.peerId, server.peerId)
    await waitUntil(() => server.connection(v6.peerId) !== undefined, {
      message: 'the server to adopt the IPv6 peer',
    })
    assert.equal(server.connection(v6.peerId)?.remoteAddress, '::1')
  })

  test('on a host without IPv6 (listen on :: fails with EAFNOSUPPORT) it listens on 0.0.0.0 and says so', async () => {
    let fallback: Error | undefined
    const refusingIpv6 = ((...args: Parameters<typeof net.createServer>) => {
      const server = net.createServer(...args)
      const listen = server.listen.bind(server)
      server.listen = ((options: net.ListenOptions, callback?: () => void) => {
        if (options.host === '::') {
          const error = Object.assign(new Error('listen EAFNOSUPPORT: address family not supported ::'), {
            code: 'EAFNOSUPPORT',
          })
          process.nextTick(() => server.emit('error', error))
          return server
        }
        return listen({ ...options, host: '127.0.0.1' }, callback) // stay on loopback in the test
      }) as typeof server.listen
      return server
    }) as typeof net.createServer
    const welcome = new WelcomeWorker({
      config: { listenHost: '::', listenPort: 0, backlog: 20 },
      check: () => undefined,
      onSocket: (socket) => socket.destroy(),
      createServer: refusingIpv6,
      onIpv6Fallback: (error) => {
        fallback = error
      },
    })
    const port = await welcome.start()
    try {
      assert.equal(welcome.host, '0.0.0.0')
      assert.match(String(fallback?.message), /EAFNOSUPPORT/)
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port }, () => {
          socket.destroy()
          resolve()
        })
        socket.on('error', reject)
      })
    } finally {
      await welcome.stop()
    }
  })

  test('dune-node on [::] of a host without IPv6: listens on 0.0.0.0 and logs it clearly', async () => {
    const original = net.createServer
    // Every server of this test: `::` fails as on a host without IPv6; 0.0.0.0 stays on loopback.
    net.createServer = ((...args: Parameters<typeof net.createServer>) => {
      const server = original(...args)
      const listen = server.listen.bind(server)
      server.listen = ((options: net.ListenOptions, callback?: () => void) => {
        if (options.host === '::') {
          const error = Object.assign(new Error('listen EAFNOSUPPORT: address family not supported ::'), {
            code: 'EAFNOSUPPORT',
          })
          process.nextTick(() => server.emit('error', error))
          return server
        }
        const host = options.host === '0.0.0.0' ? '127.0.16.45' : options.host
        return listen({ ...options, host }, callback)
      }) as typeof server.listen
      return server
    }) as typeof net.createServer
    let logged = ''
    const config = shippedConfig('127.0.16.44')
    try {
      const node = await startDuneNode(
        { ...config, p2p: { ...config.p2p, listen_addr: '[::]:0' } },
        {
          logger: createLogger({
            level: 'info',
            destination: { write: (line: string) => (logged += line) },
            pretty: false,
          }),
        },
      )
      try {
        assert.equal(node.p2p.listenHost, '0.0.0.0')
        const line = logged.split('\n').find((l) => l.includes('no IPv6 on this host'))
        assert.ok(line, logged)
        assert.match(line, /"from":"::".*"to":"0.0.0.0".*EAFNOSUPPORT/)
        assert.match(logged, new RegExp(`"net_addr":"0\\.0\\.0\\.0:${node.netPort}"`))
      } finally {
        await node.stop()
      }
    } finally {
      net.createServer = original
    }
  })

  test('a port in use on :: is an error, not a fallback', async () => {
    const server = await node('::', { localAddress: undefined })
    const second = await createP2p(nodeConfig('::', { localAddress: undefined, listenPort: server.port! }), {
      messages: chatMessages,
    })
    await assert.rejects(second.start(), /EADDRINUSE/)
    await stopAll(second)
  })
})

describe('dune-node as shipped', () => {
  test('a node whose bootstrap peer is localhost:PORT connects to it on its own (maintenance)', async () => {
    const b = await startShippedNode('127.0.0.1')
    const a = await startShippedNode('127.0.16.50', { bootstrapPeers: [`localhost:${b.netPort}`] })
    try {
      await waitUntil(() => a.p2p.connection(b.peerId) !== undefined, {
        message: 'a to dial localhost',
        timeoutMs: 10_000,
      })
      assert.equal(a.p2p.connection(b.peerId)?.point, `localhost:${b.netPort}`)
    } finally {
      await stopAll(a, b)
    }
  })

  test('a bootstrap name that does not resolve is logged at warn and retried after a backoff', async () => {
    let logged = ''
    const asked: string[] = []
    const config = shippedConfig('127.0.16.53', { bootstrapPeers: ['nowhere.example.net:9732'] })
    const node = await startDuneNode(config, {
      resolver: fakeResolver({}, asked),
      logger: createLogger({
        level: 'info',
        destination: { write: (line: string) => (logged += line) },
        pretty: false,
      }),
    })
    try {
      await waitUntil(() => logged.includes('point name did not resolve'), {
        message: 'the warning',
        timeoutMs: 10_000,
      })
      const line = logged.split('\n').find((l) => l.includes('point name did not resolve'))!
      assert.match(line, /"level":40/)
      assert.match(line, /"point":"nowhere.example.net:9732".*ENOTFOUND/)
      const info = node.p2p.point('nowhere.example.net:9732')!
      assert.ok(info.failures >= 1)
      assert.ok(info.nextAttemptAt > info.lastFailure!, 'the next dial waits for the backoff')
      assert.ok(
        asked.every((name) => name === 'nowhere.example.net'),
        'only the injected resolver was asked',
      )
      assert.equal(node.p2p.running, true)
    } finally {
      await node.stop()
    }
  })

  test('advertised_net_port and a pinned bootstrap peer from the node config', async () => {
    const b = await startShippedNode('127.0.16.52')
    const config = shippedConfig('127.0.16.51', { bootstrapPeers: [`127.0.16.52:${b.netPort}#${b.peerId}`] })
    const a = await startDuneNode({ ...config, p2p: { ...config.p2p, advertised_net_port: 29732 } })
    try {
      await waitUntil(() => b.p2p.connection(a.peerId) !== undefined, {
        message: 'a to dial b',
        timeoutMs: 10_000,
      })
      assert.equal(b.p2p.connection(a.peerId)?.point, '127.0.16.51:29732')
      assert.equal(a.p2p.point(`127.0.16.52:${b.netPort}`)?.expectedPeerId, b.peerId)
    } finally {
      await stopAll(a, b)
    }
  })
})

describe('names and pins across a restart (peers.json)', () => {
  test('a named point and a pin set later are saved and restored; a config pin wins', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dune-named-'))
    const identity = testIdentity(4)
    const id = 'idtqxHUjbjbCfaDn4jczoPGsnhacKX'
    const configured = `127.0.16.61:9732#${id}`
    const first = await createP2p(
      nodeConfig('127.0.16.60', { identity, dataDir, bootstrapPeers: ['boot.example.net:9732'] }),
      { messages: chatMessages, resolver: fakeResolver({}) },
    )
    await first.start()
    first.setExpectedPeerId('boot.example.net:9732', id)
    first.setExpectedPeerId('127.0.16.61:9732', first.peerId) // saved, then overridden by the config
    await first.stop()
    const second = await createP2p(
      nodeConfig('127.0.16.60', { identity, dataDir, bootstrapPeers: [configured] }),
      { messages: chatMessages, resolver: fakeResolver({}) },
    )
    try {
      assert.equal(second.point('boot.example.net:9732')?.expectedPeerId, id, 'the saved pin, by name')
      assert.equal(second.point('127.0.16.61:9732')?.expectedPeerId, id, 'the config pin wins')
    } finally {
      await second.stop()
    }
  })
})
