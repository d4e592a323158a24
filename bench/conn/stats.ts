// Small statistics for benchmark samples: median, nearest-rank percentiles, and the
// `{ median, samples }` summary every reported figure takes.

export interface Summary {
  median: number
  samples: number[]
}

/** The median of `values` (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  // middle and middle - 1 are in range: the array is not empty.
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** The nearest-rank `p`-th percentile (0 < p <= 100) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  // The index is in 0 .. length - 1: the array is not empty.
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!
}

/** Median and samples, rounded to `digits` decimals. */
export function summarize(samples: readonly number[], digits: number): Summary {
  const round = (x: number): number => Number(x.toFixed(digits))
  return { median: round(median(samples)), samples: samples.map(round) }
}
