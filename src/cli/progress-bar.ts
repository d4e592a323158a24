// A one-line progress bar on stderr for long computations such as the proof-of-work search:
// progress against an expected count, rate and time left; drawn only on a terminal.

/** The stream the bar draws on (process.stderr in the CLI). */
export interface ProgressStream {
  write(text: string): unknown
  isTTY?: boolean
  columns?: number
}

export interface ProgressBarOptions {
  /** Unit of the counted things, shown in the rate ("H" gives "1.2 MH/s"). */
  unit?: string
  /** Least time between two redraws (default 100 ms: at most ~10 redraws a second). */
  minIntervalMs?: number
  /** Clock in milliseconds (tests replace it). */
  now?: () => number
}

export interface ProgressState {
  done: number
  expected: number
  perSecond: number
}

const BAR_MAX_WIDTH = 30

/** Draws and redraws one line; does nothing at all when the stream is not a terminal. */
export class ProgressBar {
  readonly #stream: ProgressStream
  readonly #unit: string
  readonly #minIntervalMs: number
  readonly #now: () => number
  #lastDraw = Number.NEGATIVE_INFINITY
  #drawn = false

  constructor(
    stream: ProgressStream,
    { unit = '', minIntervalMs = 100, now = Date.now }: ProgressBarOptions = {},
  ) {
    this.#stream = stream
    this.#unit = unit
    this.#minIntervalMs = minIntervalMs
    this.#now = now
  }

  /** Redraws with `state`, unless the last redraw is more recent than the minimum interval. */
  update(state: ProgressState): void {
    if (!this.#stream.isTTY) return
    const now = this.#now()
    if (now - this.#lastDraw < this.#minIntervalMs) return
    this.#lastDraw = now
    const line = formatProgressLine(state, this.#unit, this.#stream.columns || 80)
    this.#stream.write(`\r${line}\x1b[K`)
    this.#drawn = true
  }

  /** Erases the bar, leaving the cursor at the start of the empty line. */
  clear(): void {
    if (!this.#drawn) return
    this.#stream.write('\r\x1b[K')
    this.#drawn = false
  }
}

/** The text of the bar: "[#####-----]  42%  1.2 MH/s  ETA 12s", cut to `columns`. */
export function formatProgressLine(
  { done, expected, perSecond }: ProgressState,
  unit: string,
  columns: number,
): string {
  const fraction = expected > 0 ? Math.min(done / expected, 1) : 0
  const percent = `${Math.floor((expected > 0 ? done / expected : 0) * 100)}%`.padStart(4)
  const eta =
    perSecond <= 0
      ? 'ETA ?'
      : done >= expected
        ? 'ETA any moment'
        : `ETA ${formatDuration((expected - done) / perSecond)}`
  const details = `${percent}  ${formatRate(perSecond, unit)}  ${eta}`
  const width = Math.max(0, Math.min(BAR_MAX_WIDTH, columns - details.length - 5))
  if (width < 5) return details.slice(0, Math.max(0, columns - 1))
  const filled = Math.round(fraction * width)
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${details}`
}

const PREFIXES = ['', 'k', 'M', 'G', 'T']

/** A rate with an SI prefix and one decimal: 1234567 and "H" give "1.2 MH/s". */
export function formatRate(perSecond: number, unit: string): string {
  let value = perSecond
  let prefix = 0
  while (value >= 1000 && prefix < PREFIXES.length - 1) {
    value /= 1000
    prefix++
  }
  return `${value.toFixed(1)} ${PREFIXES[prefix]}${unit}/s`
}

/** A duration in seconds as "45s", "3m 05s", "2h 07m" or "3d 04h". */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.ceil(seconds))
  if (total < 60) return `${total}s`
  const minutes = Math.floor(total / 60)
  if (minutes < 60) return `${minutes}m ${String(total % 60).padStart(2, '0')}s`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`
  return `${Math.floor(hours / 24)}d ${String(hours % 24).padStart(2, '0')}h`
}
