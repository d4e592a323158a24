// The inputs of `dune-codec session decode`: a capture of both directions of a connection (CSV
// rows `direction,hex`, one socket read each) and the identity, with its secret key, of one side.
import { PUBLIC_KEY_BYTES, publicKeyOf, SECRET_KEY_BYTES } from '../crypto/keys.js'
import { CodecInputError, parseHex } from './codec-input.js'

/** `Sent`: bytes the identity's side wrote; `Received`: bytes it read. */
export type CaptureDirection = 'Sent' | 'Received'
export const CAPTURE_DIRECTIONS: readonly CaptureDirection[] = ['Sent', 'Received']

/** One row of a capture: the bytes one socket read (or write) returned. */
export interface CaptureRecord {
  readonly direction: CaptureDirection
  readonly bytes: Buffer
  /** 1-based number of the row among the data rows (the header is not counted). */
  readonly record: number
}

const HEADER = /^direction\s*,/i

/**
 * The records of a capture: an optional header row (`direction,message`), then one row per
 * socket read, `Sent,HEX` or `Received,HEX` (optional 0x; blank lines are skipped). `what`
 * names the file in errors, which give its line number.
 */
export function parseCapture(text: string, what: string): CaptureRecord[] {
  const records: CaptureRecord[] = []
  const lines = text.split(/\r?\n/)
  let first = true
  lines.forEach((line, i) => {
    if (line.trim() === '') return
    const where = `${what} line ${i + 1}`
    if (first && HEADER.test(line)) {
      first = false
      return
    }
    first = false
    const fields = line.split(',')
    if (fields.length !== 2) {
      throw new CodecInputError(
        `${where}: expected "direction,hex" (2 fields), got ${fields.length}; one row per socket read, such as Sent,0086...`,
      )
    }
    const [directionField = '', hex = ''] = fields
    const direction = directionField.trim()
    if (direction !== 'Sent' && direction !== 'Received') {
      throw new CodecInputError(
        `${where}: unknown direction ${JSON.stringify(direction)}; expected Sent (written by the identity's side) or Received (read by it)`,
      )
    }
    records.push({ direction, bytes: parseHex(hex, where), record: records.length + 1 })
  })
  if (records.length === 0)
    throw new CodecInputError(`${what}: no records; expected rows such as Sent,0086...`)
  return records
}

/** The keys of the side whose identity is given: the one that sent the `Sent` records. */
export interface SessionIdentity {
  readonly secretKey: Buffer
  readonly publicKey: Buffer
}

const HEX = /^[0-9a-fA-F]*$/

/**
 * The keys in an identity file (Octez's identity.json: `secret_key`, `public_key` in hex). The
 * secret key is required; a public key, when present, must be the secret key's.
 */
export function parseSessionIdentity(text: string, path: string): SessionIdentity {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new CodecInputError(
      `${path} is not valid JSON (${(err as Error).message}); give an identity.json`,
      {
        cause: err,
      },
    )
  }
  const fields = typeof json === 'object' && json !== null && !Array.isArray(json) ? json : {}
  const secret = (fields as Record<string, unknown>).secret_key
  if (secret === undefined) {
    throw new CodecInputError(
      `${path} has no "secret_key": decoding a session takes the identity, secret key included, of the side that sent the Sent records (its identity.json)`,
    )
  }
  const secretKey = hexField(secret, 'secret_key', SECRET_KEY_BYTES, path)
  const publicKey = publicKeyOf(secretKey)
  const declared = (fields as Record<string, unknown>).public_key
  if (declared !== undefined && !hexField(declared, 'public_key', PUBLIC_KEY_BYTES, path).equals(publicKey)) {
    throw new CodecInputError(
      `${path}: "public_key" is not the public key of "secret_key" (which gives ${publicKey.toString('hex')})`,
    )
  }
  return { secretKey, publicKey }
}

function hexField(value: unknown, field: string, bytes: number, path: string): Buffer {
  if (typeof value !== 'string' || value.length !== 2 * bytes || !HEX.test(value)) {
    throw new CodecInputError(`${path}: "${field}" must be ${bytes} bytes in hex (${2 * bytes} hex digits)`)
  }
  return Buffer.from(value, 'hex')
}
