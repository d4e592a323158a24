// The error of a public API call made with an argument it cannot use: a bad option, an encoding
// that cannot be combined that way, a call out of order. A bug in the caller, not in the peer.
import { DuneP2pError } from './dune-error.js'

/** A public API call got an argument it cannot use (code `DUNE_INVALID_ARGUMENT`). */
export class InvalidArgumentError extends DuneP2pError<'DUNE_INVALID_ARGUMENT'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DUNE_INVALID_ARGUMENT', message, options)
  }
}
