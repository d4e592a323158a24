// The connection-count bounds of the pool and its maintenance (SPEC 5), derived from the
// min/expected/max connections and checked: the levels that trigger dialing and dropping.
import { DuneP2pError } from '../errors/index.js'

/** A maintenance setting is out of range (code `DUNE_MAINTENANCE_CONFIG`); `field` names it. */
export class MaintenanceConfigError extends DuneP2pError {
  readonly field: string

  constructor(field: string, message: string) {
    super('DUNE_MAINTENANCE_CONFIG', `maintenance config ${field}: ${message}`)
    this.field = field
  }
}

/**
 * The four levels the maintenance works with (SPEC 5), always
 * `min <= minThreshold <= minTarget <= maxTarget <= maxThreshold <= max`:
 * below `minThreshold` a step dials until `minTarget`; above `maxThreshold` it drops
 * connections until `maxTarget` remain.
 */
export interface MaintenanceBounds {
  readonly minThreshold: number
  readonly minTarget: number
  readonly maxTarget: number
  readonly maxThreshold: number
}

/** Throws MaintenanceConfigError unless `value` is an integer in [min, max]. */
export function checkInteger(field: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`
    throw new MaintenanceConfigError(field, `must be an integer ${range}, got ${value}`)
  }
}

/**
 * The bounds from the pool's min/expected/max connections: `stepMin = (expected - min) / 3`,
 * `stepMax = (max - expected) / 3` (integer division); minThreshold = min + stepMin,
 * minTarget = min + 2·stepMin, maxTarget = max − 2·stepMax, maxThreshold = max − stepMax.
 * 10/50/100 give 23/36/68/84. Throws MaintenanceConfigError unless all three are integers >= 0
 * with min <= expected <= max.
 */
export function maintenanceBounds(min: number, expected: number, max: number): MaintenanceBounds {
  checkInteger('minConnections', min, 0)
  checkInteger('expectedConnections', expected, 0)
  checkInteger('maxConnections', max, 0)
  if (min > expected) {
    throw new MaintenanceConfigError(
      'minConnections',
      `minConnections (${min}) must not exceed expectedConnections (${expected}): lower minConnections or raise expectedConnections`,
    )
  }
  if (expected > max) {
    throw new MaintenanceConfigError(
      'maxConnections',
      `expectedConnections (${expected}) must not exceed maxConnections (${max}): raise maxConnections or lower expectedConnections`,
    )
  }
  const stepMin = Math.floor((expected - min) / 3)
  const stepMax = Math.floor((max - expected) / 3)
  return {
    minThreshold: min + stepMin,
    minTarget: min + 2 * stepMin,
    maxTarget: max - 2 * stepMax,
    maxThreshold: max - stepMax,
  }
}
