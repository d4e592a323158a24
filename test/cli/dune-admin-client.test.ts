// dune-admin-client against running nodes: every command in-process through main() (tables and
// --json, what reaches the node), the error paths, and the real process once (answer, node down).
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { main } from '../../src/cli/dune-admin-client.js'
import type { DuneNode } from '../../src/node/daemon.js'
import {
  adminArgs,
  closedPort,
  connectAll,
  netPoint,
  rpcUrl,
  startNodes,
  stopNodes,
} from '../support/dune-nodes.js'
import { startShippedNode } from '../support/shipped-node.js'
import { waitUntil } from '../support/wait.js'

interface Run {
  code: number
  out: string
  err: string
}

/** Runs the client in-process; `env` replaces the environment (no DUNE_ADMIN_ENDPOINT unless given). */
async function run(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal | undefined; onOutput?: () => void } = {},
): Promise<Run> {
  let out = ''
  let err = ''
  const code = await main(args, {
    stdout: {
      write: (t: string) => {
        out += t
        options.onOutput?.()
      },
    },
    stderr: { write: (t: string) => (err += t) },
    env: options.env ?? {},
    signal: options.signal,
  })
  return { code, out, err }
}

/** Runs the client on `node` and expects success; returns stdout. */
async function ok(node: DuneNode, args: string[]): Promise<string> {
  const result = await run([...adminArgs(node), ...args])
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.err}`)
  assert.equal(result.err, '')
  return result.out
}

async function json<T>(node: DuneNode, args: string[]): Promise<T> {
  return JSON.parse(await ok(node, ['--json', ...args])) as T
}

/** Runs the client on `node` and expects exit 1 with one error line; returns it. */
async function fails(node: DuneNode, args: string[]): Promise<string> {
  const result = await run([...adminArgs(node), ...args])
  assert.equal(result.code, 1, `${args.join(' ')} should fail: ${result.out}`)
  assert.equal(result.out, '')
  return result.err
}

describe('dune-admin-client against three connected nodes', () => {
  let nodes: DuneNode[] = []
  let a: DuneNode
  let b: DuneNode
  let c: DuneNode

  before(async () => {
    const started = await startNodes(3)
    nodes = started
    ;[a, b, c] = started
    await connectAll(nodes)
  })
  after(() => stopNodes(nodes))

  test('p2p stat: the global figures, then connections, known peers and points', async () => {
    const out = await ok(a, ['p2p', 'stat'])
    assert.match(out, /^GLOBAL STATS\n/)
    assert.match(out, new RegExp(`Peer id: +${a.peerId}\\n`))
    assert.match(out, /Connections: +2 \(/)
    assert.match(out, /\nSlots: +inbound 0\/\d+, outbound 2 \(min \d+\), ceiling \d+; handshakes 0\/\d+\n/)
    for (const section of ['CONNECTIONS', 'KNOWN PEERS', 'KNOWN POINTS'])
      assert.match(out, new RegExp(`\n${section}\n`))
    for (const other of [b, c]) assert.ok(out.includes(other.peerId), `${other.peerId} listed`)
    const parsed = await json<{ stat: { peer_id: string; connections: number }; connections: unknown[] }>(a, [
      'p2p',
      'stat',
    ])
    assert.equal(parsed.stat.peer_id, a.peerId)
    assert.equal(parsed.stat.connections, 2)
    assert.equal(parsed.connections.length, 2)
  })

  test('list connections: an aligned table with flows in kB/s; --json the RPC answer', async () => {
    const out = await ok(a, ['list', 'connections'])
    const [header = '', ...rows] = out.trimEnd().split('\n')
    assert.match(header, /^PEER ID +POINT +DIR +TRUSTED +SCORE +LATENCY +IN +OUT +RECEIVED +SENT$/)
    assert.equal(rows.length, 2)
    for (const row of rows) {
      assert.match(
        row,
        /^id\w+ +127\.0\.0\.1:\d+ +(in|out) +no +-?\d+(\.\d\d)? +\d+ ms +\d+\.\d kB\/s +\d+\.\d kB\/s /,
      )
      // Columns line up: the point starts where its header does.
      assert.equal(row.indexOf('127.0.0.1'), header.indexOf('POINT'))
    }
    const connections = await json<{ peer_id: string; incoming: boolean }[]>(a, ['list', 'connections'])
    assert.deepEqual(connections.map((x) => x.peer_id).sort(), [b.peerId, c.peerId].sort())
    assert.ok(
      connections.every((x) => x.incoming === false),
      'a dialed both',
    )
  })

  test('list peers and list points; show peer and show point', async () => {
    const peers = await ok(a, ['list', 'peers'])
    assert.match(peers, /^PEER ID +STATE +FLAGS +SCORE +LAST SEEN +POINTS\n/)
    assert.match(peers, new RegExp(`${b.peerId} +running +- +`))
    const points = await json<{ point: string; state: string; peer_id: string | null }[]>(a, [
      'list',
      'points',
    ])
    const pointOfB = points.find((p) => p.point === netPoint(b))
    assert.equal(pointOfB?.state, 'running')
    assert.equal(pointOfB?.peer_id, b.peerId)
    assert.match(
      await ok(a, ['list', 'points']),
      new RegExp(`${netPoint(c).replace(/\./g, '\\.')} +running `),
    )

    const peer = await ok(a, ['show', 'peer', c.peerId])
    assert.match(peer, new RegExp(`^Peer id: +${c.peerId}\\nState: +running\\n`))
    assert.match(peer, /Last seen: +(now|\d+s ago)\n/)
    assert.match(peer, /\nSCORE\nCOMPONENT +VALUE +WEIGHT +CONTRIBUTION\n/)
    assert.match(peer, /\nDisconnected and greylisted below -20 /)
    const point = await json<{ point: string; peer_id: string }>(a, ['show', 'point', netPoint(b)])
    assert.equal(point.point, netPoint(b))
    assert.equal(point.peer_id, b.peerId)
    assert.match(await ok(a, ['show', 'point', netPoint(b)]), /Failures: +0\n/)
  })

  test('list scores, show peer: a penalised peer first, with its invalid component; thresholds', async () => {
    a.p2p.reportInvalid(b.peerId, 2)
    const out = await ok(a, ['list', 'scores'])
    const [thresholds, blank, header, first] = out.split('\n')
    assert.match(
      thresholds!,
      /^Disconnected and greylisted below -20 \(trusted peers excepted\); counters kept 1h /,
    )
    assert.equal(blank, '')
    assert.match(header!, /^PEER ID +STATE +TRUSTED +TOTAL +APPLICATION +UPTIME +USEFUL +INVALID +/)
    // b's invalid contribution: 2 reports at weight -2.
    assert.match(first!, new RegExp(`^${b.peerId} +running +no +-\\d\\.\\d\\d +0 +\\S+ +0 +-4\\.00 `))
    assert.match(out, /\nRULES .+\nCOMPONENT +WEIGHT +HALF-LIFE +CAP\n(.+\n)*invalid +-2 +1h +1000\n/)
    const scores = await json<{
      thresholds: { disconnect_below: number }
      peers: { peer_id: string; score_detail: { components: { invalid: { weight: number } } } }[]
    }>(a, ['list', 'scores'])
    assert.equal(scores.thresholds.disconnect_below, -20)
    assert.equal(scores.peers[0]?.peer_id, b.peerId)
    assert.equal(scores.peers[0]?.score_detail.components.invalid.weight, -2)
    assert.match(await ok(a, ['show', 'peer', b.peerId]), /\ninvalid +2\.00 +-2 +-4\.00\n/)
    const peer = await json<{ score_detail: { total: number } }>(a, ['show', 'peer', b.peerId])
    assert.ok(peer.score_detail.total < 0)
  })

  test('show admission: slots and limits; --json the RPC answer', async () => {
    const out = await ok(a, ['show', 'admission'])
    assert.match(out, /^Slots: +inbound 0\/\d+, outbound 2 \(min \d+\), ceiling \d+\n/)
    assert.match(out, /\nPer address: +IPv4 \/32, IPv6 \/56: 4 connections at once, 20 new per minute\n/)
    assert.match(out, /\nPer subnet: +IPv4 \/16, IPv6 \/48: 16 connections at once, 60 new per minute\n/)
    assert.match(out, /\nExempt: +127\.0\.0\.0\/8 ::1\/128\n/)
    assert.match(out, /\nEviction grace: +1m\n/)
    const admission = await json<{ slots: { outbound: number }; eviction: { protect_groups: number } }>(a, [
      'show',
      'admission',
    ])
    assert.equal(admission.slots.outbound, 2)
    assert.equal(admission.eviction.protect_groups, 4)
  })

  // A trusted point is dialed by the maintenance: a loopback one where nobody listens.
  test('ban, is banned, unban, trust, untrust an address (IP, CIDR or point) reach the node', async () => {
    assert.equal(await ok(a, ['ban', 'address', '10.0.0.0/8']), 'Banned 10.0.0.0/8.\n')
    assert.ok(a.p2p.acl.isIpBanned('10.1.2.3'))
    assert.equal(await ok(a, ['is', 'address', 'banned', '10.1.2.3']), '10.1.2.3 is banned.\n')
    assert.deepEqual(await json(a, ['is', 'address', '10.1.2.3', 'banned']), { banned: true })
    assert.equal(await ok(a, ['unban', 'address', '10.0.0.0/8']), 'Unbanned 10.0.0.0/8.\n')
    assert.ok(!a.p2p.acl.isIpBanned('10.1.2.3'))
    // Exit status for scripts: 0 banned, 1 not banned, 2 could not tell.
    const notBanned = await run(['--endpoint', rpcUrl(a), 'is', 'address', 'banned', '10.1.2.3'])
    assert.deepEqual(notBanned, { code: 1, out: '10.1.2.3 is not banned.\n', err: '' })

    assert.equal(await ok(a, ['trust', 'address', '127.7.7.7:9732']), 'Trusted 127.7.7.7:9732.\n')
    assert.ok(a.p2p.acl.isPointTrusted('127.7.7.7:9732'))
    const acl = await json<{ trusted_points: string[] }>(a, ['list', 'acl'])
    assert.deepEqual(acl.trusted_points, ['127.7.7.7:9732'])
    assert.match(await ok(a, ['list', 'acl']), /trusted +point +127\.7\.7\.7:9732\n/)
    assert.equal(await ok(a, ['untrust', 'address', '127.7.7.7:9732']), 'Untrusted 127.7.7.7:9732.\n')
    assert.ok(!a.p2p.acl.isPointTrusted('127.7.7.7:9732'))
    assert.equal(await ok(a, ['list', 'acl']), 'No bans and no trusts.\n\nThe greylist is empty.\n')
  })

  test('trust and untrust a peer; ban a peer closes its connection, unban lifts it', async () => {
    assert.equal(await ok(a, ['trust', 'peer', b.peerId]), `Trusted ${b.peerId}.\n`)
    assert.ok(a.p2p.acl.isPeerTrusted(b.peerId))
    const trusted = await json<{ peer_id: string; trusted: boolean }>(a, ['untrust', 'peer', b.peerId])
    assert.equal(trusted.trusted, false)
    assert.ok(!a.p2p.acl.isPeerTrusted(b.peerId))

    assert.equal(await ok(c, ['ban', 'peer', b.peerId]), `Banned ${b.peerId}.\n`)
    assert.ok(c.p2p.acl.isPeerBanned(b.peerId))
    await waitUntil(() => c.p2p.connections().every((x) => x.peerId !== b.peerId), {
      message: 'the banned peer disconnected',
      timeoutMs: 15_000,
      intervalMs: 25,
    })
    assert.equal(await ok(c, ['is', 'peer', 'banned', b.peerId]), `${b.peerId} is banned.\n`)
    assert.match(await ok(c, ['list', 'acl']), new RegExp(`banned +peer +${b.peerId}\\n`))
    assert.equal(await ok(c, ['unban', 'peer', b.peerId]), `Unbanned ${b.peerId}.\n`)
    const unbanned = await run(['--endpoint', rpcUrl(c), '--json', 'is', 'peer', b.peerId, 'banned'])
    assert.equal(unbanned.code, 1, unbanned.err)
    assert.deepEqual(JSON.parse(unbanned.out), { banned: false })
    // Back to three connected nodes for the next tests.
    assert.match(
      await ok(b, ['connect', 'address', netPoint(c)]),
      new RegExp(`^Connected to ${c.peerId} at `),
    )
    await waitUntil(() => c.p2p.connections().some((x) => x.peerId === b.peerId), {
      message: 'b and c connected again',
      timeoutMs: 15_000,
      intervalMs: 25,
    })
  })

  test('kick peer closes the connection; connect address opens it again', async () => {
    assert.equal(await ok(a, ['kick', 'peer', b.peerId]), `Kicked ${b.peerId}.\n`)
    await waitUntil(() => a.p2p.connections().every((x) => x.peerId !== b.peerId), {
      message: 'b kicked',
      timeoutMs: 15_000,
      intervalMs: 25,
    })
    await waitUntil(() => b.p2p.connections().every((x) => x.peerId !== a.peerId), {
      message: 'b sees the kick',
      timeoutMs: 15_000,
      intervalMs: 25,
    })
    const connection = await json<{ peer_id: string; incoming: boolean }>(a, [
      'connect',
      'address',
      netPoint(b),
      '--timeout',
      '5000',
    ])
    assert.equal(connection.peer_id, b.peerId)
    assert.equal(connection.incoming, false)
    assert.ok(a.p2p.connections().some((x) => x.peerId === b.peerId))
  })

  test('forget address and forget peer: refused while connected (409), done once disconnected', async () => {
    assert.match(await fails(a, ['forget', 'peer', c.peerId]), /^dune-admin-client: .+\n$/)
    assert.match(await fails(a, ['forget', 'address', netPoint(c)]), /^dune-admin-client: .+\n$/)
    await ok(a, ['kick', 'peer', c.peerId])
    await waitUntil(() => a.p2p.connections().every((x) => x.peerId !== c.peerId), {
      message: 'c kicked',
      timeoutMs: 15_000,
      intervalMs: 25,
    })
    assert.equal(await ok(a, ['forget', 'address', netPoint(c)]), `Forgot ${netPoint(c)}.\n`)
    assert.equal(await ok(a, ['forget', 'peer', c.peerId]), `Forgot ${c.peerId}.\n`)
    assert.ok(a.p2p.points().every((p) => p.point !== netPoint(c)))
    assert.ok(a.p2p.peers().every((p) => p.peerId !== c.peerId))
    assert.match(await fails(a, ['show', 'peer', c.peerId]), /^dune-admin-client: .+\n$/)
    await ok(a, ['connect', 'address', netPoint(c)])
  })

  test('list greylist shows greylisted IPs and peers; flush greylist clears them', async () => {
    assert.equal(await ok(a, ['list', 'greylist']), 'The greylist is empty.\n')
    a.p2p.acl.greylistIp('203.0.113.9', 'test reason')
    const out = await ok(a, ['list', 'greylist'])
    assert.match(
      out,
      /^KIND +ENTRY +UNTIL +REASON\nip +203\.0\.113\.9 +in \d+[dhms]( \d+[dhms])? +test reason\n$/,
    )
    const greylist = await json<{ ips: { ip: string }[] }>(a, ['list', 'greylist'])
    assert.deepEqual(
      greylist.ips.map((e) => e.ip),
      ['203.0.113.9'],
    )
    assert.equal(await ok(a, ['flush', 'greylist']), 'Cleared 1 greylist entries.\n')
    assert.ok(!a.p2p.acl.isIpGreylisted('203.0.113.9'))
    assert.deepEqual(await json(a, ['flush', 'greylist']), { cleared: 0 })
  })

  test('watch log --count: events as lines (and JSON), until the count', async () => {
    // Stat events every 100 ms: the stream is live at once.
    const stats = await run([
      ...adminArgs(a),
      '--json',
      'watch',
      'log',
      '--count',
      '2',
      '--stat-interval',
      '100',
    ])
    assert.equal(stats.code, 0, stats.err)
    const events = stats.out
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; data: { peer_id: string; connections: number } })
    assert.deepEqual(
      events.map((e) => e.event),
      ['stat', 'stat'],
    )
    assert.equal(events[0]?.data.peer_id, a.peerId)

    // An ACL change made while watching appears as its readable line.
    const watching = run([...adminArgs(a), 'watch', 'log', '--count', '1'])
    let done = false
    void watching.then(() => {
      done = true
    })
    for (let i = 0; !done; i++) {
      await ok(a, [i % 2 === 0 ? 'trust' : 'untrust', 'address', '198.51.100.1'])
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const watched = await watching
    assert.equal(watched.code, 0, watched.err)
    assert.match(watched.out, /^\d\d:\d\d:\d\d {2}(Trusted|Stopped trusting) ip 198\.51\.100\.1\.\n$/)
    await ok(a, ['untrust', 'address', '198.51.100.1'])
  })

  test('watch log stops when asked (as on Ctrl-C), exit 0', async () => {
    const stop = new AbortController()
    const watching = run([...adminArgs(a), 'watch', 'log', '--stat-interval', '100'], {
      signal: stop.signal,
      onOutput: () => stop.abort(),
    })
    const result = await watching
    assert.equal(result.code, 0, result.err)
    assert.equal(result.err, '')
  })

  test('RPC errors: their message on stderr, exit 1', async () => {
    assert.match(
      await fails(a, ['ban', 'address', 'nonsense']),
      /^dune-admin-client: "nonsense" is neither a point .+\n$/,
    )
    assert.match(
      await fails(a, ['ban', 'peer', 'not-a-peer-id']),
      /^dune-admin-client: peer_id "not-a-peer-id" is not a peer id/,
    )
    assert.match(
      await fails(a, ['show', 'point', '127.0.0.1:1']),
      /^dune-admin-client: unknown point 127\.0\.0\.1:1\n$/,
    )
    const port = await closedPort()
    assert.match(
      await fails(a, ['connect', 'address', `127.0.0.1:${port}`, '--timeout', '2000']),
      /^dune-admin-client: .+\n$/,
    )
    const unclear = await run(['--endpoint', rpcUrl(a), 'is', 'peer', 'maybe', b.peerId])
    assert.equal(unclear.code, 2, 'a question that could not be answered: exit 2')
    assert.match(unclear.err, /expected "banned <target>"/)
    const missing = await run(['--endpoint', rpcUrl(a), 'is', 'address'])
    assert.equal(missing.code, 2, `a usage error: exit 2 (${missing.err})`)
    const unreachable = await run([
      '--endpoint',
      `http://127.0.0.1:${port}`,
      'is',
      'peer',
      'banned',
      b.peerId,
    ])
    assert.equal(unreachable.code, 2)
    assert.match(unreachable.err, /^dune-admin-client: cannot reach the node/)
  })

  test('the endpoint from $DUNE_ADMIN_ENDPOINT; --endpoint wins; a bad endpoint is refused', async () => {
    const fromEnv = await run(['list', 'connections', '--json'], { env: { DUNE_ADMIN_ENDPOINT: rpcUrl(b) } })
    assert.equal(fromEnv.code, 0, fromEnv.err)
    assert.ok((JSON.parse(fromEnv.out) as { peer_id: string }[]).some((x) => x.peer_id === a.peerId))
    const port = await closedPort()
    const flagWins = await run(['--endpoint', rpcUrl(c), 'p2p', 'stat', '--json'], {
      env: { DUNE_ADMIN_ENDPOINT: `http://127.0.0.1:${port}` },
    })
    assert.equal(flagWins.code, 0, flagWins.err)
    assert.equal((JSON.parse(flagWins.out) as { stat: { peer_id: string } }).stat.peer_id, c.peerId)

    const bad = await run(['--endpoint', 'ftp://x', 'p2p', 'stat'])
    assert.equal(bad.code, 1)
    assert.match(bad.err, /--endpoint.+http/)
    const badEnv = await run(['p2p', 'stat'], { env: { DUNE_ADMIN_ENDPOINT: 'ftp://x' } })
    assert.equal(badEnv.code, 1)
    assert.match(badEnv.err, /^dune-admin-client: DUNE_ADMIN_ENDPOINT: /)
  })
  test('changing commands send the token of --data-dir, $DUNE_NODE_DATA_DIR or --token-file; else 401 saying what to do', async () => {
    const dataDir = a.p2p.config.dataDir!
    const endpoint = ['--endpoint', rpcUrl(a)]
    const empty = mkdtempSync(join(tmpdir(), 'dune-admin-no-node-'))
    const missing = await run([...endpoint, '--data-dir', empty, 'trust', 'address', '198.51.100.2'])
    assert.equal(missing.code, 1)
    assert.match(
      missing.err,
      /no token file at .+rpc\.cookie .*--data-dir DIR or \$DUNE_NODE_DATA_DIR\) or --token-file FILE/,
    )
    assert.equal(a.p2p.acl.isIpTrusted('198.51.100.2'), false)
    const wrong = join(empty, 'wrong.cookie')
    writeFileSync(wrong, 'ab'.repeat(32))
    const bad = await run([...endpoint, '--token-file', wrong, 'trust', 'address', '198.51.100.2'])
    assert.equal(bad.code, 1)
    assert.match(bad.err, /is not the running node's/)
    // Reads need no token.
    assert.equal((await run([...endpoint, '--data-dir', empty, 'list', 'acl'])).code, 0)

    const fromEnv = await run([...endpoint, 'trust', 'address', '198.51.100.2'], {
      env: { DUNE_NODE_DATA_DIR: dataDir },
    })
    assert.equal(fromEnv.code, 0, fromEnv.err)
    assert.equal(a.p2p.acl.isIpTrusted('198.51.100.2'), true)
    const copy = join(empty, 'copy.cookie')
    writeFileSync(copy, readFileSync(join(dataDir, 'rpc.cookie')))
    const fromFile = await run([...endpoint, '--token-file', copy, 'untrust', 'address', '198.51.100.2'])
    assert.equal(fromFile.code, 0, fromFile.err)
    assert.equal(a.p2p.acl.isIpTrusted('198.51.100.2'), false)
  })
})

