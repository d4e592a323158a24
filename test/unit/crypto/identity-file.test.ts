// identity.json and the atomic writer under it: round trip, Octez's field names, modes 0600
// and 0700, no temp file left behind, and a typed error for every kind of bad file.
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { Identity } from '../../../src/crypto/identity.js'
import { IdentityFileError, readIdentityFile, writeIdentityFile } from '../../../src/crypto/identity-file.js'
import { peerIdFromB58 } from '../../../src/crypto/peer-id.js'
import { FileWriteError, writeFileAtomic } from '../../../src/io/atomic-file.js'
import { hex, type RecordedIdentityJson, readVectorJson } from '../../support/vectors.js'

const recorded = readVectorJson<RecordedIdentityJson>('recorded-session-identity.json')
const identity: Identity = {
  peerId: peerIdFromB58(recorded.peer_id),
  publicKey: hex(recorded.public_key),
  secretKey: hex(recorded.secret_key),
  proofOfWorkStamp: hex(recorded.proof_of_work_stamp),
}

let root: string
let count = 0
const freshDir = () => join(root, `case-${++count}`)
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dune-identity-'))
})
after(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('identity file', () => {
  test('round trip, in the format of the recorded Octez identity file', async () => {
    const dir = join(freshDir(), 'nested', 'data')
    const path = await writeIdentityFile(dir, identity)
    assert.equal(path, join(dir, 'identity.json'))
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), recorded)
    assert.deepEqual(await readIdentityFile(dir), identity)
  })

  test('reads the file as Octez wrote it', async () => {
    const dir = freshDir()
    await mkdir(dir)
    await writeFile(join(dir, 'identity.json'), JSON.stringify(recorded))
    assert.deepEqual(await readIdentityFile(dir), identity)
  })

  test('the file is 0600 and a folder it creates 0700', async () => {
    const dir = freshDir()
    const path = await writeIdentityFile(dir, identity)
    assert.equal((await stat(path)).mode & 0o777, 0o600)
    assert.equal((await stat(dir)).mode & 0o777, 0o700)
  })

  test('overwriting leaves only the new file, no temp file', async () => {
    const dir = freshDir()
    await writeIdentityFile(dir, { ...identity, proofOfWorkStamp: Buffer.alloc(24) })
    await writeIdentityFile(dir, identity)
    assert.deepEqual(await readdir(dir), ['identity.json'])
    assert.deepEqual(await readIdentityFile(dir), identity)
  })

  const fails = async (content: string | undefined, code: string, field?: string) => {
    const dir = freshDir()
    await mkdir(dir)
    if (content !== undefined) await writeFile(join(dir, 'identity.json'), content)
    await assert.rejects(readIdentityFile(dir), (err: unknown) => {
      assert.ok(err instanceof IdentityFileError)
      assert.equal(err.code, code)
      assert.equal(err.field, field)
      assert.equal(err.path, join(dir, 'identity.json'))
      if (field) assert.ok(err.message.includes(field), `the message names ${field}: ${err.message}`)
      return true
    })
  }

  test('a missing file', () => fails(undefined, 'DUNE_IDENTITY_MISSING'))
  test('a file that is not JSON', () => fails('{"peer_id": ', 'DUNE_IDENTITY_JSON'))
  test('JSON that is not an object', () => fails('["idqjq34sB6uHWdFzJDB97zwXAdHASb"]', 'DUNE_IDENTITY_JSON'))

  test('an unreadable path (a folder named identity.json)', async () => {
    const dir = freshDir()
    await mkdir(join(dir, 'identity.json'), { recursive: true })
    await assert.rejects(readIdentityFile(dir), { code: 'DUNE_IDENTITY_UNREADABLE' })
  })

  const withField = (field: string, value: unknown) => JSON.stringify({ ...recorded, [field]: value })
  const without = (field: string) => JSON.stringify({ ...recorded, [field]: undefined })

  for (const field of ['peer_id', 'public_key', 'secret_key', 'proof_of_work_stamp'] as const) {
    test(`field ${field}: missing, not a string, malformed`, async () => {
      await fails(without(field), 'DUNE_IDENTITY_FIELD', field)
      await fails(withField(field, 42), 'DUNE_IDENTITY_FIELD', field)
      await fails(withField(field, `${recorded[field]}00`), 'DUNE_IDENTITY_FIELD', field)
      await fails(withField(field, `${recorded[field].slice(0, -1)}z`), 'DUNE_IDENTITY_FIELD', field)
    })
  }
})

describe('writeFileAtomic', () => {
  test('writes with the exact mode asked, replacing the old content', async () => {
    const dir = freshDir()
    await mkdir(dir)
    const path = join(dir, 'state.json')
    await writeFileAtomic(path, 'old')
    await writeFileAtomic(path, Buffer.from('new'), { mode: 0o640 })
    assert.equal(await readFile(path, 'utf8'), 'new')
    assert.equal((await stat(path)).mode & 0o777, 0o640)
    assert.deepEqual(await readdir(dir), ['state.json'])
  })

  test('a failed write is a FileWriteError, leaves the old file and no temp file', async () => {
    const dir = freshDir()
    await mkdir(join(dir, 'target'), { recursive: true })
    await writeFile(join(dir, 'target', 'keep'), 'x')
    // Renaming a file over a non-empty folder fails after the temp file was written.
    await assert.rejects(
      writeFileAtomic(join(dir, 'target'), 'data'),
      (err: unknown) => err instanceof FileWriteError && err.code === 'DUNE_FILE_WRITE',
    )
    assert.deepEqual(await readdir(dir), ['target'])
    assert.deepEqual(await readdir(join(dir, 'target')), ['keep'])
  })

  test('a missing folder is a FileWriteError', async () => {
    await assert.rejects(writeFileAtomic(join(freshDir(), 'no', 'file'), 'data'), FileWriteError)
  })
})
