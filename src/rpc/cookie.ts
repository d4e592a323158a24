// The admin RPC's cookie, as Bitcoin Core's: a fresh random token written at start to
// DATA_DIR/rpc.cookie (mode 0600, atomically), removed at stop, read by the operator's tools.
import { randomBytes } from 'node:crypto'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** The cookie file's name in the data dir. */
export const COOKIE_FILE_NAME = 'rpc.cookie'

/** Where the cookie of the node with this data dir is. */
export function cookiePath(dataDir: string): string {
  return join(dataDir, COOKIE_FILE_NAME)
}

/** A new token: 32 random bytes in hex. */
export function newRpcToken(): string {
  return randomBytes(32).toString('hex')
}

/** Writes `token` to `file` readable by its owner only, through a temporary file and a rename. */
export async function writeCookie(file: string, token: string): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temporary, `${token}\n`, { mode: 0o600, flag: 'wx' })
    await rename(temporary, file)
  } catch (err) {
    await rm(temporary, { force: true })
    throw err
  }
}

/** Removes the cookie if it still holds `token` (a newer node's cookie is left alone). */
export async function removeCookie(file: string, token: string): Promise<void> {
  const current = await readCookie(file).catch(() => undefined)
  if (current === token) await rm(file, { force: true })
}

/** The token in a cookie file (trimmed); rejects with the file system's error (ENOENT: no node). */
export async function readCookie(file: string): Promise<string> {
  return (await readFile(file, 'utf8')).trim()
}
