// Narrowing for values a test knows are there (an array element, a find()): a failing assertion
// naming what is missing, in place of a `!` that would let the test crash further on.
import assert from 'node:assert/strict'

/** `value`, failing the test when it is undefined. */
export function defined<T>(value: T | undefined, what = 'the value'): T {
  assert.ok(value !== undefined, `${what} is missing`)
  return value
}

/** The single element of `list`, failing the test when there are none or several. */
export function only<T>(list: readonly T[], what = 'the list'): T {
  assert.equal(list.length, 1, `${what} should hold exactly one element`)
  return list[0] as T
}

/** `N` places of `T` as a tuple type when `N` is a literal (`Tuple<string, 2>` is `[string, string]`). */
export type Tuple<T, N extends number, Acc extends T[] = []> = number extends N
  ? T[]
  : Acc['length'] extends N
    ? Acc
    : Tuple<T, N, [...Acc, T]>

/** The first `n` elements of `list` as a tuple, failing the test when it holds fewer. */
export function firstOf<T, N extends number>(list: readonly T[], n: N, what = 'the list'): Tuple<T, N> {
  assert.ok(list.length >= n, `${what} should hold at least ${n} elements, not ${list.length}`)
  return list.slice(0, n) as Tuple<T, N> // checked just above
}
