// Waiting in tests for something that happens on its own time (a connection, a log line, an RPC
// answer): poll a predicate until it holds, and fail naming what never came after a guard limit.

export interface WaitOptions {
  /** How long to poll before failing (a guard against a hung test, not a timing claim; default 5000). */
  readonly timeoutMs?: number
  /** The pause between two polls (default 10). */
  readonly intervalMs?: number
  /** What is awaited, for the timeout's error message (a function: evaluated at the timeout). */
  readonly message?: string | (() => string)
}

/**
 * Resolves once `predicate` returns true (it is called at once, then every `intervalMs`; an async
 * predicate is awaited before the next pause); rejects after `timeoutMs` without it holding.
 */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  options: WaitOptions = {},
): Promise<void> {
  const { timeoutMs = 5000, intervalMs = 10, message } = options
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const result = predicate()
    // A synchronous predicate is not awaited: each poll of it costs no extra microtask.
    if (typeof result === 'boolean' ? result : await result) return
    if (performance.now() > deadline) {
      const what = typeof message === 'function' ? message() : (message ?? 'a condition')
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** How a promise stands: still pending, resolved with its value, or rejected with its error. */
export type Settlement<T> =
  | { readonly kind: 'pending' }
  | { readonly kind: 'resolved'; readonly value: T }
  | { readonly kind: 'rejected'; readonly error: unknown }

/**
 * Watches `promise` (its rejection counts as handled) and returns a function that tells how it
 * stands now, for a test that checks it is still pending before something (a fake clock's
 * advance) ends it. Each call reads anew, so an assertion on one call does not narrow the next.
 */
export function settlementOf<T>(promise: Promise<T>): () => Settlement<T> {
  let now: Settlement<T> = { kind: 'pending' }
  promise.then(
    (value) => {
      now = { kind: 'resolved', value }
    },
    (error: unknown) => {
      now = { kind: 'rejected', error }
    },
  )
  return () => now
}
