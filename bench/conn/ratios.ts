// Derived comparisons for the report: every dune figure divided by the same figure of a
// baseline driver (above 1: dune's rate, latency or memory is that many times the baseline's).
import type { DriverOutcome } from './suite.js'

/**
 * The median of every `{ median, samples }` figure, keyed by its path (`bulk.receiverMBps`), and
 * every `fastest...` number (`pingPong.fastestRunMedianUs`).
 */
function medians(value: unknown, path: string, out: Record<string, number>): Record<string, number> {
  if (typeof value === 'number' && /(^|\.)fastest[^.]*$/.test(path)) out[path] = value
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

/** The ratio sets, each a dune figure over the same figure of this baseline driver. */
const BASELINES = { dune_vs_libp2p: 'libp2p', dune_vs_raw: 'raw-tcp', dune_vs_sealed: 'sealed-tcp' } as const

/** One ratio set per baseline that has figures (see BASELINES), or undefined without dune figures. */
export function duneRatios(
  drivers: Record<string, DriverOutcome>,
): Record<string, Record<string, number>> | undefined {
  if (!hasFigures(drivers.dune)) return undefined
  const dune = medians(drivers.dune, '', {})
  const ratios: Record<string, Record<string, number>> = {}
  for (const [name, baseline] of Object.entries(BASELINES)) {
    if (hasFigures(drivers[baseline])) ratios[name] = divide(dune, medians(drivers[baseline], '', {}))
  }
  return ratios
}

/**
 * Per driver with a many-peers figure: CPU per message and latency at each N over the same at
 * N = 1 (`cpuPerMessage_1000_vs_1`); above 1, N connections cost that many times one.
 */
export function manyScaling(drivers: Record<string, DriverOutcome>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {}
  for (const [name, outcome] of Object.entries(drivers)) {
    if (outcome === undefined || !hasFigures(outcome)) continue
    const many = (
      outcome as {
        many?: Record<string, { cpuPerMessageUs: { median: number }; latencyP99Us: { median: number } }>
      }
    ).many
    const one = many?.['1']
    if (many === undefined || one === undefined) continue
    const ratios: Record<string, number> = {}
    for (const [n, figure] of Object.entries(many)) {
      if (n === '1') continue
      ratios[`cpuPerMessage_${n}_vs_1`] = Number(
        (figure.cpuPerMessageUs.median / one.cpuPerMessageUs.median).toFixed(3),
      )
      ratios[`latencyP99_${n}_vs_1`] = Number(
        (figure.latencyP99Us.median / one.latencyP99Us.median).toFixed(3),
      )
    }
    out[name] = ratios
  }
  return out
}
