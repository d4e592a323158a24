// `dune-node identity` as a process (generate, show, check, refusal to overwrite, Ctrl-C) and
// in-process through main(); the progress bar's formatting and throttling with a fake clock.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { main } from '../../src/cli/dune-node.js'
import { formatDuration, formatRate, ProgressBar } from '../../src/cli/progress-bar.js'
import { readVectorJson } from '../support/vectors.js'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const PEER_ID = /\bid[1-9A-HJ-NP-Za-km-z]{28}\b/

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/dune-node.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

function finish(child: ChildProcess, onStderr?: (text: string) => void): Promise<Run> {
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (data) => {
    stdout += data
  })
  child.stderr!.on('data', (data) => {
    stderr += data
    onStderr?.(stderr)
  })
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }))
  })
}

const run = (args: string[], env?: NodeJS.ProcessEnv): Promise<Run> => finish(start(args, env))

let root: string
let count = 0
const freshDir = () => join(root, `node-${++count}`)
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dune-node-cli-'))
})
after(async () => {
  await rm(root, { recursive: true, force: true })
})

const recordedIdentity = readVectorJson<Record<string, string>>('recorded-session-identity.json')

/** A data folder holding the recorded (26-bit) identity, altered by `changes`. */
async function dataDirWith(changes: Record<string, string> = {}): Promise<string> {
  const dir = freshDir()
  await mkdir(dir)
  await writeFile(join(dir, 'identity.json'), JSON.stringify({ ...recordedIdentity, ...changes }))
  return dir
}

