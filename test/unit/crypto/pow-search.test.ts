// The proof-of-work search on worker threads: it finds valid stamps at low difficulty,
// reports progress, and an abort rejects with PowSearchAborted once every worker is gone.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { checkIdentity, generateIdentity } from '../../../src/crypto/identity.js'
import { generateKeyPair } from '../../../src/crypto/keys.js'
import { type PowProgress, PowSearchAborted, searchProofOfWork } from '../../../src/crypto/pow-search.js'
import { checkProofOfWork } from '../../../src/crypto/proof-of-work.js'

/** Workers show up as MessagePort handles of this process. */
const messagePorts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length

describe('searchProofOfWork', () => {
  test('finds a stamp meeting 10 bits on two workers, reporting progress', async () => {
    const { publicKey } = generateKeyPair()
    const progress: PowProgress[] = []
    const stamp = await searchProofOfWork(publicKey, 10, { threads: 2, onProgress: (p) => progress.push(p) })
    assert.equal(stamp.length, 24)
    assert.equal(checkProofOfWork(publicKey, stamp, 10), true)
    assert.ok(progress.length > 0)
    const last = progress.at(-1)!
    assert.ok(last.hashes > 0)
    assert.equal(last.expectedHashes, 1024)
  })

  test('finds a stamp meeting 12.5 bits on one worker', async () => {
    const { publicKey } = generateKeyPair()
    const stamp = await searchProofOfWork(publicKey, 12.5, { threads: 1 })
    assert.equal(checkProofOfWork(publicKey, stamp, 12.5), true)
  })

  test('an abort rejects with PowSearchAborted after the workers are gone', async () => {
    const before = messagePorts()
    const controller = new AbortController()
    let runningPorts = -1
    const search = searchProofOfWork(generateKeyPair().publicKey, 64, {
      threads: 2,
      signal: controller.signal,
      onProgress: () => {
        if (runningPorts >= 0) return
        runningPorts = messagePorts()
        controller.abort()
      },
    })
    await assert.rejects(
      search,
      (err: unknown) => err instanceof PowSearchAborted && err.code === 'DUNE_POW_ABORTED',
    )
    assert.ok(runningPorts > before, 'workers were running when the search was aborted')
    assert.equal(messagePorts(), before)
  })

  test('an already aborted signal rejects at once', async () => {
    const controller = new AbortController()
    controller.abort()
    await assert.rejects(
      searchProofOfWork(generateKeyPair().publicKey, 8, { signal: controller.signal }),
      PowSearchAborted,
    )
  })

  test('bad arguments reject with typed errors', async () => {
    const { publicKey } = generateKeyPair()
    await assert.rejects(searchProofOfWork(publicKey.subarray(1), 8), { code: 'DUNE_CRYPTO_INPUT' })
    await assert.rejects(searchProofOfWork(publicKey, 257), { code: 'DUNE_CRYPTO_INPUT' })
    await assert.rejects(searchProofOfWork(publicKey, 8, { threads: 0 }), { code: 'DUNE_CRYPTO_INPUT' })
  })
})

test('generateIdentity gives an identity without problems', async () => {
  const identity = await generateIdentity(8, { threads: 1 })
  assert.deepEqual(checkIdentity(identity, 8), [])
})
