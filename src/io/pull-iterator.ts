// An async iterator over a source with a synchronous fast path (`tryTake`): a ready item costs one
// settled promise and no generator machinery; it ends when `take` resolves `undefined` or rejects with an end error.

/**
 * Iterates `tryTake() ?? await take()` until `take` resolves `undefined` or rejects with an error
 * for which `isEnd` is true (the iterator is then done); any other rejection is thrown to the loop. `return()` (a
 * `break` out of `for await`) ends it. Use for per-message loops, where an async generator's
 * `yield await` costs several promises and microtask hops per item.
 */
export function pullIterator<T>(
  tryTake: () => T | undefined,
  take: () => Promise<T | undefined>,
  isEnd: (err: unknown) => boolean = () => false,
): AsyncIterableIterator<T> {
  let done = false
  const end: IteratorReturnResult<undefined> = { value: undefined, done: true }
  const finish = (): IteratorReturnResult<undefined> => {
    done = true
    return end
  }
  const iterator: AsyncIterableIterator<T> = {
    next(): Promise<IteratorResult<T, undefined>> {
      if (done) return Promise.resolve(end)
      const ready = tryTake()
      if (ready !== undefined) return Promise.resolve({ value: ready, done: false })
      return take().then(
        (value): IteratorResult<T, undefined> => (value === undefined ? finish() : { value, done: false }),
        (err: unknown) => {
          if (isEnd(err)) return finish()
          done = true
          throw err
        },
      )
    },
    return(): Promise<IteratorResult<T, undefined>> {
      return Promise.resolve(finish())
    },
    [Symbol.asyncIterator]() {
      return iterator
    },
  }
  return iterator
}
