// Octez's hashes and chain ids on the wire (fixed-size bytes) and as Octez prints them
// (base58check with a type prefix and a double-SHA-256 checksum: "B…", "Net…", "o…", "LLo…").
import { createBase58check } from '@scure/base'
import { sha256 } from '../crypto/sha256.js'
import { fixedBytes } from '../wire/combinators.js'
import type { Encoding } from '../wire/encoding.js'
import { EncodeError } from '../wire/errors.js'

const base58check = createBase58check(sha256)

/** One kind of Octez hash: its name, size in bytes and base58 prefix (src/lib_crypto/base58.ml). */
export interface HashKind {
  readonly name: string
  readonly size: number
  readonly prefix: Uint8Array
  /** What its printed form starts with, for messages. */
  readonly printedPrefix: string
}

function kind(name: string, size: number, prefix: number[], printedPrefix: string): HashKind {
  return { name, size, prefix: Uint8Array.from(prefix), printedPrefix }
}

/** Chain id, 4 bytes, "Net…" (15 characters). */
export const CHAIN_ID = kind('chain_id', 4, [87, 82, 0], 'Net')
/** Block hash, 32 bytes, "B…" (51 characters). */
export const BLOCK_HASH = kind('block_hash', 32, [1, 52], 'B')
/** Operation hash, 32 bytes, "o…" (51 characters). */
export const OPERATION_HASH = kind('operation_hash', 32, [5, 116], 'o')
/** Hash of a block's list of operation lists (and the Merkle path's nodes), 32 bytes, "LLo…". */
export const OPERATION_LIST_LIST_HASH = kind('operation_list_list_hash', 32, [29, 159, 109], 'LLo')
/** Protocol hash, 32 bytes, "P…" (51 characters). */
export const PROTOCOL_HASH = kind('protocol_hash', 32, [2, 170], 'P')
/** Context hash, 32 bytes, "Co…" (52 characters). */
export const CONTEXT_HASH = kind('context_hash', 32, [79, 199], 'Co')

/** The printed (base58check) form of a hash of kind `k`. */
export function hashToB58(k: HashKind, bytes: Uint8Array): string {
  if (bytes.length !== k.size) throw new EncodeError('invalid_value', `a ${k.name} has ${k.size} bytes`)
  const raw = new Uint8Array(k.prefix.length + k.size)
  raw.set(k.prefix, 0)
  raw.set(bytes, k.prefix.length)
  return base58check.encode(raw)
}

/** The bytes of a printed hash of kind `k`; EncodeError 'invalid_value' naming what is wrong. */
export function hashFromB58(k: HashKind, text: string): Buffer {
  if (typeof text !== 'string') {
    throw new EncodeError('invalid_value', `a ${k.name} is a base58 string ("${k.printedPrefix}…")`)
  }
  let raw: Uint8Array
  try {
    raw = base58check.decode(text)
  } catch (err) {
    throw new EncodeError('invalid_value', `"${text}" is not base58check: ${(err as Error).message}`)
  }
  const p = k.prefix
  if (raw.length !== p.length + k.size || !p.every((b, i) => raw[i] === b)) {
    throw new EncodeError(
      'invalid_value',
      `"${text}" is not a ${k.name} (one starts with "${k.printedPrefix}")`,
    )
  }
  return Buffer.from(raw.subarray(p.length))
}

/** A hash of kind `k`: `k.size` bytes on the wire, its base58check string in values. */
export function hashEncoding(k: HashKind): Encoding<string> {
  const raw = fixedBytes(k.size)
  return {
    name: k.name,
    kind: 'fixed',
    maxSize: k.size,
    sizeOf: () => k.size,
    write: (v, buf, offset) => raw.write(hashFromB58(k, v), buf, offset),
    read: (r) => hashToB58(k, r.bytes(k.size)),
  }
}

export const chainIdEncoding = hashEncoding(CHAIN_ID)
export const blockHashEncoding = hashEncoding(BLOCK_HASH)
export const operationHashEncoding = hashEncoding(OPERATION_HASH)
export const operationListListHashEncoding = hashEncoding(OPERATION_LIST_LIST_HASH)
export const protocolHashEncoding = hashEncoding(PROTOCOL_HASH)
export const contextHashEncoding = hashEncoding(CONTEXT_HASH)
