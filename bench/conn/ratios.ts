// Derived comparisons for the report: every dune figure divided by the same figure of a
// baseline driver (above 1: dune's rate, latency or memory is that many times the baseline's).
import type { DriverOutcome } from './suite.js'

/** The median of every `{ median, samples }` figure, keyed by its path (`bulk.receiverMBps`). */
function medians(value: unknown, path: string, out: Record<string, number>): Record<string, number> {
  if (typeof value !== 'object' || value === null) return out
  const median = (value as { median?: unknown }).median
  if (typeof median === 'number') {
    out[path] = median
    return out
  }
  for (const [key, inner] of Object.entries(value)) medians(inner, path === '' ? key : `${path}.${key}`, out)
  return out
}

function divide(
  numerators: Record<string, number>,
  denominators: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [path, value] of Object.entries(numerators)) {
    const base = denominators[path]
    if (base !== undefined && base !== 0) out[path] = Number((value / base).toFixed(3))
  }
  return out
}

const hasFigures = (outcome: DriverOutcome | undefined): boolean =>
  outcome !== undefined && !('skipped' in outcome) && !('error' in outcome)

/** `dune_vs_libp2p` and `dune_vs_raw` for the baselines that have figures, or undefined without dune figures. */
export function duneRatios(
  drivers: Record<string, DriverOutcome>,
): Record<string, Record<string, number>> | undefined {
  if (!hasFigures(drivers.dune)) return undefined
  const dune = medians(drivers.dune, '', {})
  const ratios: Record<string, Record<string, number>> = {}
  if (hasFigures(drivers.libp2p)) ratios.dune_vs_libp2p = divide(dune, medians(drivers.libp2p, '', {}))
  if (hasFigures(drivers['raw-tcp'])) ratios.dune_vs_raw = divide(dune, medians(drivers['raw-tcp'], '', {}))
  return ratios
}
