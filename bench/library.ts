// The library under benchmark: the compiled dist/ that users run (`npm run bench` builds it),
// with the types of src/. Not src/ through tsx, whose keepNames transform gives named closures a property dictionary.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type * as Crypto from '../src/crypto/index.js'
import type { incrementNonce } from '../src/crypto/nonce.js'
import type * as Root from '../src/index.js'
import type { BoundedQueue } from '../src/io/bounded-queue.js'
import type { scoreToWeight } from '../src/io/scheduler.js'
import type { ChunkReader } from '../src/socket/chunk-reader.js'
import type { FrameReader } from '../src/socket/frame-reader.js'
import type * as Socket from '../src/socket/index.js'
import type * as Wire from '../src/wire/index.js'

const DIST_INDEX = new URL('../dist/index.js', import.meta.url)

if (!existsSync(fileURLToPath(DIST_INDEX)))
  throw new Error(`${fileURLToPath(DIST_INDEX)} is missing: run \`npm run build\` (npm run bench does it)`)

/** One built module of dist/, by its path there. */
async function built<T>(path: string): Promise<T> {
  return (await import(new URL(`../dist/${path}`, import.meta.url).href)) as T
}

/**
 * Every export of the package's entry points as built (the root, dune-p2p/crypto, dune-p2p/wire
 * and dune-p2p/socket), the scheduler's score weighting the scheduler benchmark checks, and
 * the chunk and frame readers, the queue and the nonce step the receive-path benchmark drives.
 */
export const dune = {
  ...(await built<typeof Root>('index.js')),
  ...(await built<typeof Crypto>('crypto/index.js')),
  ...(await built<typeof Wire>('wire/index.js')),
  ...(await built<typeof Socket>('socket/index.js')),
  scoreToWeight: (await built<{ scoreToWeight: typeof scoreToWeight }>('io/scheduler.js')).scoreToWeight,
  /** A connection's read path below the socket, for the receive-path benchmark. */
  ChunkReader: (await built<{ ChunkReader: typeof ChunkReader }>('socket/chunk-reader.js')).ChunkReader,
  FrameReader: (await built<{ FrameReader: typeof FrameReader }>('socket/frame-reader.js')).FrameReader,
  BoundedQueue: (await built<{ BoundedQueue: typeof BoundedQueue }>('io/bounded-queue.js')).BoundedQueue,
  incrementNonce: (await built<{ incrementNonce: typeof incrementNonce }>('crypto/nonce.js')).incrementNonce,
}
