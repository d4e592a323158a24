// Typed failures of the handshake and of live connections: each names the check that failed
// and the peer or point involved, so the pool can decide whom to greylist.
import type { MacError } from '../crypto/index.js'
import { type DuneErrorCode, DuneP2pError } from '../errors/index.js'
import type { DecodeError } from '../wire/index.js'

/** Which handshake step failed: the pool greylists on some causes and not others (SPEC 5). */
export type HandshakeFailureCause =
  | 'timeout'
  | 'closed'
  | 'self_connection'
  | 'proof_of_work'
  | 'decoding'
  | 'decryption'
  | 'rejected'
  | 'socket'

/** The codes of the handshake failures (members of DuneErrorCode). */
export type HandshakeErrorCode = Extract<
  DuneErrorCode,
  | 'DUNE_HANDSHAKE_TIMEOUT'
  | 'DUNE_HANDSHAKE_CLOSED'
  | 'DUNE_SELF_CONNECTION'
  | 'DUNE_POW_TOO_LOW'
  | 'DUNE_HANDSHAKE_DECODING'
  | 'DUNE_HANDSHAKE_DECRYPTION'
  | 'DUNE_REJECTED_BY_PEER'
>

/** Base class of every handshake failure. `point` is `host:port` of the remote end. */
export class HandshakeError<C extends HandshakeErrorCode = HandshakeErrorCode> extends DuneP2pError<C> {
  /** Which check failed; the pool greylists by it. */
  readonly failure: HandshakeFailureCause
  readonly point: string
  /** Base58 peer id once the remote connection message was read, otherwise undefined. */
  readonly peerId: string | undefined

  constructor(
    code: C,
    cause: HandshakeFailureCause,
    message: string,
    where: { point: string; peerId?: string | undefined },
    options?: { cause?: unknown },
  ) {
    super(code, `${message} (point ${where.point}${where.peerId ? `, peer ${where.peerId}` : ''})`, options)
    this.failure = cause
    this.point = where.point
    this.peerId = where.peerId
  }
}

/** authentication_timeout elapsed before the handshake finished. Not greylisted (SPEC 5). */
export class HandshakeTimeoutError extends HandshakeError<'DUNE_HANDSHAKE_TIMEOUT'> {
  /** `step`: the part of the handshake that was late (default the whole handshake). */
  constructor(where: { point: string; peerId?: string | undefined }, timeoutMs: number, step?: string) {
    super(
      'DUNE_HANDSHAKE_TIMEOUT',
      'timeout',
      step === undefined
        ? `handshake not finished within ${timeoutMs} ms`
        : `${step} not received within ${timeoutMs} ms`,
      where,
    )
  }
}

/** The socket ended or failed during the handshake. */
export class HandshakeClosedError extends HandshakeError<'DUNE_HANDSHAKE_CLOSED'> {
  constructor(where: { point: string; peerId?: string | undefined }, options?: { cause?: unknown }) {
    super('DUNE_HANDSHAKE_CLOSED', 'closed', 'connection closed during the handshake', where, options)
  }
}

/** The remote connection message carries our own public key. */
export class SelfConnectionError extends HandshakeError<'DUNE_SELF_CONNECTION'> {
  constructor(where: { point: string; peerId?: string | undefined }) {
    super('DUNE_SELF_CONNECTION', 'self_connection', 'connected to ourselves', where)
  }
}

/** The remote stamp does not meet our proof-of-work target. */
export class ProofOfWorkTooLowError extends HandshakeError<'DUNE_POW_TOO_LOW'> {
  constructor(
    where: { point: string; peerId?: string | undefined },
    readonly expectedBits: number,
  ) {
    super(
      'DUNE_POW_TOO_LOW',
      'proof_of_work',
      `proof of work below the target of ${expectedBits} bits`,
      where,
    )
  }
}

/** A handshake message (connection message, metadata, ack) failed to decode. */
export class HandshakeDecodingError extends HandshakeError<'DUNE_HANDSHAKE_DECODING'> {
  constructor(where: { point: string; peerId?: string | undefined }, step: string, cause: unknown) {
    super(
      'DUNE_HANDSHAKE_DECODING',
      'decoding',
      `bad ${step}: ${cause instanceof Error ? cause.message : String(cause)}`,
      where,
      { cause },
    )
  }
}

