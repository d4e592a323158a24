// Option parsing shared by the simulation commands (sim, soak): a commander parser for a
// number within bounds, with a message that names the option.
import { InvalidArgumentError } from 'commander'

/** A commander parser for a number within [min, max] (integers only when `integer`). */
export function numberIn(name: string, min: number, max: number, integer: boolean) {
  return (value: string): number => {
    const n = Number(value)
    if (!(Number.isFinite(n) && n >= min && n <= max && (!integer || Number.isInteger(n))))
      throw new InvalidArgumentError(
        `${name} must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}`,
      )
    return n
  }
}
