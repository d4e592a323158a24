// ChunkCipher's unauthenticated peek (sizing a frame before `open` decrypts into it) and
// in-place sealing (plaintext right after the MAC's place), both used on the hot path.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import fc from 'fast-check'
import { ChunkCipher, MAC_BYTES, MacError } from '../../../src/crypto/index.js'
import { defined } from '../../support/defined.js'

const pair = (): [ChunkCipher, ChunkCipher] => {
  const key = randomBytes(32)
  const a = randomBytes(24)
  const b = randomBytes(24)
  return [new ChunkCipher(key, a, b), new ChunkCipher(key, b, a)]
}

test('peekPlaintext gives the first bytes of what open will return, without advancing the nonce', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 300 }),
      fc.integer({ min: 0, max: 32 }),
      (plain, n) => {
        const [tx, rx] = pair()
        const boxed = Buffer.alloc(plain.length + MAC_BYTES)
        tx.seal(plain, boxed)
        const peeked = Buffer.alloc(n)
        const ok = rx.peekPlaintext(boxed, peeked, n)
        assert.equal(ok, plain.length >= n)
        if (ok) assert.deepEqual(peeked, Buffer.from(plain.subarray(0, n)))
        const opened = Buffer.alloc(plain.length)
        rx.open(boxed, opened) // the nonce did not move: open still succeeds
        assert.deepEqual(opened, Buffer.from(plain))
      },
    ),
    { numRuns: 200 },
  )
})

test('sealing in place (plaintext just after the MAC slot) equals sealing from another buffer', () => {
  const key = randomBytes(32)
  const nonce = randomBytes(24)
  const plain = randomBytes(5000)
  const separate = Buffer.alloc(MAC_BYTES + plain.length)
  new ChunkCipher(key, nonce, nonce).seal(plain, separate)
  const inPlace = Buffer.alloc(MAC_BYTES + plain.length)
  plain.copy(inPlace, MAC_BYTES)
  new ChunkCipher(key, nonce, nonce).seal(inPlace.subarray(MAC_BYTES), inPlace, 0)
  assert.deepEqual(inPlace, separate)
})

test('a tampered chunk: the peek may say anything, open still refuses it', () => {
  const [tx, rx] = pair()
  const boxed = Buffer.alloc(100 + MAC_BYTES)
  tx.seal(randomBytes(100), boxed)
  boxed[MAC_BYTES] = defined(boxed[MAC_BYTES]) ^ 0xff
  assert.equal(rx.peekPlaintext(boxed, Buffer.alloc(4), 4), true)
  assert.throws(() => rx.open(boxed, Buffer.alloc(100)), MacError)
})
