// Typed failures of the pool's operations: a connection refused before or during the
// handshake (by us, with the reason) and an operation on a peer that is not connected.
import { DuneP2pError } from '../errors/index.js'

/**
 * Why the pool refused a connection: the ACL (`point_banned`, `peer_banned`), private mode,
 * a limit, the peer or point already connected or being connected, our own point, a full
 * table of known points, a Nack motive we sent (`unknown_chain_name`, ...), the peer's score
 * below score.disconnectBelow (`low_score`), the pool stopping, or another peer than the one
 * pinned at the point (`unexpected_peer_id`).
 */
export type RefusalReason =
  | 'point_banned'
  | 'greylisted'
  | 'peer_banned'
  | 'private_mode'
  | 'too_many_connections'
  | 'low_score'
  | 'already_connected'
  | 'connecting'
  | 'own_point'
  | 'table_full'
  | 'unknown_chain_name'
  | 'deprecated_p2p_version'
  | 'deprecated_distributed_db_version'
  | 'stopped'
  | 'unexpected_peer_id'

/** The pool refused a connection (code `DUNE_CONNECTION_REFUSED`); `reason` says why. */
export class ConnectionRefusedError extends DuneP2pError<'DUNE_CONNECTION_REFUSED'> {
  constructor(
    readonly reason: RefusalReason,
    readonly point: string | undefined,
    readonly peerId?: string,
  ) {
    const who = [point && `point ${point}`, peerId && `peer ${peerId}`].filter(Boolean).join(', ')
    super('DUNE_CONNECTION_REFUSED', `connection refused (${reason})${who ? ` to ${who}` : ''}`)
  }
}

/** No live connection with this peer (code `DUNE_NOT_CONNECTED`). */
export class NotConnectedError extends DuneP2pError<'DUNE_NOT_CONNECTED'> {
  constructor(readonly peerId: string) {
    super('DUNE_NOT_CONNECTED', `not connected to peer ${peerId}`)
  }
}

/** The P2p instance is not running (not started yet, or stopped) (code `DUNE_P2P_NOT_RUNNING`). */
export class P2pNotRunningError extends DuneP2pError<'DUNE_P2P_NOT_RUNNING'> {
  constructor(operation: string) {
    super('DUNE_P2P_NOT_RUNNING', `${operation}: the P2p instance is not running`)
  }
}
