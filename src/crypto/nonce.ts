// The 24-byte nonces of a connection: both derived from the two raw connection messages,
// and advanced by one (big-endian) for every chunk sent or received.
import sodium from 'sodium-native'
import { assertLength } from './errors.js'

export const NONCE_BYTES = 24
const INIT_TO_RESP = Buffer.from('Init -> Resp', 'latin1')
const RESP_TO_INIT = Buffer.from('Resp -> Init', 'latin1')

export interface ConnectionNonces {
  /** Nonce of the next chunk we send. */
  local: Buffer
  /** Nonce of the next chunk we receive. */
  remote: Buffer
}

/**
 * The nonces of a connection from the raw connection messages (length prefixes included) we
 * sent and received; `incoming` is true on the side that accepted the connection.
 */
export function deriveNonces(sentRaw: Uint8Array, recvRaw: Uint8Array, incoming: boolean): ConnectionNonces {
  const [init, resp] = incoming ? [recvRaw, sentRaw] : [sentRaw, recvRaw]
  const initToResp = nonceFrom(init, resp, INIT_TO_RESP)
  const respToInit = nonceFrom(init, resp, RESP_TO_INIT)
  return incoming ? { local: initToResp, remote: respToInit } : { local: respToInit, remote: initToResp }
}

function nonceFrom(init: Uint8Array, resp: Uint8Array, direction: Buffer): Buffer {
  const hash = Buffer.alloc(32)
  sodium.crypto_generichash(hash, Buffer.concat([init, resp, direction]))
  return hash.subarray(0, NONCE_BYTES)
}

/** Adds one to a 24-byte big-endian nonce, in place (wrapping to zero after all ones). */
export function incrementNonce(nonce: Uint8Array): void {
  assertLength(nonce, NONCE_BYTES, 'nonce')
  for (let i = NONCE_BYTES - 1; i >= 0; i--) {
    // The length was asserted: `?? 0` never applies, it only gives the byte a number type.
    const next = ((nonce[i] ?? 0) + 1) & 0xff
    nonce[i] = next
    if (next !== 0) return
  }
}
