// Benchmark of the Octez shell message set on real traffic: the recorded 2019 session's 5,472
// Sent frames decoded into typed messages and encoded back, per message and per byte.

// Usage: npm run bench -- octez [--rounds N]; prints one JSON document on stdout (medians over rounds).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type * as Octez from '../src/octez/index.js'
import { recordedSentFrames } from '../test/support/recorded-session-frames.js'
import { median } from './conn/stats.js'

// The compiled dist/ (`npm run bench` builds it), as bench/library.ts does for the main entry point.
const DIST_OCTEZ = new URL('../dist/octez/index.js', import.meta.url)
if (!existsSync(fileURLToPath(DIST_OCTEZ)))
  throw new Error(`${fileURLToPath(DIST_OCTEZ)} is missing: run \`npm run build\` (npm run bench does it)`)
const { octezMessages, hashToB58, BLOCK_HASH } = (await import(DIST_OCTEZ.href)) as typeof Octez

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } })
const rounds = Number(values.rounds)
const frames = recordedSentFrames()
const bytes = frames.reduce((sum, f) => sum + f.length, 0)
const out = Buffer.alloc(Math.max(...frames.map((f) => f.length)))

/** Base58 strings (hashes and chain ids) in decoded values. */
function countHashes(value: unknown): number {
  if (typeof value === 'string') return /^(B|o|Net|LLo|Co|P)[1-9A-HJ-NP-Za-km-z]{12,52}$/.test(value) ? 1 : 0
  if (Buffer.isBuffer(value) || typeof value !== 'object' || value === null) return 0
  return Object.values(value).reduce((sum: number, v) => sum + countHashes(v), 0)
}

const decodeMs: number[] = []
let decodedHashes = 0
const encodeMs: number[] = []
for (let round = 0; round < rounds; round++) {
  const t0 = performance.now()
  const decoded = frames.map((f) => octezMessages.decodeBody(f, 4, f.length))
  const t1 = performance.now()
  for (const m of decoded) octezMessages.writeFrame(m, out, 0)
  encodeMs.push(performance.now() - t1)
  decodeMs.push(t1 - t0)
  if (round === 0) decodedHashes = countHashes(decoded)
}
// The share of base58check (sha256d checksum and base conversion) in decoding: one hash alone.
const hash = Buffer.alloc(32, 0x5a)
const hashes = 20_000
const t = performance.now()
for (let i = 0; i < hashes; i++) hashToB58(BLOCK_HASH, hash)
const hashUs = ((performance.now() - t) * 1000) / hashes
const perSecond = (ms: number, n: number): number => Math.round((n * 1000) / ms)
const d = median(decodeMs)
const e = median(encodeMs)
console.log(
  JSON.stringify(
    {
      frames: frames.length,
      bytes,
      rounds,
      decode: {
        ms: Number(d.toFixed(1)),
        messagesPerSecond: perSecond(d, frames.length),
        mbPerSecond: Number(((bytes / d) * 1e-3).toFixed(2)),
      },
      encode: {
        ms: Number(e.toFixed(1)),
        messagesPerSecond: perSecond(e, frames.length),
        mbPerSecond: Number(((bytes / e) * 1e-3).toFixed(2)),
      },
      base58HashMicroseconds: Number(hashUs.toFixed(2)),
      hashesDecoded: decodedHashes,
    },
    null,
    2,
  ),
)
