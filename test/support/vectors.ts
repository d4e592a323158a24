// Locates and loads the recorded wire vectors kept in the repository (`test/vectors`, see
// its README for where each file came from); DUNE_VECTORS_DIR overrides the folder.
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Absolute path of the vectors folder. */
export const vectorsDir: string = process.env.DUNE_VECTORS_DIR ?? join(repoRoot, 'test', 'vectors')

/** Reads a vectors file as text. */
export function readVectorText(name: string): string {
  return readFileSync(join(vectorsDir, name), 'utf8')
}

/** Reads and parses a JSON vectors file. */
/** The fields of recorded-session-identity.json (an Octez identity file). */
export interface RecordedIdentityJson {
  peer_id: string
  public_key: string
  secret_key: string
  proof_of_work_stamp: string
}

export function readVectorJson<T = unknown>(name: string): T {
  return JSON.parse(readVectorText(name)) as T
}

/** Hex string to Buffer. */
export const hex = (s: string): Buffer => Buffer.from(s, 'hex')
