// peers.json: round trips, a missing file, every kind of corrupt file reported and moved aside,
// coalesced and scheduled saves, and write failures that leave the old file whole.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, mock, test } from 'node:test'
import fc from 'fast-check'
import { peerIdToB58 } from '../../../../src/crypto/peer-id.js'
import {
  emptyPoolState,
  type PoolState,
  parseStateFile,
  STATE_VERSION,
  StateFileError,
  stateFileText,
} from '../../../../src/pool/persistence/state-schema.js'
import {
  StateReadError,
  StateStore,
  type StateStoreLogger,
  StateWriteError,
} from '../../../../src/pool/persistence/state-store.js'
import { pointSyntaxError } from '../../../../src/wire/point.js'
import { defined } from '../../../support/defined.js'
import { generationOf, generationState, testPeerId } from '../../../support/generation-state.js'

let root: string
let count = 0
const freshDir = async () => {
  const dir = join(root, `case-${++count}`)
  await mkdir(dir)
  return dir
}
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dune-state-'))
})
after(async () => {
  await rm(root, { recursive: true, force: true })
})

const idA = testPeerId(1)
const idB = testPeerId(2)

/** A state using every field. */
const fullState: PoolState = {
  points: [
    {
      point: '192.0.2.1:9732',
      trusted: true,
      lastAttempt: 1_700_000_000_000,
      lastFailure: 1_700_000_000_001,
      lastEstablished: 1_700_000_000_002,
      lastDisconnect: 1_700_000_000_003,
      failures: 4,
      greylistedUntil: 1_700_000_086_400,
      peerId: idA,
    },
    { point: '[2001:db8::1]:19732', trusted: false },
  ],
  peers: [
    {
      peerId: idA,
      trusted: false,
      lastSeen: 1_700_000_000_004,
      points: ['192.0.2.1:9732', '[2001:db8::1]:19732'],
      score: -2.5,
      metadata: { disable_mempool: false, private_node: true, nested: [1, 'x', null] },
    },
    { peerId: idB, trusted: true, points: [] },
  ],
  acl: {
    bannedIps: ['198.51.100.7', '10.0.0.0/8', '2001:db8::/32'],
    bannedPoints: ['203.0.113.5:9732'],
    bannedPeers: [idB],
    trustedIps: ['127.0.0.1'],
    trustedPoints: ['[::1]:9732'],
    trustedPeers: [idA],
    greylistedIps: [{ ip: '198.51.100.8', until: 1_700_000_086_400, reason: 'proof of work' }],
    greylistedPeers: [{ peerId: idB, until: 1_700_000_086_401 }],
  },
}

/** A logger that keeps what it is told. */
function recordingLogger(): StateStoreLogger & { warnings: string[] } {
  const warnings: string[] = []
  return {
    warnings,
    warn(_fields, message) {
      warnings.push(message)
    },
  }
}

