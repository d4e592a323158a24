// What dune-codec reads from the operator: hex byte strings as they get pasted (optional 0x,
// spaces and newlines) and JSON text, with errors that say what is wrong and where.
import { DuneP2pError } from '../errors/index.js'

/** Operator input dune-codec cannot use: bad hex, bad JSON, a value out of bounds (code `DUNE_CODEC_INPUT`). */
export class CodecInputError extends DuneP2pError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DUNE_CODEC_INPUT', message, options)
  }
}

const WHITESPACE = /\s+/g
const NON_HEX = /[^0-9a-fA-F]/

/**
 * The bytes of a hex string: an optional `0x` prefix, then pairs of hex digits, any whitespace
 * ignored. `what` names the input in errors (e.g. `--secret-key`).
 */
export function parseHex(text: string, what = 'hex input'): Buffer {
  let digits = text.replace(WHITESPACE, '')
  if (digits.startsWith('0x') || digits.startsWith('0X')) digits = digits.slice(2)
  const bad = NON_HEX.exec(digits)
  if (bad !== null) {
    throw new CodecInputError(
      `${what}: ${JSON.stringify(bad[0])} at digit ${bad.index} is not a hex digit (expected 0-9, a-f)`,
    )
  }
  if (digits.length % 2 !== 0) {
    throw new CodecInputError(
      `${what}: odd number of hex digits (${digits.length}); every byte takes two digits`,
    )
  }
  return Buffer.from(digits, 'hex')
}

/** Like parseHex, and the result must be exactly `size` bytes. */
export function parseHexOfSize(text: string, size: number, what: string): Buffer {
  const bytes = parseHex(text, what)
  if (bytes.length !== size) {
    throw new CodecInputError(`${what}: expected ${size} bytes (${2 * size} hex digits), got ${bytes.length}`)
  }
  return bytes
}

/** Parses JSON text; `hint` (e.g. an example) is added to the error. */
export function parseJson(text: string, hint: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new CodecInputError(`invalid JSON (${(err as Error).message}); ${hint}`, { cause: err })
  }
}
