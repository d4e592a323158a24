// `dune-node run` as a process: config errors name the field (exit 1), flags override the file,
// an identity is made on first run, JSON logs off a terminal, SIGTERM/SIGINT stop it with exit 0.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { defined } from '../support/defined.js'
import { waitUntil } from '../support/wait.js'

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
    assert.match(flag.stderr(), /^dune-node: --expected-pow: "lots" is not a number\n$/)

    const level = runNode(['run', '--data-dir', dataDir(), '--log-level', 'loud'])
    assert.equal(await level.exited, 1)
    assert.match(
      level.stderr(),
      /^dune-node: --log-level: "loud" is not a level; use one of trace, debug, info/,
    )

    writeFileSync(join(dir, 'config.json'), '{ "p2p": ')
    const broken = runNode(['run', '--data-dir', dir])
    assert.equal(await broken.exited, 1)
    assert.match(broken.stderr(), /config field \(file\): .*not valid JSON at line 1, column 10/)
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
    await waitUntil(running(run), { message: 'the node to run', timeoutMs: 20_000, intervalMs: 50 })
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
    await waitUntil(running(first), { message: 'the first run', timeoutMs: 20_000, intervalMs: 50 })
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
    await waitUntil(running(other), { message: 'the other node', timeoutMs: 20_000, intervalMs: 50 })
    const otherAddr = String(other.logs().find((l) => l.msg === 'node running')!.net_addr)
    const second = runNode(['run', '--data-dir', dir, ...flags, '--peer', otherAddr])
    await waitUntil(running(second), { message: 'the second run', timeoutMs: 20_000, intervalMs: 50 })
    assert.ok(!second.logs().some((l) => l.msg === 'identity generated'))
    assert.equal(second.logs().find((l) => l.msg === 'node running')!.peer_id, id)
    await waitUntil(() => /"msg":"connection established"/.test(other.stdout()), {
      message: 'the bootstrap connection',
      timeoutMs: 20_000,
      intervalMs: 50,
    })
    second.child.kill('SIGINT')
    assert.equal(await second.exited, 0)
    await waitUntil(
      () => /"reason":"the peer sent Disconnect","msg":"connection closed"/.test(other.stdout()),
      { message: 'the Disconnect', timeoutMs: 20_000, intervalMs: 50 },
    )
    other.child.kill('SIGTERM')
    assert.equal(await other.exited, 0)
  })

  test('a bad flag is named with its value, before anything starts (exit 1, one line)', async () => {
    const cases: [string[], RegExp][] = [
      [['--connections', 'four'], /^dune-node: --connections: "four" is not a number\n$/],
      [['--peer', '1.2.3.4'], /^dune-node: --peer: "1\.2\.3\.4" is not a point \(.*\); write HOST:PORT/],
      [['--log-level', 'verbose'], /^dune-node: --log-level: "verbose" is not a level; use one of /],
      [
        ['--max-upload-speed', '1MB'],
        /^dune-node: --max-upload-speed: "1MB" is not a number \(bytes per second/,
      ],
      [['--net-addr', '9732'], /^dune-node: --net-addr: "9732" is not HOST:PORT \(.*\); write IP:PORT/],
      [['--rpc-addr', '127.0.0.1:70000'], /^dune-node: --rpc-addr: "127\.0\.0\.1:70000" is not HOST:PORT/],
      [['--connections', '0'], /^dune-node: --connections: "0": need a whole number of at least 1\n$/],
      // A listening address must be an IP (a point to dial may be a DNS name).
      [
        ['--net-addr', 'boot.example.net:9732'],
        /^dune-node: --net-addr: "boot\.example\.net:9732" is not HOST:PORT: only IP addresses are accepted \(IP:PORT, e\.g\. 127\.0\.0\.1:9732\)\n$/,
      ],
    ]
    for (const [flags, expected] of cases) {
      const dir = dataDir()
      const run = runNode(['run', '--data-dir', dir, ...flags])
      assert.equal(await run.exited, 1, flags.join(' '))
      assert.match(run.stderr(), expected)
      assert.equal(run.stderr().split('\n').length, 2, 'one line')
      assert.equal(existsSync(join(dir, 'identity.json')), false, 'nothing started')
    }
  })

  test('the config file: a bad point names the file and field, a missing file and bad JSON say where and what to run', async () => {
    const dir = dataDir()
    const file = join(dir, 'config.json')
    // A broken name (never resolved: the config is refused before anything starts).
    writeFileSync(file, JSON.stringify({ p2p: { bootstrap_peers: ['boot_example.net:9732'] } }))
    const named = runNode(['run', '--data-dir', dir])
    assert.equal(await named.exited, 1)
    assert.match(
      named.stderr(),
      /config field p2p\.bootstrap_peers\.0: "boot_example\.net:9732" is not a point \(.*neither an IP address nor a host name/,
    )
    assert.match(named.stderr(), new RegExp(`in ${file}`))

    const missing = join(dir, 'elsewhere.json')
    const absent = runNode(['run', '--config-file', missing])
    assert.equal(await absent.exited, 1)
    assert.match(
      absent.stderr(),
      new RegExp(`no config file at ${missing}.*dune-node config init --config-file ${missing}`),
    )
    // What the message suggests writes that very file.
    const init = runNode(['config', 'init', '--config-file', missing])
    assert.equal(await init.exited, 0, init.stderr())
    assert.ok(existsSync(missing))

    writeFileSync(file, '{\n  "p2p": {\n    "listen_addr": 127.0.0.1:9732\n  }\n}\n')
    const broken = runNode(['run', '--data-dir', dir])
    assert.equal(await broken.exited, 1)
    assert.match(broken.stderr(), new RegExp(`${file} is not valid JSON at line 3, column 25`))
  })

  test('an identity below expected_proof_of_work: one warning line at start, saying how to fix it', async () => {
    const dir = dataDir()
    const generate = runNode(['identity', 'generate', '--data-dir', dir, '--pow', '1'])
    assert.equal(await generate.exited, 0, generate.stderr())
    const flags = ['--data-dir', dir, '--net-addr', '127.0.0.54:0', '--rpc-addr', 'none']
    // Default expected_proof_of_work: 26 bits; a stamp searched for 1 bit has that by chance only once in 2^25.
    const weak = runNode(['run', ...flags])
    await waitUntil(running(weak), { message: 'the node to run', timeoutMs: 20_000, intervalMs: 50 })
    const warnings = weak.logs().filter((l) => l.level === 40)
    assert.equal(warnings.length, 1, JSON.stringify(warnings))
    const warning = defined(warnings[0])
    assert.match(
      String(warning.msg),
      /below p2p\.expected_proof_of_work \(26\): peers expecting 26 bits will refuse it/,
    )
    assert.match(String(warning.msg), /dune-node identity generate --data-dir .* --force --pow 26/)
    assert.match(String(warning.msg), /--expected-pow \d+/)
    weak.child.kill('SIGTERM')
    assert.equal(await weak.exited, 0)

    const matching = runNode(['run', ...flags, '--expected-pow', '1'])
    await waitUntil(running(matching), { message: 'the node to run', timeoutMs: 20_000, intervalMs: 50 })
    assert.ok(!matching.logs().some((l) => l.level === 40), 'no warning when the identity meets it')
    matching.child.kill('SIGTERM')
    assert.equal(await matching.exited, 0)
  })

  test('a P2P or RPC address in use: one line naming the address and the flag, exit 1', async () => {
    const { createServer } = await import('node:net')
    const busy = createServer()
    await new Promise<void>((r) => busy.listen(0, '127.0.0.55', r))
    const port = (busy.address() as { port: number }).port
    try {
      const rpc = runNode([
        'run',
        '--data-dir',
        dataDir(),
        '--expected-pow',
        '1',
        '--net-addr',
        '127.0.0.55:0',
        '--rpc-addr',
        `127.0.0.55:${port}`,
      ])
      assert.equal(await rpc.exited, 1)
      assert.match(
        rpc.stderr(),
        new RegExp(
          `^dune-node: cannot listen for the admin RPC on 127\\.0\\.0\\.55:${port}: the address is already in use.*--rpc-addr HOST:PORT.*\\n$`,
        ),
      )
      assert.equal(rpc.stderr().split('\n').length, 2, `one line: ${rpc.stderr()}`)

      const p2p = runNode([
        'run',
        '--data-dir',
        dataDir(),
        '--expected-pow',
        '1',
        '--net-addr',
        `127.0.0.55:${port}`,
        '--rpc-addr',
        'none',
      ])
      assert.equal(await p2p.exited, 1)
      assert.match(
        p2p.stderr(),
        new RegExp(
          `^dune-node: cannot listen for P2P on 127\\.0\\.0\\.55:${port}: the address is already in use.*--net-addr HOST:PORT.*\\n$`,
        ),
      )
      assert.equal(p2p.stderr().split('\n').length, 2, `one line: ${p2p.stderr()}`)
    } finally {
      busy.close()
    }
  })
})