describe('state file: loading', () => {
  test('round trip of every field; the file is versioned, mode 0600, with no temp file beside it', async () => {
    const dir = await freshDir()
    const store = new StateStore(dir)
    await store.save(fullState)
    assert.deepEqual(await readdir(dir), ['peers.json'])
    assert.equal((await stat(join(dir, 'peers.json'))).mode & 0o777, 0o600)
    assert.equal(JSON.parse(await readFile(join(dir, 'peers.json'), 'utf8')).version, STATE_VERSION)
    assert.deepEqual(await new StateStore(dir).load(), { state: fullState, status: 'loaded' })
  })

  test('a missing file (or data folder) gives an empty state; save creates the folder', async () => {
    const dir = join(await freshDir(), 'not', 'yet')
    const store = new StateStore(dir, { fileName: 'state.json' })
    assert.deepEqual(await store.load(), { state: emptyPoolState(), status: 'missing' })
    await store.save(fullState)
    assert.deepEqual(await readdir(dir), ['state.json'])
    assert.equal((await store.load()).status, 'loaded')
  })

  test('keys it does not know are dropped, not refused', async () => {
    const dir = await freshDir()
    const file = {
      version: STATE_VERSION,
      ...fullState,
      points: [{ ...fullState.points[0], extra: true }],
      future: 1,
    }
    await writeFile(join(dir, 'peers.json'), JSON.stringify(file))
    const { state, status } = await new StateStore(dir).load()
    assert.equal(status, 'loaded')
    assert.deepEqual(state, { ...fullState, points: [fullState.points[0]] })
  })

  test('temp files of interrupted writes are deleted on load, other files kept', async () => {
    const dir = await freshDir()
    const store = new StateStore(dir, { logger: recordingLogger() })
    await store.save(fullState)
    const stale = ['.peers.json.0123456789ab.tmp', '.peers.json.ba9876543210.tmp']
    const others = ['.identity.json.0123456789ab.tmp', '.peers.json.notatemp.tmp', 'identity.json']
    for (const name of [...stale, ...others]) await writeFile(join(dir, name), '{"version":')
    assert.equal((await store.load()).status, 'loaded')
    assert.deepEqual((await readdir(dir)).sort(), [...others, 'peers.json'].sort())
  })

  const corrupt = async (content: string | Buffer, code: string, field?: string) => {
    const dir = await freshDir()
    const logger = recordingLogger()
    await writeFile(join(dir, 'peers.json'), content)
    const result = await new StateStore(dir, { logger }).load()
    assert.equal(result.status, 'corrupt')
    assert.deepEqual(result.state, emptyPoolState())
    assert.ok(result.error instanceof StateFileError)
    assert.equal(result.error.code, code)
    assert.equal(result.error.field, field)
    if (field)
      assert.ok(result.error.message.includes(field), `the message names ${field}: ${result.error.message}`)
    assert.match(result.movedTo ?? '', /\/peers\.json\.corrupt-\d{8}T\d{9}Z$/)
    assert.deepEqual(await readFile(result.movedTo!), Buffer.from(content), 'the moved file keeps its bytes')
    assert.deepEqual(await readdir(dir), [result.movedTo!.slice(dir.length + 1)])
    assert.equal(logger.warnings.length, 1)
    assert.ok((logger.warnings[0] ?? '').includes(result.error.message), logger.warnings[0])
    return result.error
  }
  const valid = stateFileText(fullState)
  const withChange = (change: (file: Record<string, unknown> & PoolState) => void) => {
    const file = JSON.parse(valid)
    change(file)
    return JSON.stringify(file)
  }

  test('garbage bytes', async () => {
    await corrupt(Buffer.from([0xff, 0x00, 0x13, 0x37, 0x80]), 'DUNE_STATE_JSON')
  })
  test('an empty file', async () => {
    await corrupt('', 'DUNE_STATE_JSON')
  })
  test('truncated JSON', async () => {
    for (const cut of [1, valid.length >> 1, valid.length - 2])
      await corrupt(valid.slice(0, cut), 'DUNE_STATE_JSON')
  })
  test('JSON that is not an object', async () => {
    await corrupt('[1, 2]', 'DUNE_STATE_SCHEMA', '')
  })
  test('a version this code cannot read, or none', async () => {
    const error = await corrupt(
      withChange((f) => (f.version = STATE_VERSION + 1)),
      'DUNE_STATE_VERSION',
    )
    assert.match(error.message, new RegExp(`version ${STATE_VERSION + 1}`))
    await corrupt(
      withChange((f) => delete f.version),
      'DUNE_STATE_VERSION',
    )
  })
  test('a field of the wrong type, named by its path', async () => {
    await corrupt(
      withChange((f) => ((f.points[1] as unknown as Record<string, unknown>).trusted = 'yes')),
      'DUNE_STATE_SCHEMA',
      'points.1.trusted',
    )
    await corrupt(
      withChange((f) => ((f.peers[0] as unknown as Record<string, unknown>).points = 'x')),
      'DUNE_STATE_SCHEMA',
      'peers.0.points',
    )
    await corrupt(
      withChange((f) => delete (f.acl as Partial<PoolState['acl']>).trustedPeers),
      'DUNE_STATE_SCHEMA',
      'acl.trustedPeers',
    )
    await corrupt(
      withChange((f) => (defined(f.points[0]).failures = -1)),
      'DUNE_STATE_SCHEMA',
      'points.0.failures',
    )
    await corrupt(
      withChange((f) => (defined(f.points[0]).lastAttempt = 1.5)),
      'DUNE_STATE_SCHEMA',
      'points.0.lastAttempt',
    )
  })
  test('a malformed point, peer id or IP, named by its path', async () => {
    // Points named by DNS name are kept by name (from the config); a host that is no name is not.
    await corrupt(
      withChange((f) => (defined(f.points[0]).point = 'bad_host!.example:9732')),
      'DUNE_STATE_SCHEMA',
      'points.0.point',
    )
    await corrupt(
      withChange((f) => (defined(f.peers[0]).points[1] = '2001:db8::1:9732')),
      'DUNE_STATE_SCHEMA',
      'peers.0.points.1',
    )
    // The last character changed: the base58check checksum fails.
    const badId = `${idA.slice(0, -1)}${idA.endsWith('a') ? 'b' : 'a'}`
    await corrupt(
      withChange((f) => (defined(f.peers[1]).peerId = badId)),
      'DUNE_STATE_SCHEMA',
      'peers.1.peerId',
    )
    await corrupt(
      withChange((f) => (f.acl.bannedPeers[0] = 'id')),
      'DUNE_STATE_SCHEMA',
      'acl.bannedPeers.0',
    )
    await corrupt(
      withChange((f) => (f.acl.bannedIps[1] = '10.0.0.0/33')),
      'DUNE_STATE_SCHEMA',
      'acl.bannedIps.1',
    )
    await corrupt(
      withChange((f) => (f.acl.trustedIps[0] = 'localhost')),
      'DUNE_STATE_SCHEMA',
      'acl.trustedIps.0',
    )
  })

  test('two corrupt files in the same millisecond get different names', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.UTC(2024, 4, 1, 12, 30, 15, 123) })
    try {
      const dir = await freshDir()
      const store = new StateStore(dir)
      await writeFile(join(dir, 'peers.json'), 'first')
      const first = await store.load()
      await writeFile(join(dir, 'peers.json'), 'second')
      const second = await store.load()
      assert.equal(first.movedTo, join(dir, 'peers.json.corrupt-20240501T123015123Z'))
      assert.equal(second.movedTo, join(dir, 'peers.json.corrupt-20240501T123015123Z-2'))
      assert.equal(await readFile(first.movedTo!, 'utf8'), 'first')
      assert.equal(await readFile(second.movedTo!, 'utf8'), 'second')
    } finally {
      mock.timers.reset()
    }
  })

  test('after a corrupt file, saving and loading work again', async () => {
    const dir = await freshDir()
    await writeFile(join(dir, 'peers.json'), '{"version": 1, "points": [')
    const store = new StateStore(dir)
    assert.equal((await store.load()).status, 'corrupt')
    await store.save(fullState)
    assert.deepEqual(await store.load(), { state: fullState, status: 'loaded' })
  })

  test('a file that cannot be read is a StateReadError, not a corrupt file', async () => {
    const dir = await freshDir()
    await mkdir(join(dir, 'peers.json'))
    await assert.rejects(new StateStore(dir).load(), (err: unknown) => {
      assert.ok(err instanceof StateReadError)
      assert.equal(err.code, 'DUNE_STATE_READ')
      return true
    })
    assert.deepEqual(await readdir(dir), ['peers.json'])
  })

  test('10 000 points and peers round trip', async () => {
    const dir = await freshDir()
    const peerIds = Array.from({ length: 100 }, (_, i) => testPeerId(i))
    const store = new StateStore(dir)
    await store.save(generationState(7, 10_000, peerIds))
    const { state, status } = await store.load()
    assert.equal(status, 'loaded')
    assert.equal(generationOf(state, 10_000), 7)
  })

  test('property: any valid state survives writing and parsing', () => {
    const ipv6 = fc.ipV6()
    const point = fc
      .oneof(
        fc.tuple(fc.ipV4(), fc.nat(65535)).map(([ip, port]) => `${ip}:${port}`),
        fc.tuple(ipv6, fc.nat(65535)).map(([ip, port]) => `[${ip}]:${port}`),
      )
      .filter((p) => pointSyntaxError(p) === undefined)
    const peerId = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => peerIdToB58(bytes))
    const time = fc.option(fc.nat(), { nil: undefined })
    const knownPoint = fc.record(
      {
        point,
        trusted: fc.boolean(),
        lastAttempt: time,
        lastFailure: time,
        failures: time,
        greylistedUntil: time,
        peerId: fc.option(peerId, { nil: undefined }),
      },
      { requiredKeys: ['point', 'trusted'] },
    )
    const knownPeer = fc.record(
      {
        peerId,
        trusted: fc.boolean(),
        lastSeen: time,
        points: fc.array(point, { maxLength: 3 }),
        score: fc.double({ noNaN: true, noDefaultInfinity: true }),
        metadata: fc.jsonValue(),
      },
      { requiredKeys: ['peerId', 'trusted', 'points'] },
    )
    const ips = fc.array(
      fc.oneof(
        fc.ipV4(),
        ipv6,
        fc.tuple(fc.ipV4(), fc.nat(32)).map(([ip, n]) => `${ip}/${n}`),
      ),
      {
        maxLength: 3,
      },
    )
    const state = fc.record({
      points: fc.array(knownPoint, { maxLength: 5 }),
      peers: fc.array(knownPeer, { maxLength: 5 }),
      acl: fc.record({
        bannedIps: ips,
        bannedPoints: fc.array(point, { maxLength: 3 }),
        bannedPeers: fc.array(peerId, { maxLength: 3 }),
        trustedIps: ips,
        trustedPoints: fc.array(point, { maxLength: 3 }),
        trustedPeers: fc.array(peerId, { maxLength: 3 }),
      }),
    })
    fc.assert(
      fc.property(state, (s) => {
        // What JSON can carry (-0 becomes 0, undefined keys vanish) is what must come back.
        assert.deepEqual(parseStateFile(stateFileText(s)), JSON.parse(JSON.stringify(s)))
      }),
      { numRuns: 200 },
    )
  })
})

