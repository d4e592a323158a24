// `dune-node run --network sandbox` as a process, with --peer naming a local peer of ours on
// chain TEZOS: the observer asks it for its head and /network/peers shows it; SIGTERM exits 0.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { NETWORK_PRESETS } from '../../src/node/network-presets.js'
import type { PeerJson } from '../../src/rpc/shapes.js'
import { octezPeer } from '../support/octez-peers.js'
import { pointOf } from '../support/p2p-nodes.js'
import { waitUntil } from '../support/wait.js'

const children: ReturnType<typeof spawn>[] = []
after(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

test('dune-node run --network sandbox runs the observer against a local peer', async () => {
  const sandbox = NETWORK_PRESETS.sandbox
  const peer = await octezPeer('127.0.0.96', 42, false, sandbox.chainName)
  try {
    const dir = mkdtempSync(join(tmpdir(), 'dune-node-observer-'))
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/dune-node.ts',
        'run',
        '--data-dir',
        dir,
        '--network',
        'sandbox',
        '--net-addr',
        '127.0.0.95:0',
        '--rpc-addr',
        '127.0.0.95:0',
        '--peer',
        pointOf(peer.p2p),
        '--expected-pow',
        '4',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    children.push(child)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const logs = () =>
      stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    await waitUntil(() => logs().some((l) => l.msg === 'observer running'), {
      message: 'the observer to run',
      timeoutMs: 30_000,
      intervalMs: 25,
    })
    const started = logs().find((l) => l.msg === 'observer running')!
    assert.equal(started.network, 'sandbox')
    assert.equal(started.chain_name, 'TEZOS')
    assert.equal(started.chain_id, sandbox.chainId)
    const rpc = started.rpc as string
    let listed: PeerJson[] = []
    await waitUntil(
      async () => {
        listed = (await (await fetch(`${rpc}/network/peers`)).json()) as PeerJson[]
        return listed.some((p) => p.head?.level === 42)
      },
      { message: 'the peer head in /network/peers', timeoutMs: 15_000, intervalMs: 25 },
    )
    assert.equal(listed.find((p) => p.head)?.peer_id, peer.p2p.peerId)
    assert.deepEqual(peer.asked.slice(0, 2), ['get_current_branch', 'get_current_head'])
    child.kill('SIGTERM')
    assert.equal(await exited, 0, stderr)
    assert.ok(logs().some((l) => l.msg === 'stopped, state saved'))
  } finally {
    await peer.p2p.stop()
  }
})
