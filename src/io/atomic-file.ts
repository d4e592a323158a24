// Writes a file so that readers see either the old content or the new, never a mix: a temp
// file in the same folder is written, synced and renamed over the target.
import { randomBytes } from 'node:crypto'
import { type FileHandle, open, readdir, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { DuneP2pError } from '../errors/index.js'

/** A temp file is `.NAME.<TEMP_ID_BYTES random bytes in hex>.tmp`, beside NAME. */
const TEMP_ID_BYTES = 6
const TEMP_SUFFIX = new RegExp(`^[0-9a-f]{${TEMP_ID_BYTES * 2}}\\.tmp$`)

/** Writing a file failed; the previous content, if any, is untouched (code `DUNE_FILE_WRITE`). */
export class FileWriteError extends DuneP2pError {
  readonly path: string

  constructor(path: string, options: { cause: unknown }) {
    super(
      'DUNE_FILE_WRITE',
      `could not write ${path}: ${(options.cause as Error)?.message ?? options.cause}`,
      options,
    )
    this.path = path
  }
}

export interface WriteFileAtomicOptions {
  /** Permissions of the new file (exactly, whatever the umask); default 0o644. */
  mode?: number
}

/** Replaces `path` with `data` atomically and durably (file and folder synced); the temp file never outlives a failure. */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  { mode = 0o644 }: WriteFileAtomicOptions = {},
): Promise<void> {
  const folder = dirname(path)
  const temp = join(folder, `.${basename(path)}.${randomBytes(TEMP_ID_BYTES).toString('hex')}.tmp`)
  let handle: FileHandle | undefined
  try {
    handle = await open(temp, 'wx', mode)
    await handle.chmod(mode)
    await handle.writeFile(data)
    await handle.sync()
    await handle.close()
    handle = undefined
    await rename(temp, path)
    await syncFolder(folder)
  } catch (err) {
    await handle?.close().catch(() => {})
    await rm(temp, { force: true }).catch(() => {})
    throw new FileWriteError(path, { cause: err })
  }
}

/**
 * Deletes the temp files a writer of `path` killed mid-write left behind (`.NAME.<hex>.tmp`);
 * returns their names. Call it only while nothing is writing `path`.
 */
export async function removeStaleTempFiles(path: string): Promise<string[]> {
  const folder = dirname(path)
  const prefix = `.${basename(path)}.`
  let names: string[]
  try {
    names = await readdir(folder)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const stale = names.filter((name) => name.startsWith(prefix) && TEMP_SUFFIX.test(name.slice(prefix.length)))
  await Promise.all(stale.map((name) => rm(join(folder, name), { force: true })))
  return stale
}

/** Makes a rename in `folder` durable; platforms that cannot sync a folder skip it. */
async function syncFolder(folder: string): Promise<void> {
  let handle: FileHandle | undefined
  try {
    handle = await open(folder, 'r')
    await handle.sync()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw err
  } finally {
    await handle?.close()
  }
}