/** A handshake chunk failed its MAC check. */
export class HandshakeDecryptionError extends HandshakeError<'DUNE_HANDSHAKE_DECRYPTION'> {
  constructor(where: { point: string; peerId?: string | undefined }, step: string, cause: unknown) {
    super('DUNE_HANDSHAKE_DECRYPTION', 'decryption', `cannot decrypt the ${step} chunk`, where, { cause })
  }
}

/** The remote peer answered our Ack with a Nack. */
export class RejectedByPeerError extends HandshakeError<'DUNE_REJECTED_BY_PEER'> {
  constructor(
    where: { point: string; peerId?: string | undefined },
    readonly motive: string,
    readonly alternativePoints: readonly string[],
  ) {
    super('DUNE_REJECTED_BY_PEER', 'rejected', `rejected by the peer (motive ${motive})`, where)
  }
}

/** An operation on a connection that is closed; carries the reason it closed. */
export class ConnectionClosedError extends DuneP2pError<'DUNE_CONNECTION_CLOSED'> {
  constructor(readonly reason: CloseReason) {
    super('DUNE_CONNECTION_CLOSED', `connection closed: ${describeCloseReason(reason)}`)
  }
}

/** Why a connection closed. `error` holds the typed error when there is one. */
export type CloseReason =
  | { readonly kind: 'local'; readonly detail?: string }
  | { readonly kind: 'peer_disconnect' }
  | { readonly kind: 'eof' }
  | { readonly kind: 'mac_error'; readonly error: MacError }
  | { readonly kind: 'decode_error'; readonly error: DecodeError }
  | { readonly kind: 'socket_error'; readonly error: Error }
  /** The kernel gave up on the peer: keepalive probes or data unacknowledged for TCP_USER_TIMEOUT (ETIMEDOUT, EHOSTUNREACH). */
  | { readonly kind: 'dead_peer'; readonly error: Error }
  /** The outgoing queue stayed full with nothing leaving it for `stalledMs` (the peer stopped reading). */
  | { readonly kind: 'write_stall'; readonly stalledMs: number; readonly queuedBytes: number }
  /** Dropped to bring the bytes queued by the whole layer back under its memory budget. */
  | { readonly kind: 'memory_budget'; readonly queuedBytes: number; readonly budgetBytes: number }
  /** The peer's protocol violations (empty chunks, layer messages within their cooldown) passed its budget. */
  | { readonly kind: 'flood'; readonly violations: number; readonly last: string }

/** One line for logs and CLIs. */
export function describeCloseReason(reason: CloseReason): string {
  switch (reason.kind) {
    case 'local':
      return reason.detail ? `closed locally (${reason.detail})` : 'closed locally'
    case 'peer_disconnect':
      return 'the peer sent Disconnect'
    case 'eof':
      return 'the peer closed the socket'
    case 'mac_error':
      return `MAC check failed: ${reason.error.message}`
    case 'decode_error':
      return `undecodable message: ${reason.error.message}`
    case 'socket_error':
      return `socket error: ${reason.error.message}`
    case 'dead_peer':
      return `dead peer: nothing acknowledged within the TCP user timeout (${reason.error.message})`
    case 'write_stall':
      return `write stall: the peer read nothing for ${Math.round(reason.stalledMs / 1000)} s while its outgoing queue was full (${reason.queuedBytes} bytes queued)`
    case 'memory_budget':
      return `dropped to keep the queued bytes under the memory budget of ${reason.budgetBytes} bytes: it held the most (${reason.queuedBytes} bytes)`
    case 'flood':
      return `flood: ${reason.violations} protocol violations passed the per-connection budget (last: ${reason.last})`
  }
}

/**
 * Errors a kernel reports on an established TCP connection only when it gives up on the peer
 * (keepalive probes or data unacknowledged past TCP_USER_TIMEOUT or the retransmissions):
 * ETIMEDOUT, or the last ICMP/neighbour error seen meanwhile (EHOSTUNREACH, ENETUNREACH).
 */
const DEAD_PEER_CODES = new Set(['ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN'])

/** The close reason of a socket error: `dead_peer` when the kernel gave up on the peer, else `socket_error`. */
export function socketErrorReason(err: unknown): CloseReason {
  const error = err instanceof Error ? err : new Error(String(err))
  const code = (error as NodeJS.ErrnoException).code
  return code !== undefined && DEAD_PEER_CODES.has(code)
    ? { kind: 'dead_peer', error }
    : { kind: 'socket_error', error }
}
