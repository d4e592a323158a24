// The soak's verdict: medians of consecutive windows after the warm-up compared with the first,
// and the least-squares slope per hour, for RSS, handles and open files (judged) and the rest (shown).
import type { ProcessSample } from './soak-probe.js'

/** How one measure behaved after the warm-up. */
export interface SeriesVerdict {
  /** Median of the first window after the warm-up. */
  readonly baseline: number
  /** Median of the last window. */
  readonly end: number
  /** Smallest and largest window median after the warm-up. */
  readonly minWindow: number
  readonly maxWindow: number
  /** Largest |window median − baseline| / baseline (the last, partial window included). */
  readonly maxDeviation: number
  /** The same over single samples (GC sawtooth, a node half way through its churn). */
  readonly maxSampleDeviation: number
  /** Least-squares slope over the samples after the warm-up, per hour, and as a fraction of the baseline. */
  readonly slopePerHour: number
  readonly slopeFractionPerHour: number
  /** maxDeviation <= tolerance. */
  readonly flat: boolean
}

export interface SoakVerdict {
  readonly tolerance: number
  readonly windowMs: number
  /** Samples judged: those taken at or after the warm-up. */
  readonly samples: number
  readonly rss: SeriesVerdict
  readonly handles: SeriesVerdict
  readonly fds: SeriesVerdict | null
  /** Shown, not judged (without gcBeforeSample it is a sawtooth between collections). */
  readonly heapUsed: SeriesVerdict
  /** Shown, not judged: node's external memory (ArrayBuffers included). */
  readonly external: SeriesVerdict
  /** Shown, not judged: the anonymous memory neither V8 nor node accounts for (ProcessSample.untracked). */
  readonly untracked: SeriesVerdict
  /** RSS, handles and open files all flat. */
  readonly flat: boolean
}

/** The median of a non-empty list. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Least-squares slope of y over x (0 for fewer than two distinct x). */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length
  const mx = points.reduce((s, p) => s + p[0], 0) / n
  const my = points.reduce((s, p) => s + p[1], 0) / n
  let sxy = 0
  let sxx = 0
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my)
    sxx += (x - mx) ** 2
  }
  return sxx === 0 ? 0 : sxy / sxx
}

/**
 * Judges one measure over `points` [t ms, value] taken after the warm-up (which ended at
 * `from`): medians of consecutive windows of `windowMs` from `from`, compared with the first.
 */
export function judgeSeries(
  points: ReadonlyArray<readonly [number, number]>,
  from: number,
  windowMs: number,
  tolerance: number,
): SeriesVerdict {
  const windows = new Map<number, number[]>()
  for (const [t, v] of points) {
    const k = Math.floor((t - from) / windowMs)
    const values = windows.get(k)
    if (values) values.push(v)
    else windows.set(k, [v])
  }
  const medians = [...windows.entries()].sort((a, b) => a[0] - b[0]).map(([, vs]) => median(vs))
  const baseline = medians[0]!
  const last = points[points.length - 1]![0]
  const end = median(points.filter(([t]) => t > last - windowMs).map(([, v]) => v))
  const deviation = (v: number) =>
    baseline === 0 ? (v === 0 ? 0 : Infinity) : Math.abs(v - baseline) / baseline
  const maxDeviation = Math.max(...medians.map(deviation), deviation(end))
  const perHour = slope(points.map(([t, v]) => [t / 3_600_000, v] as const))
  return {
    baseline,
    end,
    minWindow: Math.min(...medians),
    maxWindow: Math.max(...medians),
    maxDeviation,
    maxSampleDeviation: Math.max(...points.map(([, v]) => deviation(v))),
    slopePerHour: perHour,
    slopeFractionPerHour: baseline === 0 ? 0 : perHour / baseline,
    flat: maxDeviation <= tolerance,
  }
}

/** The verdict over the samples taken at or after `warmupMs`; null when there are none. */
export function soakVerdict(
  samples: ReadonlyArray<ProcessSample & { readonly t: number }>,
  warmupMs: number,
  windowMs: number,
  tolerance: number,
): SoakVerdict | null {
  const judged = samples.filter((s) => s.t >= warmupMs)
  if (judged.length === 0) return null
  const judge = (value: (s: ProcessSample) => number) =>
    judgeSeries(
      judged.map((s) => [s.t, value(s)] as const),
      warmupMs,
      windowMs,
      tolerance,
    )
  const rss = judge((s) => s.rss)
  const handles = judge((s) => s.handles)
  const fds = judged.every((s) => s.fds !== null) ? judge((s) => s.fds!) : null
  return {
    tolerance,
    windowMs,
    samples: judged.length,
    rss,
    handles,
    fds,
    heapUsed: judge((s) => s.heapUsed),
    external: judge((s) => s.external),
    untracked: judge((s) => s.untracked),
    flat: rss.flat && handles.flat && (fds?.flat ?? true),
  }
}