describe('dune-node identity (process)', { concurrency: 2 }, () => {
  test('generate prints a peer id that show prints again; check accepts the file', async () => {
    const dir = freshDir()
    const generated = await run(['identity', 'generate', '--data-dir', dir, '--pow', '8', '--threads', '1'])
    assert.equal(generated.code, 0, generated.stderr)
    const peerId = generated.stdout.trim()
    assert.match(peerId, PEER_ID)
    const file = JSON.parse(await readFile(join(dir, 'identity.json'), 'utf8'))
    assert.equal(file.peer_id, peerId)

    const shown = await run(['identity', 'show', '--data-dir', dir])
    assert.equal(shown.code, 0, shown.stderr)
    assert.equal(shown.stdout.match(PEER_ID)?.[0], peerId)
    assert.ok(shown.stdout.includes(file.public_key))

    const checked = await run(['identity', 'check', '--data-dir', dir, '--pow', '8'])
    assert.equal(checked.code, 0, checked.stderr)
    assert.match(checked.stdout, /valid/)
  })

  test('generate refuses to overwrite without --force, replaces with it', async () => {
    const dir = await dataDirWith()
    const before = await readFile(join(dir, 'identity.json'), 'utf8')

    const refused = await run(['identity', 'generate', '--data-dir', dir, '--pow', '4'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /already exists.*--force/)
    assert.equal(refused.stdout, '')
    assert.equal(await readFile(join(dir, 'identity.json'), 'utf8'), before)

    const forced = await run([
      'identity',
      'generate',
      '--data-dir',
      dir,
      '--pow',
      '4',
      '--threads',
      '1',
      '--force',
    ])
    assert.equal(forced.code, 0, forced.stderr)
    assert.match(forced.stdout.trim(), PEER_ID)
    assert.notEqual(forced.stdout.trim(), recordedIdentity.peer_id)
    assert.equal(JSON.parse(await readFile(join(dir, 'identity.json'), 'utf8')).peer_id, forced.stdout.trim())
  })

  test('check explains a wrong peer id and a stamp below the difficulty, exit 1', async () => {
    const otherPeerId = readVectorJson<{ connection_messages: { b_peer_id: string } }>('octez-wire.json')
      .connection_messages.b_peer_id
    const dir = await dataDirWith({ peer_id: otherPeerId })
    const checked = await run(['identity', 'check', '--data-dir', dir, '--pow', '100'])
    assert.equal(checked.code, 1)
    assert.match(checked.stderr, /not valid/)
    assert.match(
      checked.stderr,
      new RegExp(`peer id ${otherPeerId} is not the hash of the public key.*${recordedIdentity.peer_id}`),
    )
    assert.match(checked.stderr, /proof-of-work stamp does not meet the target of 100 bits/)
  })

  test('Ctrl-C during generate stops the search: exit 130 and no file', async () => {
    const dir = freshDir()
    const child = start(['identity', 'generate', '--data-dir', dir, '--pow', '64', '--threads', '1'])
    let interrupted = false
    const result = await finish(child, (stderr) => {
      if (!interrupted && stderr.includes('Generating')) {
        interrupted = true
        child.kill('SIGINT')
      }
    })
    assert.equal(result.code, 130)
    assert.match(result.stderr, /Interrupted/)
    await assert.rejects(access(join(dir, 'identity.json')), { code: 'ENOENT' })
  })
})

describe('main (in-process)', () => {
  const capture = () => {
    const out = { stdout: '', stderr: '' }
    const streams = {
      stdout: { write: (text: string) => (out.stdout += text) },
      stderr: { write: (text: string) => (out.stderr += text) },
    }
    return { out, streams }
  }

  test('generate then show, returning exit codes', async () => {
    const dir = freshDir()
    const generated = capture()
    const args = ['identity', 'generate', '--data-dir', dir, '--pow', '2', '--threads', '1']
    assert.equal(await main(args, generated.streams), 0)
    const shown = capture()
    assert.equal(await main(['identity', 'show', '--data-dir', dir], shown.streams), 0)
    assert.equal(shown.out.stdout.match(PEER_ID)?.[0], generated.out.stdout.trim())
  })

  test('a missing or malformed file and a bad --pow give exit 1 and a message', async () => {
    const missing = capture()
    assert.equal(await main(['identity', 'show', '--data-dir', freshDir()], missing.streams), 1)
    assert.match(missing.out.stderr, /no identity file/)

    const malformed = capture()
    const dir = await dataDirWith({ secret_key: 'abcd' })
    assert.equal(await main(['identity', 'check', '--data-dir', dir], malformed.streams), 1)
    assert.match(malformed.out.stderr, /"secret_key" must be 32 bytes in hex/)

    const badPow = capture()
    assert.equal(await main(['identity', 'check', '--data-dir', dir, '--pow', 'lots'], badPow.streams), 1)
    assert.match(badPow.out.stderr, /--pow.*'lots' is invalid/)
  })

  test('DUNE_NODE_DATA_DIR is the default data folder (and 26 bits the default difficulty)', async () => {
    const dir = await dataDirWith()
    const saved = process.env.DUNE_NODE_DATA_DIR
    process.env.DUNE_NODE_DATA_DIR = dir
    try {
      const checked = capture()
      assert.equal(await main(['identity', 'check'], checked.streams), 0, checked.out.stderr)
      assert.equal(
        checked.out.stdout,
        `${join(dir, 'identity.json')} is valid for 26 bits of proof of work.\n`,
      )
    } finally {
      if (saved === undefined) delete process.env.DUNE_NODE_DATA_DIR
      else process.env.DUNE_NODE_DATA_DIR = saved
    }
  })

  test('help and unknown commands do not exit the process', async () => {
    const help = capture()
    assert.equal(await main(['--help'], help.streams), 0)
    assert.match(help.out.stdout, /identity/)
    const unknown = capture()
    assert.equal(await main(['no-such-command'], unknown.streams), 1)
    assert.match(unknown.out.stderr, /unknown command/)
  })
})

describe('progress bar', () => {
  test('rates and durations', () => {
    assert.equal(formatRate(1_234_567, 'H'), '1.2 MH/s')
    assert.equal(formatRate(950, 'H'), '950.0 H/s')
    assert.equal(formatRate(2_500, 'H'), '2.5 kH/s')
    assert.equal(formatDuration(42.2), '43s')
    assert.equal(formatDuration(185), '3m 05s')
    assert.equal(formatDuration(2 * 3600 + 7 * 60), '2h 07m')
    assert.equal(formatDuration(3 * 86400 + 4 * 3600), '3d 04h')
  })

  test('draws on a terminal at most once per interval, and clears its line', () => {
    let clock = 0
    let written = ''
    const stream = { isTTY: true, columns: 80, write: (text: string) => (written += text) }
    const bar = new ProgressBar(stream, { unit: 'H', minIntervalMs: 100, now: () => clock })
    bar.update({ done: 500_000, expected: 1_000_000, perSecond: 1_000_000 })
    assert.ok(written.startsWith('\r') && written.endsWith('\x1b[K'), 'one line, redrawn in place')
    assert.match(written, /\[#{15}-{15}\]\s+50%\s+1\.0 MH\/s\s+ETA 1s/)
    const drawn = written
    clock = 50
    bar.update({ done: 600_000, expected: 1_000_000, perSecond: 1_000_000 })
    assert.equal(written, drawn)
    clock = 150
    bar.update({ done: 2_000_000, expected: 1_000_000, perSecond: 1_000_000 })
    assert.match(written.slice(drawn.length), /\[#{30}\]\s+200%.*ETA any moment/)
    const beforeClear = written.length
    bar.clear()
    assert.equal(written.slice(beforeClear), '\r\x1b[K')
  })

  test('writes nothing when the stream is not a terminal', () => {
    let written = ''
    const bar = new ProgressBar({ write: (text: string) => (written += text) })
    bar.update({ done: 1, expected: 2, perSecond: 3 })
    bar.clear()
    assert.equal(written, '')
  })
})
