// Cancellation of the connect path (libp2p's AbortOptions, Octez's canceler): the typed abort
// error, and a scope whose signal follows a caller's signals and a timeout until disposed.
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
 * A signal that aborts when one of `parents` does, or after `timeout.ms` with `timeout.reason()`:
 * AbortSignal.any([...parents, AbortSignal.timeout(ms)]), but `dispose()` clears its timer and
 * its listeners on the parents (a long-lived parent, such as the pool's, keeps no reference).
 */
export class AbortScope {
  readonly #controller = new AbortController()
  readonly #release: Array<() => void> = []
  #timer: NodeJS.Timeout | undefined

  constructor(
    parents: readonly (AbortSignal | undefined)[],
    timeout?: { readonly ms: number; readonly reason: () => Error },
  ) {
    for (const parent of parents) {
      if (parent === undefined) continue
      this.#release.push(onAbort(parent, () => this.#abort(parent.reason)))
    }
    if (timeout !== undefined && !this.#controller.signal.aborted) {
      this.#timer = setTimeout(() => this.#abort(timeout.reason()), timeout.ms)
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** Ends the scope: no timer, no listener; the signal stays as it is. */
  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    for (const release of this.#release) release()
    this.#release.length = 0
  }

  #abort(reason: unknown): void {
    this.dispose()
    this.#controller.abort(reason)
  }
}
