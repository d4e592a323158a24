// Human output of dune-admin-client: aligned-column tables, key/value blocks, flows in kB/s,
// byte totals, and times as ages ("3m 20s ago", "in 5s") relative to a given now.

/** One column of a table: its header, and right alignment for numbers. */
export interface Column {
  header: string
  align?: 'left' | 'right'
}

/** An aligned table: a header line, then one line per row; columns two spaces apart, no trailing spaces. */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? ''
        const width = widths[i] ?? 0
        return c.align === 'right' ? cell.padStart(width) : cell.padEnd(width)
      })
      .join('  ')
      .trimEnd()
  return `${[line(columns.map((c) => c.header)), ...rows.map(line)].join('\n')}\n`
}

/** `label: value` lines with the values aligned. */
export function formatFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...fields.map(([label]) => label.length + 1))
  return fields.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${value}\n`).join('')
}

/** A score: integers as they are, others with two decimals. */
export function formatScore(score: number): string {
  return Number.isInteger(score) ? String(score) : score.toFixed(2)
}

/** A flow in bytes per second as kB/s with one decimal (1 kB = 1000 bytes). */
export function formatRate(bytesPerSecond: number): string {
  return `${(bytesPerSecond / 1000).toFixed(1)} kB/s`
}

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const

/** A byte count in the largest unit that keeps it at least 1 (powers of 1000). */
export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${BYTE_UNITS[unit]}`
}

/** A duration as its two largest units: 45s, 3m 20s, 2h 5m, 4d 1h. */
export function formatDuration(ms: number): string {
  const seconds = Math.floor(Math.abs(ms) / 1000)
  const parts: [number, string][] = [
    [Math.floor(seconds / 86_400), 'd'],
    [Math.floor(seconds / 3600) % 24, 'h'],
    [Math.floor(seconds / 60) % 60, 'm'],
    [seconds % 60, 's'],
  ]
  const first = parts.findIndex(([n]) => n > 0)
  if (first === -1) return '0s'
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(' ')
}

/**
 * A time (ms since the epoch) relative to `now`: "3m 20s ago", "in 5s", "now"; null, and 0 or
 * less (the epoch: "not yet"), are `never`.
 */
export function formatAge(time: number | null, now: number, never = 'never'): string {
  if (time === null || time <= 0) return never
  const delta = now - time
  if (Math.abs(delta) < 1000) return 'now'
  return delta > 0 ? `${formatDuration(delta)} ago` : `in ${formatDuration(delta)}`
}

/**
 * When something is due (a point's next attempt): "in 5s", "now" once the time has passed
 * (a past-due attempt waits for the next maintenance step, not for a time in the past), and `-`
 * for null or 0 or less (never tried: no time of its own).
 */
export function formatDue(time: number | null, now: number): string {
  if (time === null || time <= 0) return '-'
  return time - now < 1000 ? 'now' : `in ${formatDuration(time - now)}`
}

/** The set flags among trusted, banned and greylisted, comma-separated, or `-`. */
export function formatFlags(flags: { trusted?: boolean; banned?: boolean; greylisted?: boolean }): string {
  const set = (['trusted', 'banned', 'greylisted'] as const).filter((f) => flags[f])
  return set.length === 0 ? '-' : set.join(',')
}

/** A wall-clock time of day (local), for the event log. */
export function formatClock(time: number): string {
  const d = new Date(time)
  const two = (n: number): string => String(n).padStart(2, '0')
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
}
