// The error the access-control lists raise on malformed input: an IP address, CIDR subnet,
// point or peer id that does not parse, a bad snapshot, or an unusable option.
import { DuneP2pError } from '../errors/index.js'

/** What kind of input was rejected; stable strings callers may branch on. */
export type AclInputKind = 'ip' | 'cidr' | 'point' | 'peer_id' | 'snapshot' | 'option'

/** Malformed input to the ACL (code `DUNE_ACL_INPUT`); `kind` says which sort of value it was. */
export class AclInputError extends DuneP2pError<'DUNE_ACL_INPUT'> {
  readonly kind: AclInputKind

  constructor(kind: AclInputKind, message: string, options?: { cause?: unknown }) {
    super('DUNE_ACL_INPUT', message, options)
    this.kind = kind
  }
}
