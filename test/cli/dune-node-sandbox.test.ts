// `dune-node sandbox` as a process: the quick start's local network comes up, carries chat
// messages, and stops with Disconnect on SIGTERM (exit 0) or after --duration.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'

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
  test('six nodes connect in a ring with chords, exchange messages, and stop after --duration', async () => {
    const base = mkdtempSync(join(tmpdir(), 'dune-sandbox-test-'))
    const run = runSandbox([
      '--nodes',
      '6',
      '--pow',
      '4',
      '--chat-every',
      '1',
      '--duration',
      '4',
      '--base-dir',
      base,
    ])
    assert.equal(await run.exited, 0, run.output())
    const out = run.output()
    assert.equal((out.match(/listening on 127\.0\.0\.1:\d+/g) ?? []).length, 6)
    // 6 ring edges + 3 chords, each seen from both ends.
    assert.equal((out.match(/: connected to id/g) ?? []).length, 18)
    const stopped = /Stopped: (\d+) connections closed, (\d+) messages received/.exec(out)
    assert.ok(stopped, out)
    assert.equal(Number(stopped[1]), 18)
    assert.ok(Number(stopped[2]) > 0, 'chat messages flowed')
  })

  test('SIGTERM stops it with a Disconnect to every peer, exit 0', async () => {
    const base = mkdtempSync(join(tmpdir(), 'dune-sandbox-test-'))
    const run = runSandbox(['--nodes', '3', '--pow', '4', '--base-dir', base])
    while (
      !/node-3: connected/.test(run.output()) ||
      (run.output().match(/connected to/g) ?? []).length < 6
    ) {
      await new Promise((r) => setTimeout(r, 50))
    }
    run.child.kill('SIGTERM')
    assert.equal(await run.exited, 0, run.output())
    assert.match(run.output(), /Stopping: Disconnect to every peer/)
    assert.match(run.output(), /Stopped: 6 connections closed/)
  })
})
