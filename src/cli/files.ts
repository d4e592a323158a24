// The file checks of dune-node's commands: whether a path exists, and the refusal to replace an
// existing file (the identity, the config) without --force.
import { access } from 'node:fs/promises'
import type { CliContext } from './cli-context.js'

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}

/** True, with the reason on stderr and exit code 1, when `path` exists and `force` is not set. */
export async function refusesToReplace(
  ctx: CliContext,
  path: string,
  force: boolean | undefined,
): Promise<boolean> {
  if (force || !(await exists(path))) return false
  ctx.stderr.write(`${path} already exists; use --force to replace it.\n`)
  ctx.exitCode = 1
  return true
}
