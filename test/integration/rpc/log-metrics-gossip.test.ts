// The admin RPC's event stream and metrics against running nodes: /network/log delivers
// connection, ACL and gossip events; /metrics is Prometheus text; gossip reaches each node once.
import assert from 'node:assert/strict'
import { type AddressInfo, createServer } from 'node:net'
import { describe, test } from 'node:test'
import { defined } from '../../support/defined.js'
import { api, duneNodeFixture, enc, netPoint } from '../../support/dune-nodes.js'
import { waitUntil } from '../../support/wait.js'
import { parsePrometheus, readEvents } from './readers.js'

describe('admin RPC event log, metrics and gossip', () => {
  const start = duneNodeFixture()

  test('/network/log streams a connection event and an acl event', async () => {
    const a = await start('127.0.0.41')
    const b = await start('127.0.0.42')
    const { contentType, events } = await readEvents(
      `${a.rpcUrl}/network/log`,
      async () => {
        await api(a, 'PUT', `/network/points/${enc(netPoint(b))}`)
        await api(a, 'PATCH', '/network/points/127.0.0.200', { acl: 'ban' })
        await api(a, 'DELETE', '/network/greylist')
      },
      (seen) => seen.some((e) => e.kind === 'acl' && e.data.action === 'flush_greylist'),
    )
    assert.match(contentType ?? '', /^text\/event-stream/)
    const connection = events.find((e) => e.kind === 'connection')
    assert.ok(connection, JSON.stringify(events))
    assert.equal(connection.data.peer_id, b.peerId)
    assert.equal(connection.data.incoming, false)
    assert.equal(typeof connection.data.time, 'number')
    const ban = events.find((e) => e.kind === 'acl' && e.data.action === 'ban')
    assert.deepEqual(ban?.data && { ...ban.data, time: 0 }, {
      time: 0,
      action: 'ban',
      kind: 'ip',
      target: '127.0.0.200',
    })
  })

  test('/network/log with stat_interval_ms sends stat events; a kick shows as a disconnection', async () => {
    const a = await start('127.0.0.43')
    const b = await start('127.0.0.44')
    await api(a, 'PUT', `/network/points/${enc(netPoint(b))}`)
    const { events } = await readEvents(
      `${a.rpcUrl}/network/log?stat_interval_ms=100`,
      async () => {
        await api(a, 'DELETE', `/network/connections/${b.peerId}`)
      },
      (seen) => seen.some((e) => e.kind === 'disconnection') && seen.some((e) => e.kind === 'stat'),
    )
    const stat = events.find((e) => e.kind === 'stat')!
    assert.equal(stat.data.peer_id, a.peerId)
    assert.ok(Array.isArray(stat.data.connections_flows))
    const gone = events.find((e) => e.kind === 'disconnection')!
    assert.equal(gone.data.peer_id, b.peerId)
    assert.match(String(gone.data.reason), /kicked by the administrator/)
  })

  test('/metrics is Prometheus text with the node metrics', async () => {
    const a = await start('127.0.0.45')
    const b = await start('127.0.0.46')
    await api(a, 'PUT', `/network/points/${enc(netPoint(b))}`)
    // A failed handshake: a listener that answers with garbage and hangs up.
    const garbage = createServer((socket) => socket.end(Buffer.alloc(64, 0xff)))
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.46', resolve))
    const port = (garbage.address() as AddressInfo).port
    const failed = await api(a, 'PUT', `/network/points/${enc(`127.0.0.46:${port}`)}`, { timeout_ms: 1000 })
    garbage.close()
    assert.equal(failed.status, 502)
    a.gossip.publish('metrics test')
    b.gossip.publish('metrics test too')
    await waitUntil(() => b.gossip.counts().received === 1, { message: 'the gossip to reach b' })
    await waitUntil(() => a.gossip.counts().received === 1, { message: 'the gossip to reach a' })
    const response = await fetch(`${a.rpcUrl}/metrics`)
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
    const { types, samples } = parsePrometheus(await response.text())
    assert.equal(samples.get('dune_p2p_connections{direction="outgoing"}'), 1)
    assert.equal(samples.get('dune_p2p_connections{direction="incoming"}'), 0)
    assert.equal(samples.get('dune_p2p_handshakes_total{direction="outgoing"}'), 1)
    assert.ok(samples.get('dune_p2p_bytes_total{direction="sent"}')! > 0)
    assert.ok(samples.get('dune_p2p_bytes_total{direction="recv"}')! > 0)
    assert.ok(samples.has('dune_p2p_flow_bytes_per_second{direction="in"}'))
    assert.equal(samples.get('dune_p2p_greylist_size{kind="ip"}'), 0)
    assert.equal(samples.get('dune_p2p_queue_bytes{direction="out"}'), 0)
    assert.ok(samples.get('dune_p2p_known_points')! >= 1)
    assert.ok(samples.get('dune_p2p_known_peers')! >= 1)
    assert.equal(samples.get('dune_p2p_gossip_messages_total{kind="published"}'), 1)
    assert.equal(samples.get('dune_p2p_gossip_messages_total{kind="received"}'), 1)
    assert.equal(types.get('dune_p2p_bytes_total'), 'counter')
    assert.equal(types.get('dune_p2p_connections'), 'gauge')
    const failures = [...samples.keys()].filter((k) => k.startsWith('dune_p2p_handshake_failures_total{'))
    assert.equal(failures.length, 1, failures.join())
    assert.match(defined(failures[0]), /cause="DUNE_[A-Z_]+",direction="outgoing"/)
    // Counters only grow between scrapes.
    const again = parsePrometheus(await (await fetch(`${a.rpcUrl}/metrics`)).text())
    assert.ok(
      again.samples.get('dune_p2p_bytes_total{direction="sent"}')! >=
        samples.get('dune_p2p_bytes_total{direction="sent"}')!,
    )
  })

  test('gossip published on one node reaches the third exactly once, through a triangle', async () => {
    const a = await start('127.0.0.47')
    const b = await start('127.0.0.48')
    const c = await start('127.0.0.49')
    await a.p2p.connect(netPoint(b))
    await b.p2p.connect(netPoint(c))
    await c.p2p.connect(netPoint(a))
    const atC: string[] = []
    c.gossip.on('message', (m) => atC.push(m.id))
    const { events } = await readEvents(
      `${c.rpcUrl}/network/log`,
      async () => {
        a.gossip.publish('hello triangle')
      },
      (seen) => seen.some((e) => e.kind === 'gossip'),
    )
    // b and c each receive it from a and once more from each other: one duplicate each.
    await waitUntil(() => b.gossip.counts().duplicates === 1 && c.gossip.counts().duplicates === 1, {
      message: 'the relayed copies',
    })
    assert.equal(atC.length, 1)
    assert.equal(c.gossip.counts().received, 1)
    assert.equal(b.gossip.counts().received, 1)
    assert.equal(a.gossip.counts().duplicates, 0, 'nobody relays back to the sender')
    const gossip = events.find((e) => e.kind === 'gossip')!
    assert.equal(gossip.data.text, 'hello triangle')
    assert.equal(gossip.data.origin, a.peerId)
    assert.equal(gossip.data.id, atC[0])
  })
})