describe('state file: saving', () => {
  const stateNumbered = (n: number): PoolState => ({
    ...emptyPoolState(),
    points: [{ point: `192.0.2.1:${n}`, trusted: false }],
  })
  const savedNumber = async (dir: string) =>
    Number(parseStateFile(await readFile(join(dir, 'peers.json'), 'utf8')).points[0]?.point.split(':')[1])

  test('saves during a write are coalesced into one write of the latest state', async () => {
    const dir = await freshDir()
    const store = new StateStore(dir)
    const first = store.save(stateNumbered(0))
    const later = Array.from({ length: 50 }, (_, i) => store.save(stateNumbered(i + 1)))
    assert.notEqual(later[0], first, 'the first save starts writing at once')
    assert.ok(
      later.every((p) => p === later[0]),
      'every later save waits for the same, single, write',
    )
    await Promise.all([first, ...later])
    assert.equal(await savedNumber(dir), 50)
    assert.deepEqual(await readdir(dir), ['peers.json'])
  })

  test('a state is read when its write starts: changes made before then are saved', async () => {
    const dir = await freshDir()
    const store = new StateStore(dir)
    const running = store.save(stateNumbered(1))
    const state = stateNumbered(2)
    const saved = store.save(state)
    defined(state.points[0]).point = '192.0.2.1:3'
    await Promise.all([running, saved])
    assert.equal(await savedNumber(dir), 3)
  })

  test('scheduleSave writes the latest state once the delay is over, flush writes it at once', async () => {
    const dir = await freshDir()
    mock.timers.enable({ apis: ['setTimeout'] })
    try {
      const store = new StateStore(dir, { saveDelayMs: 1000 })
      store.scheduleSave(stateNumbered(1))
      store.scheduleSave(stateNumbered(2))
      mock.timers.tick(999)
      await store.flush()
      assert.equal(await savedNumber(dir), 2, 'flush wrote the scheduled state')
      store.scheduleSave(stateNumbered(3))
      mock.timers.tick(600)
      store.scheduleSave(stateNumbered(4))
      mock.timers.tick(399)
      assert.equal(await savedNumber(dir), 2, 'nothing written before the delay')
      mock.timers.tick(1)
      await store.flush()
      assert.equal(await savedNumber(dir), 4, 'the delay runs from the first unsaved change')
    } finally {
      mock.timers.reset()
    }
  })

  test('save supersedes a scheduled state', async () => {
    const dir = await freshDir()
    mock.timers.enable({ apis: ['setTimeout'] })
    try {
      const store = new StateStore(dir)
      store.scheduleSave(stateNumbered(1))
      await store.save(stateNumbered(2))
      mock.timers.tick(5000)
      await store.flush()
      assert.equal(await savedNumber(dir), 2)
    } finally {
      mock.timers.reset()
    }
  })

  test('flush with nothing to write resolves', async () => {
    await new StateStore(await freshDir()).flush()
  })

  const unserializable = (peerId: string) => ({
    ...emptyPoolState(),
    peers: [{ peerId, trusted: false, points: [], metadata: 1n }],
  })
  const assertWriteError = (errno: string | undefined) => (err: unknown) => {
    assert.ok(err instanceof StateWriteError, String(err))
    assert.equal(err.code, 'DUNE_STATE_WRITE')
    assert.equal(err.errno, errno)
    return true
  }

  test('a data folder path that is a file: StateWriteError, StateReadError on load', async () => {
    const file = join(await freshDir(), 'data')
    await writeFile(file, 'not a folder')
    const store = new StateStore(file)
    await assert.rejects(store.save(fullState), assertWriteError('EEXIST'))
    await assert.rejects(store.load(), StateReadError)
    assert.equal(await readFile(file, 'utf8'), 'not a folder')
  })

  test('a state JSON cannot hold is a StateWriteError; the old file stays', async () => {
    const dir = await freshDir()
    const store = new StateStore(dir)
    await store.save(fullState)
    const before = await readFile(join(dir, 'peers.json'))
    await assert.rejects(store.save(unserializable(idA)), assertWriteError(undefined))
    assert.deepEqual(await readFile(join(dir, 'peers.json')), before)
  })

  test('a failed write is reported by the next flush; a later save succeeds', async () => {
    const store = new StateStore(await freshDir())
    await assert.rejects(store.save(unserializable(idA)), StateWriteError)
    await assert.rejects(store.flush(), StateWriteError)
    await store.save(fullState)
    await store.flush()
  })

  test('a scheduled write that fails is logged, and reported by flush', async () => {
    mock.timers.enable({ apis: ['setTimeout'] })
    try {
      const logger = recordingLogger()
      const store = new StateStore(await freshDir(), { logger })
      store.scheduleSave(unserializable(idA))
      mock.timers.tick(1000)
      await assert.rejects(store.flush(), StateWriteError)
      assert.equal(logger.warnings.length, 1)
      assert.match(logger.warnings[0] ?? '', /as JSON/)
    } finally {
      mock.timers.reset()
    }
  })

  /** Runs `body` with a tiny tmpfs mounted on a fresh folder; skips when mounting is not allowed. */
  const withTmpfs = async (t: { skip(message: string): void }, body: (dir: string) => Promise<void>) => {
    const dir = await freshDir()
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' })
    } catch (err) {
      t.skip(
        `cannot mount a tmpfs here (needs root and mount rights): ${(err as Error).message.split('\n')[0]}`,
      )
      return
    }
    try {
      await body(dir)
    } finally {
      execFileSync('umount', [dir])
    }
  }
  const peerIds = Array.from({ length: 10 }, (_, i) => testPeerId(i))

  test('a full disk (ENOSPC on a 64 KiB tmpfs) leaves the old file whole', (t) =>
    withTmpfs(t, async (dir) => {
      const store = new StateStore(dir)
      await store.save(generationState(1, 10, peerIds))
      const before = await readFile(join(dir, 'peers.json'))
      await assert.rejects(store.save(generationState(2, 1000, peerIds)), assertWriteError('ENOSPC'))
      assert.deepEqual(await readFile(join(dir, 'peers.json')), before)
      assert.deepEqual(await readdir(dir), ['peers.json'], 'no temp file left')
      assert.equal(generationOf((await store.load()).state, 10), 1)
    }))

  test('a read-only file system (EROFS) leaves the old file whole', (t) =>
    withTmpfs(t, async (dir) => {
      const store = new StateStore(dir)
      await store.save(generationState(1, 10, peerIds))
      execFileSync('mount', ['-o', 'remount,ro', dir])
      await assert.rejects(store.save(generationState(2, 10, peerIds)), assertWriteError('EROFS'))
      assert.equal(generationOf((await store.load()).state, 10), 1)
    }))

  test('a folder without write permission (EACCES) leaves the old file whole', async (t) => {
    if (process.getuid?.() === 0) {
      t.skip('running as root, which permissions do not stop (the tmpfs tests cover write failures)')
      return
    }
    const dir = await freshDir()
    const store = new StateStore(dir)
    await store.save(fullState)
    await chmod(dir, 0o500)
    try {
      await assert.rejects(store.save(emptyPoolState()), assertWriteError('EACCES'))
      assert.deepEqual((await store.load()).state, fullState)
    } finally {
      await chmod(dir, 0o700)
    }
  })
})
