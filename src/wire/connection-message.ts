// The connection message each side sends in clear to open the handshake: listening port,
// public key, proof-of-work stamp, nonce seed, chain name and versions, behind a u16 length.
import { dynamicSize, fixedBytes, obj, string, uint16 } from './combinators.js'
import { decode, type Encoding, encode } from './encoding.js'

/**
 * Longest chain name accepted, in bytes. Octez only bounds it by the u16 message length; real
 * names are 30-50 bytes, so 128 keeps what a peer can make us hold before checking it small.
 */
export const MAX_CHAIN_NAME_LENGTH = 128

export interface ConnectionMessage {
  /** Listening port, 0 when the sender does not accept connections. */
  readonly port: number
  /** X25519 public key, 32 bytes. */
  readonly publicKey: Buffer
  /** Proof-of-work stamp, 24 bytes. */
  readonly proofOfWorkStamp: Buffer
  /** Random 24 bytes that seed the channel nonces. */
  readonly messageNonce: Buffer
  readonly chainName: string
  readonly distributedDbVersion: number
  readonly p2pVersion: number
}

const body = obj('connection_message', {
  port: uint16,
  publicKey: fixedBytes(32),
  proofOfWorkStamp: fixedBytes(24),
  messageNonce: fixedBytes(24),
  chainName: string({ max: MAX_CHAIN_NAME_LENGTH }),
  distributedDbVersion: uint16,
  p2pVersion: uint16,
})

/**
 * The connection message with its u16 length prefix, as sent on the wire. Decoded byte fields
 * (publicKey, proofOfWorkStamp, messageNonce) alias the input buffer.
 */
export const connectionMessageEncoding: Encoding<ConnectionMessage> = dynamicSize(body, { lengthBytes: 2 })

/** The raw bytes to send, length prefix included (the handshake hashes exactly these). */
export function encodeConnectionMessage(msg: ConnectionMessage): Buffer {
  return encode(connectionMessageEncoding, msg)
}

/**
 * Decodes a received connection message from its raw bytes, length prefix included; the
 * result's byte fields are views of `raw`, which the handshake keeps anyway.
 */
export function decodeConnectionMessage(raw: Buffer): ConnectionMessage {
  return decode(connectionMessageEncoding, raw)
}
