// `dune-node run` as a process: config errors name the field (exit 1), flags override the file,
// an identity is made on first run, JSON logs off a terminal, SIGTERM/SIGINT stop it with exit 0.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'

function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'dune-node-run-test-'))
}

/** Every process started, killed after the tests if a failed test left it running. */
const children = new Set<ReturnType<typeof spawn>>()
after(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

function runNode(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/dune-node.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const logs = () =>
    stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  return { child, exited, stdout: () => stdout, stderr: () => stderr, logs }
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const running = (run: ReturnType<typeof runNode>) => () => /"msg":"node running"/.test(run.stdout())

describe('dune-node run', () => {
  test('a bad field in the config file: exit 1, the message names the field and the fix', async () => {
    const dir = dataDir()
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ p2p: { listen_addr: 'localhost' } }))
    const run = runNode(['run', '--data-dir', dir])
    assert.equal(await run.exited, 1)
    assert.match(run.stderr(), /config field p2p\.listen_addr: .*not HOST:PORT/)
    assert.match(run.stderr(), /Fix: .*--net-addr/)
    assert.equal(existsSync(join(dir, 'identity.json')), false, 'nothing started')
  })

  test('an unknown field, a bad flag, and a file that is not JSON are named too', async () => {
    const dir = dataDir()
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ p2p: { max_conections: 3 } }))
    const unknown = runNode(['run', '--data-dir', dir])
    assert.equal(await unknown.exited, 1)
    assert.match(
      unknown.stderr(),
      /config field p2p\.max_conections: unknown setting.*known here: .*max_connections/,
    )

    const flag = runNode(['run', '--data-dir', dataDir(), '--expected-pow', 'lots'])
    assert.equal(await flag.exited, 1)
    assert.match(flag.stderr(), /config field p2p\.expected_proof_of_work: .*expected number/)

    const level = runNode(['run', '--data-dir', dataDir(), '--log-level', 'loud'])
    assert.equal(await level.exited, 1)
    assert.match(level.stderr(), /config field log\.level/)

    writeFileSync(join(dir, 'config.json'), '{ "p2p": ')
    const broken = runNode(['run', '--data-dir', dir])
    assert.equal(await broken.exited, 1)
    assert.match(broken.stderr(), /config field \(file\): .*not valid JSON/)
  })

  test('first run: identity generated, flags over the file, JSON logs; SIGTERM saves and exits 0', async () => {
    const dir = dataDir()
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        chain_name: 'FROM_FILE',
        p2p: { listen_addr: '127.0.0.51:1', expected_proof_of_work: 30 },
        rpc: { listen_addr: '127.0.0.51:1' },
      }),
    )
    const run = runNode([
      'run',
      '--data-dir',
      dir,
      '--net-addr',
      '127.0.0.51:0',
      '--rpc-addr',
      '127.0.0.51:0',
      '--expected-pow',
      '2',
      '--chain-name',
      'FROM_FLAG',
      '--connections',
      '6',
    ])
    await waitFor(running(run), 'the node to run')
    const logs = run.logs()
    assert.ok(
      logs.every(
        (l) => typeof l.level === 'number' && typeof l.time === 'number' && typeof l.msg === 'string',
      ),
    )
    assert.ok(logs.some((l) => l.msg === 'identity generated'))
    const started = logs.find((l) => l.msg === 'node running')!
    const identity = JSON.parse(readFileSync(join(dir, 'identity.json'), 'utf8')) as { peer_id: string }
    assert.equal(started.peer_id, identity.peer_id)
    assert.match(String(started.net_addr), /^127\.0\.0\.51:\d+$/)
    assert.notEqual(started.net_addr, '127.0.0.51:1')
    const stat = (await (await fetch(`${started.rpc}/network/stat`)).json()) as { peer_id: string }
    assert.equal(stat.peer_id, identity.peer_id)
    run.child.kill('SIGTERM')
    assert.equal(await run.exited, 0, run.stderr())
    assert.ok(run.logs().some((l) => l.msg === 'stopped, state saved'))
    assert.ok(existsSync(join(dir, 'peers.json')))
  })

  test('the identity is kept across runs; SIGINT stops it with exit 0 and a Disconnect to its peer', async () => {
    const dir = dataDir()
    const flags = [
      '--net-addr',
      '127.0.0.52:0',
      '--rpc-addr',
      '127.0.0.52:0',
      '--expected-pow',
      '2',
      '--log-level',
      'info',
    ]
    const first = runNode(['run', '--data-dir', dir, ...flags])
    await waitFor(running(first), 'the first run')
    first.child.kill('SIGINT')
    assert.equal(await first.exited, 0)
    const id = JSON.parse(readFileSync(join(dir, 'identity.json'), 'utf8')).peer_id as string

    const other = runNode([
      'run',
      '--data-dir',
      dataDir(),
      '--net-addr',
      '127.0.0.53:0',
      '--rpc-addr',
      'none',
      '--expected-pow',
      '2',
    ])
    await waitFor(running(other), 'the other node')
    const otherAddr = String(other.logs().find((l) => l.msg === 'node running')!.net_addr)
    const second = runNode(['run', '--data-dir', dir, ...flags, '--peer', otherAddr])
    await waitFor(running(second), 'the second run')
    assert.ok(!second.logs().some((l) => l.msg === 'identity generated'))
    assert.equal(second.logs().find((l) => l.msg === 'node running')!.peer_id, id)
    await waitFor(() => /"msg":"connection established"/.test(other.stdout()), 'the bootstrap connection')
    second.child.kill('SIGINT')
    assert.equal(await second.exited, 0)
    await waitFor(
      () => /"reason":"the peer sent Disconnect","msg":"connection closed"/.test(other.stdout()),
      'the Disconnect',
    )
    other.child.kill('SIGTERM')
    assert.equal(await other.exited, 0)
  })
})
