// Per-peer and per-point history (Octez's /network/{peers,points}/…/log): the events of a real
// connection and its end, ?monitor=true streaming the new ones, `show peer ID --log`, the bound.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { main } from '../../../src/cli/dune-admin-client.js'
import { HISTORY_SIZE, History } from '../../../src/pool/history.js'
import { MAX_HISTORY_MONITORS } from '../../../src/rpc/routes-history.js'
import { defined } from '../../support/defined.js'
import { api, duneNodeFixture, netPoint } from '../../support/dune-nodes.js'
import { waitUntil } from '../../support/wait.js'

/** Reads newline-separated JSON values from a streaming response. */
function lines(response: Response): () => Promise<unknown> {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let buffered = ''
  return async () => {
    for (;;) {
      const newline = buffered.indexOf('\n')
      if (newline >= 0) {
        const line = buffered.slice(0, newline)
        buffered = buffered.slice(newline + 1)
        return JSON.parse(line)
      }
      const { value, done } = await reader.read()
      if (done) throw new Error('the stream ended')
      buffered += decoder.decode(value, { stream: true })
    }
  }
}

describe('per-peer and per-point history', () => {
  const start = duneNodeFixture()

  test('a dial, its connection and its end, seen from the point and from the peer', async () => {
    const a = await start('127.0.16.81')
    const b = await start('127.0.16.82')
    await a.p2p.connect(netPoint(b))
    const point = await api(a, 'GET', `/network/points/${netPoint(b)}/log`)
    assert.equal(point.status, 200)
    assert.deepEqual(
      point.body.map((e: { kind: string }) => e.kind),
      ['outgoing_request', 'accepting_request', 'connection_established'],
    )
    assert.equal(point.body[2].peer_id, b.peerId)
    assert.equal(typeof point.body[0].timestamp, 'number')
    const peer = await api(a, 'GET', `/network/peers/${b.peerId}/log`)
    assert.deepEqual(
      peer.body.map((e: { kind: string; addr: string; port: number }) => [e.kind, e.addr, e.port]),
      [
        ['incoming_request', '127.0.16.82', b.netPort],
        ['connection_established', '127.0.16.82', b.netPort],
      ],
    )

    // The peer closes: an external disconnection on a's side, a disconnection on b's.
    await b.p2p.disconnect(a.peerId)
    await waitUntil(() => a.p2p.connection(b.peerId) === undefined, { message: 'a to see the close' })
    const after = await api(a, 'GET', `/network/peers/${b.peerId}/log`)
    assert.equal(after.body.at(-1).kind, 'external_disconnection')
    assert.match(after.body.at(-1).detail, /Disconnect/)
    const onB = await api(b, 'GET', `/network/peers/${a.peerId}/log`)
    assert.equal(onB.body.at(-1).kind, 'disconnection')
  })

  test('a refused dial is a request_rejected; unknown points and peers are 404, bad ones 400', async () => {
    const a = await start('127.0.16.83')
    await assert.rejects(a.p2p.connect('127.0.16.99:1'))
    const log = await api(a, 'GET', '/network/points/127.0.16.99:1/log')
    assert.deepEqual(
      log.body.map((e: { kind: string }) => e.kind),
      ['outgoing_request', 'request_rejected'],
    )
    assert.match(log.body[1].detail, /ECONNREFUSED/)
    assert.equal((await api(a, 'GET', '/network/points/127.0.16.98:1/log')).status, 404)
    assert.equal((await api(a, 'GET', '/network/peers/idtqxHUjbjbCfaDn4jczoPGsnhacKX/log')).status, 404)
    assert.equal((await api(a, 'GET', '/network/peers/nope/log')).status, 400)
    assert.equal((await api(a, 'GET', '/network/points/nope/log')).status, 400)
  })

  test('?monitor=true: the events so far, then each new one as it happens', async () => {
    const a = await start('127.0.16.84')
    const b = await start('127.0.16.85')
    await a.p2p.connect(netPoint(b))
    const reading = new AbortController()
    const response = await fetch(`${a.rpcUrl}/network/peers/${b.peerId}/log?monitor=true`, {
      signal: reading.signal,
    })
    assert.equal(response.status, 200)
    const next = lines(response)
    const first = (await next()) as Array<{ kind: string }>
    assert.deepEqual(
      first.map((e) => e.kind),
      ['incoming_request', 'connection_established'],
    )
    await a.p2p.disconnect(b.peerId)
    const [closed] = (await next()) as Array<{ kind: string }>
    assert.equal(closed?.kind, 'disconnection')
    reading.abort()
  })

  test(`at most ${MAX_HISTORY_MONITORS} monitors at once: the next is 503 BUSY, and a slot frees on close`, async () => {
    const a = await start('127.0.16.88')
    const b = await start('127.0.16.89')
    await a.p2p.connect(netPoint(b))
    const url = `${a.rpcUrl}/network/points/${netPoint(b)}/log?monitor=true`
    const readers = Array.from({ length: MAX_HISTORY_MONITORS }, () => new AbortController())
    try {
      for (const reader of readers) {
        const response = await fetch(url, { signal: reader.signal })
        assert.equal(response.status, 200)
        await lines(response)() // the first line: the stream is open
      }
      const refused = await fetch(url)
      assert.equal(refused.status, 503)
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'BUSY')
      defined(readers[0]).abort()
      const again = new AbortController()
      readers.push(again)
      let status = 0
      await waitUntil(
        async () => {
          const response = await fetch(url, { signal: again.signal })
          status = response.status
          if (status !== 200) await response.body?.cancel()
          return status === 200
        },
        { message: 'a slot to free once the server sees the close', intervalMs: 0 },
      )
      assert.equal(status, 200, 'a slot frees once the server sees the close')
    } finally {
      for (const reader of readers) reader.abort()
    }
  })

  test('dune-admin-client show peer ID --log and show point POINT --log', async () => {
    const a = await start('127.0.16.86')
    const b = await start('127.0.16.87')
    await a.p2p.connect(netPoint(b))
    let out = ''
    const io = { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => {} }, env: {} }
    assert.equal(await main(['--endpoint', a.rpcUrl!, 'show', 'peer', b.peerId, '--log'], io), 0)
    assert.match(out, /^WHEN +EVENT +ADDRESS/m)
    assert.match(out, new RegExp(`connection_established +127\\.0\\.16\\.87:${b.netPort}`))
    out = ''
    assert.equal(
      await main(['--endpoint', a.rpcUrl!, 'show', 'point', netPoint(b), '--log', '--json'], io),
      0,
    )
    const json = JSON.parse(out)
    assert.equal(json.point, netPoint(b))
    assert.deepEqual(
      json.log.map((e: { kind: string }) => e.kind),
      ['outgoing_request', 'accepting_request', 'connection_established'],
    )
  })
})

describe('History', () => {
  test(`keeps the last ${HISTORY_SIZE} events, oldest first`, () => {
    const h = new History<number>()
    for (let i = 0; i < HISTORY_SIZE + 30; i++) h.push(i)
    const events = h.events()
    assert.equal(events.length, HISTORY_SIZE)
    assert.equal(events[0], 30)
    assert.equal(events.at(-1), HISTORY_SIZE + 29)
    const small = new History<string>(2)
    small.push('a')
    assert.deepEqual(small.events(), ['a'])
    small.push('b')
    small.push('c')
    assert.deepEqual(small.events(), ['b', 'c'])
  })
})
