// Cancellation of the connect path (libp2p's AbortOptions, Octez's canceler): the typed abort
// error, and a scope whose signal follows several callers' signals until disposed.
import { DuneP2pError } from '../errors/index.js'

/** The last argument of each cancellable step (dial, handshake, connect), as libp2p's AbortOptions. */
export interface AbortOptions {
  readonly signal?: AbortSignal | undefined
}

/** An operation was cancelled through its AbortSignal (code `DUNE_ABORTED`); `cause` is the signal's reason. */
export class AbortedError extends DuneP2pError {
  constructor(operation: string, reason?: unknown) {
    const why = reason instanceof Error ? `: ${reason.message}` : ''
    super('DUNE_ABORTED', `${operation} aborted${why}`, { cause: reason })
  }
}

const noop = (): void => {}

/**
 * Calls `listener` once when `signal` aborts, at once when it is aborted already; returns the
 * function that stops listening (call it when the step ends, so the signal keeps no reference).
 */
export function onAbort(signal: AbortSignal | undefined, listener: () => void): () => void {
  if (signal === undefined) return noop
  if (signal.aborted) {
    listener()
    return noop
  }
  signal.addEventListener('abort', listener, { once: true })
  return () => signal.removeEventListener('abort', listener)
}

/**
 * A signal that aborts when one of `parents` does: AbortSignal.any(parents), but `dispose()`
 * removes its listeners on the parents (a long-lived parent, such as the pool's, keeps no reference).
 */
export class AbortScope {
  readonly #controller = new AbortController()
  readonly #release: Array<() => void> = []

  constructor(parents: readonly (AbortSignal | undefined)[]) {
    for (const parent of parents) {
      if (parent === undefined) continue
      this.#release.push(onAbort(parent, () => this.#abort(parent.reason)))
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** Ends the scope: no listener left on the parents; the signal stays as it is. */
  dispose(): void {
    for (const release of this.#release) release()
    this.#release.length = 0
  }

  #abort(reason: unknown): void {
    this.dispose()
    this.#controller.abort(reason)
  }
}
