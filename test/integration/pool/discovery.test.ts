// Discovery on real sockets: Bootstrap answered with Advertise (a node learns points from
// another), bad advertised points dropped one by one, the per-connection rate limit, and a
// swap between four nodes honouring swap_linger.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { IoScheduler } from '../../../src/io/scheduler.js'
import { Connection } from '../../../src/socket/index.js'
import {
  type ChatNode,
  chat,
  chatMessages,
  nextEvent,
  nodeFixture,
  pointOf,
  rawHandshake,
} from '../../support/p2p-nodes.js'
import { waitUntil } from '../../support/wait.js'

describe('discovery', () => {
  const node = nodeFixture()
  const scheduler = new IoScheduler()
  after(() => scheduler.close())

  test('Bootstrap is answered with Advertise: a node learns the points another knows', async () => {
    const a = await node('127.0.4.1')
    const b = await node('127.0.4.2')
    const c = await node('127.0.4.3')
    await b.connect(pointOf(c))
    await a.connect(pointOf(b))
    const learnt = nextEvent(a, 'new-point', (e) => e.point === pointOf(c))
    assert.equal(a.bootstrap(), 1)
    assert.deepEqual((await learnt)[0], { point: pointOf(c), source: b.peerId })
    assert.equal(a.point(pointOf(c))?.state, 'disconnected')
    assert.equal(a.point(pointOf(a)), undefined, 'b does not advertise a to itself')
    await a.connect(pointOf(c))
  })

  test('advertised points are checked one by one: bad ones are dropped, the connection stays', async () => {
    const b = await node('127.0.4.4')
    const pending = await rawHandshake('127.0.4.5', pointOf(b))
    const raw = new Connection(await pending.accept(), chatMessages, scheduler)
    try {
      const points = ['bad', '127.0.4.99:1', 'x'.repeat(47), '[::1]:5', '127.0.4.98:0', 'example.com:9732']
      await raw.send({ kind: 'advertise', points })
      await raw.send({ kind: 'application', message: chat('after the advertise') })
      assert.deepEqual((await b.receive()).message, chat('after the advertise'))
      assert.equal(b.point('127.0.4.99:1')?.state, 'disconnected')
      assert.equal(b.point('[::1]:5')?.state, 'disconnected')
      assert.equal(b.point('127.0.4.98:0'), undefined)
      assert.equal(b.points().length, 2)
      assert.equal(b.connections().length, 1)
      assert.equal(b.acl.isIpGreylisted('127.0.4.5'), false)
    } finally {
      raw.destroy()
    }
  })

  test('learnt points are bounded: past max_known_points the GC trims to the target, keeping trusted ones', async () => {
    const b = await node('127.0.4.13', {
      maxKnownPoints: { max: 4, target: 2 },
      trustedPoints: ['127.0.4.96:9732'],
    })
    const pending = await rawHandshake('127.0.4.14', pointOf(b))
    const raw = new Connection(await pending.accept(), chatMessages, scheduler)
    try {
      const points = Array.from({ length: 10 }, (_, i) => `127.254.0.${i + 1}:9732`)
      await raw.send({ kind: 'advertise', points })
      await raw.send({ kind: 'application', message: chat('after') })
      await b.receive()
      const known = b.points().map((p) => p.point)
      assert.ok(known.length <= 4, `${known.length} points kept`)
      assert.ok(known.includes('127.0.4.96:9732'), 'the trusted point is kept')
      assert.ok(known.includes('127.254.0.10:9732'), 'the newest point got in')
    } finally {
      raw.destroy()
    }
  })

  test('Bootstrap is answered at most once per 0.1 s per connection', async () => {
    const b = await node('127.0.4.6', { bootstrapPeers: ['127.0.4.97:9732'] })
    const pending = await rawHandshake('127.0.4.7', pointOf(b))
    const raw = new Connection(await pending.accept(), chatMessages, scheduler)
    try {
      await raw.send({ kind: 'bootstrap' })
      await raw.send({ kind: 'bootstrap' })
      await raw.send({ kind: 'application', message: chat('done') })
      const { peer } = await b.receive() // both Bootstraps were handled before this
      await b.send(peer, chat('end'))
      const answers = []
      for await (const message of raw) {
        answers.push(message)
        if (message.kind === 'application') break
      }
      assert.deepEqual(answers, [
        { kind: 'advertise', points: ['127.0.4.97:9732'] },
        { kind: 'application', message: chat('end') },
      ])
    } finally {
      raw.destroy()
    }
  })

  test('swap: A proposes C to B, B answers with D; A ends with B and D, B with A and C', async () => {
    const a = await node('127.0.4.8')
    const b = await node('127.0.4.9')
    const c = await node('127.0.4.10')
    const d = await node('127.0.4.11')
    await a.connect(pointOf(b))
    await a.connect(pointOf(c))
    await b.connect(pointOf(d))
    await waitUntil(() => b.connections().length === 2, { message: 'b to see a and d' })
    const aSwapped = nextEvent(a, 'swap', (e) => e.outcome === 'succeeded' || e.outcome === 'failed')
    const bSwapped = nextEvent(b, 'swap', (e) => e.outcome === 'succeeded' || e.outcome === 'failed')
    assert.equal(a.swapRequest({ to: b.peerId, propose: c.peerId }), true)
    assert.deepEqual((await bSwapped)[0], { outcome: 'succeeded', peerId: a.peerId, point: pointOf(c) })
    assert.deepEqual((await aSwapped)[0], { outcome: 'succeeded', peerId: b.peerId, point: pointOf(d) })
    const peersOf = (n: ChatNode) => new Set(n.connections().map((x) => x.peerId))
    await waitUntil(() => peersOf(a).size === 2 && !peersOf(a).has(c.peerId), { message: 'a to drop c' })
    await waitUntil(() => peersOf(b).size === 2 && !peersOf(b).has(d.peerId), { message: 'b to drop d' })
    assert.deepEqual(peersOf(a), new Set([b.peerId, d.peerId]))
    assert.deepEqual(peersOf(b), new Set([a.peerId, c.peerId]))

    // b swapped less than swap_linger ago: a request from a new connection is ignored.
    const e = await node('127.0.4.12')
    await e.connect(pointOf(b))
    await e.connect(pointOf(d))
    const ignored = nextEvent(b, 'swap', (event) => event.outcome === 'ignored')
    assert.equal(e.swapRequest({ to: b.peerId, propose: d.peerId }), true)
    assert.deepEqual((await ignored)[0], {
      outcome: 'ignored',
      peerId: e.peerId,
      point: pointOf(d),
      reason: 'linger',
    })
  })
})