describe('dune-admin-client without a node', () => {
  test('every command explains that the node is unreachable, exit 1', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`
    const expected = `dune-admin-client: cannot reach the node at ${endpoint}: connection refused (is dune-node running? use --endpoint)\n`
    for (const args of [
      ['p2p', 'stat'],
      ['list', 'acl'],
      ['ban', 'peer', 'idx'],
      ['watch', 'log', '--count', '1'],
    ]) {
      const result = await run(['--endpoint', endpoint, ...args])
      assert.equal(result.code, 1, args.join(' '))
      assert.equal(result.err, expected)
      assert.equal(result.out, '')
    }
  })

  test('watch log ends when the node stops', async () => {
    const [node] = await startNodes(1)
    try {
      let live = false
      const watching = run([...adminArgs(node), 'watch', 'log', '--stat-interval', '100', '--json'], {
        onOutput: () => {
          live = true
        },
      })
      await waitUntil(() => live, { message: 'the first event', timeoutMs: 15_000, intervalMs: 25 })
      await node.stop()
      const result = await watching
      assert.equal(result.code, 0, result.err)
      assert.equal(result.err, 'The node closed the event stream.\n')
    } finally {
      await node.stop()
    }
  })
})

/** Runs the real program as a process. */
function spawnClient(args: string[]): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/dune-admin-client.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DUNE_ADMIN_ENDPOINT: '' },
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString()
  })
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, out, err })))
}

describe('dune-admin-client as a process', () => {
  test('answers from a running node; exit 1 with the reason when the node is down', async () => {
    const nodes = await startNodes(2)
    try {
      await connectAll(nodes)
      const listed = await spawnClient([...adminArgs(nodes[0]), 'list', 'connections', '--json'])
      assert.equal(listed.code, 0, listed.err)
      assert.deepEqual(
        (JSON.parse(listed.out) as { peer_id: string }[]).map((x) => x.peer_id),
        [nodes[1].peerId],
      )
      const invalid = await spawnClient([...adminArgs(nodes[0]), 'ban', 'address', '300.1.1.1'])
      assert.equal(invalid.code, 1)
      assert.match(invalid.err, /^dune-admin-client: .*300\.1\.1\.1.*\n$/)
    } finally {
      await stopNodes(nodes)
    }
    const endpoint = `http://127.0.0.1:${await closedPort()}`
    const down = await spawnClient(['--endpoint', endpoint, 'p2p', 'stat'])
    assert.equal(down.code, 1)
    assert.equal(
      down.err,
      `dune-admin-client: cannot reach the node at ${endpoint}: connection refused (is dune-node running? use --endpoint)\n`,
    )
  })

  test('pointed at the P2P port: "this is not an admin RPC endpoint; is it the P2P port?", exit 1', async () => {
    const node = await startShippedNode('127.0.0.57')
    try {
      const endpoint = `http://127.0.0.57:${node.netPort}`
      const wrong = await spawnClient(['--endpoint', endpoint, 'p2p', 'stat'])
      assert.equal(wrong.code, 1)
      assert.match(
        wrong.err,
        /^dune-admin-client: http:\/\/127\.0\.0\.57:\d+ .*this is not an admin RPC endpoint; is it the P2P port\? .*--rpc-addr.*\n$/,
      )
    } finally {
      await node.stop()
    }
  })
})
