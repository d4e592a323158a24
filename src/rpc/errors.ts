// The admin RPC's failures: an error with the HTTP status and the stable code of the error
// body `{ "error": { "code", "message", "cause"? } }` (docs/RPC.md).
import { type DuneErrorCode, DuneP2pError } from '../errors/index.js'

export type RpcErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'MISDIRECTED'
  | 'CONNECT_FAILED'
  | 'BUSY'
  | 'INTERNAL'

const STATUS: Record<RpcErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  MISDIRECTED: 421,
  BUSY: 503,
  CONFLICT: 409,
  CONNECT_FAILED: 502,
  INTERNAL: 500,
}

/** A request the RPC answers with an error status (code `DUNE_RPC`; `rpcCode` goes in the body). */
export class RpcError extends DuneP2pError<'DUNE_RPC'> {
  readonly status: number
  readonly rpcCode: RpcErrorCode
  /** The `DUNE_*` code of the library error behind it, if any. */
  readonly causeCode: DuneErrorCode | undefined

  constructor(rpcCode: RpcErrorCode, message: string, options: { cause?: unknown } = {}) {
    super('DUNE_RPC', message, options)
    this.rpcCode = rpcCode
    this.status = STATUS[rpcCode]
    this.causeCode = options.cause instanceof DuneP2pError ? options.cause.code : undefined
  }
}

/** The body of an error answer. */
export function errorBody(code: string, message: string, cause?: string) {
  return { error: { code, message, ...(cause ? { cause } : {}) } }
}
