// The error raised by the crypto module when it is handed malformed input: a key, nonce or
// stamp of the wrong size, an impossible proof-of-work difficulty, or a degenerate key.
import { DuneP2pError } from '../errors/index.js'

/** Malformed input to a crypto function (code `DUNE_CRYPTO_INPUT`). */
export class CryptoInputError extends DuneP2pError<'DUNE_CRYPTO_INPUT'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DUNE_CRYPTO_INPUT', message, options)
  }
}

/** Throws a CryptoInputError unless `bytes` is a Uint8Array of exactly `length` bytes. */
export function assertLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    const got = bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes
    throw new CryptoInputError(`${what} must be ${length} bytes, got ${got}`)
  }
}
