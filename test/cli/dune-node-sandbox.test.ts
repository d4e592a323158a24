// `dune-node sandbox` as a process: the quick start's network of dune-nodes comes up (each with
// its admin RPC), carries gossip, and stops with Disconnect on SIGTERM (exit 0) or after --duration.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { defined } from '../support/defined.js'
import { waitUntil } from '../support/wait.js'

function runSandbox(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/dune-node.ts', 'sandbox', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, exited, output: () => out }
}

describe('dune-node sandbox', () => {
  test('five nodes come up with an admin RPC each, gossip flows, and it stops after --duration', async () => {
    const base = mkdtempSync(join(tmpdir(), 'dune-sandbox-test-'))
    const run = runSandbox([
      '--nodes',
      '5',
      '--pow',
      '2',
      '--gossip-every',
      '1',
      '--duration',
      '5',
      '--base-dir',
      base,
    ])
    await waitUntil(() => /The network is up/.test(run.output()), {
      message: 'the network',
      timeoutMs: 20_000,
      intervalMs: 50,
    })
    const urls = [...run.output().matchAll(/admin RPC (http:\/\/127\.0\.0\.1:\d+)/g)].map((m) =>
      defined(m[1]),
    )
    assert.equal(urls.length, 5)
    assert.match(run.output(), /dune-admin-client\.js --endpoint http:\/\/127\.0\.0\.1:\d+ p2p stat/)
    const self = (await (await fetch(`${urls[2]}/network/self`)).json()) as { peer_id: string }
    assert.match(self.peer_id, /^id/)
    assert.equal(await run.exited, 0, run.output())
    const out = run.output()
    assert.equal((out.match(/listening on 127\.0\.0\.1:\d+/g) ?? []).length, 5)
    const stopped = /Stopped: (\d+) connections closed, (\d+) gossip messages received/.exec(out)
    assert.ok(stopped, out)
    assert.ok(Number(stopped[1]) >= 8, `every node connected (${stopped[1]} connection ends)`)
    assert.ok(Number(stopped[2]) > 0, 'gossip flowed')
  })

  test('SIGTERM stops it with a Disconnect to every peer, exit 0', async () => {
    const base = mkdtempSync(join(tmpdir(), 'dune-sandbox-test-'))
    const run = runSandbox(['--nodes', '3', '--pow', '2', '--base-dir', base])
    await waitUntil(() => (run.output().match(/connected to/g) ?? []).length >= 6, {
      message: 'three connections',
      timeoutMs: 20_000,
      intervalMs: 50,
    })
    run.child.kill('SIGTERM')
    assert.equal(await run.exited, 0, run.output())
    assert.match(run.output(), /Stopping: Disconnect to every peer/)
    assert.match(run.output(), /Stopped: 6 connections closed/)
  })
})
