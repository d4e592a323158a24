// The root of every error the layer raises: a class per failure with a stable `code` from the
// DuneErrorCode union, so callers can branch on it without parsing text, and the typed guard.
import type { DuneErrorCode } from './codes.js'

/** Base class of all dune-p2p errors. `code` is stable across versions (e.g. `DUNE_DECODE`). */
export class DuneP2pError<C extends DuneErrorCode = DuneErrorCode> extends Error {
  readonly code: C

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** True when `err` is a dune-p2p error. */
export function isDuneP2pError(err: unknown): err is DuneP2pError
/** True when `err` is a dune-p2p error with the given code (narrowed to it). */
export function isDuneP2pError<C extends DuneErrorCode>(err: unknown, code: C): err is DuneP2pError<C>
export function isDuneP2pError(err: unknown, code?: DuneErrorCode): boolean {
  return err instanceof DuneP2pError && (code === undefined || err.code === code)
}
