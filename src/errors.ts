// The root of every error the layer raises: a class per failure with a stable `code`,
// so callers (the pool, the CLIs, the admin API) can branch on it without parsing text.

/** Base class of all dune-p2p errors. `code` is stable across versions (e.g. `DUNE_DECODE`). */
export class DuneP2pError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** True when `err` is a dune-p2p error, optionally with the given code. */
export function isDuneP2pError(err: unknown, code?: string): err is DuneP2pError {
  return err instanceof DuneP2pError && (code === undefined || err.code === code)
}
