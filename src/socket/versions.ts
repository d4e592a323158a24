// Version negotiation of the handshake: the chain name must match and each side takes the
// highest version both speak (Octez's Network_version.select), otherwise a Nack motive.

/** The versions a node speaks; it announces the highest of each in its connection message. */
export interface SupportedVersions {
  readonly chainName: string
  readonly distributedDbVersions: readonly number[]
  readonly p2pVersions: readonly number[]
}

/** What both sides agreed on. */
export interface NegotiatedVersion {
  readonly chainName: string
  readonly distributedDbVersion: number
  readonly p2pVersion: number
}

export type VersionRejection =
  | 'unknown_chain_name'
  | 'deprecated_distributed_db_version'
  | 'deprecated_p2p_version'

/** Highest common version: ours when the remote is at least as new, else the remote's if we speak it. */
function selectVersion(accepted: readonly number[], remote: number): number | undefined {
  const best = Math.max(...accepted)
  if (best <= remote) return best
  return accepted.includes(remote) ? remote : undefined
}

/** Selects the version to speak with a peer that announced `remote`, or the Nack motive. */
export function negotiateVersion(
  local: SupportedVersions,
  remote: { chainName: string; distributedDbVersion: number; p2pVersion: number },
): { ok: true; version: NegotiatedVersion } | { ok: false; motive: VersionRejection } {
  if (remote.chainName !== local.chainName) return { ok: false, motive: 'unknown_chain_name' }
  const distributedDbVersion = selectVersion(local.distributedDbVersions, remote.distributedDbVersion)
  if (distributedDbVersion === undefined) return { ok: false, motive: 'deprecated_distributed_db_version' }
  const p2pVersion = selectVersion(local.p2pVersions, remote.p2pVersion)
  if (p2pVersion === undefined) return { ok: false, motive: 'deprecated_p2p_version' }
  return { ok: true, version: { chainName: local.chainName, distributedDbVersion, p2pVersion } }
}

/** The versions a node announces: the highest of each list. */
export function announcedVersions(local: SupportedVersions): {
  distributedDbVersion: number
  p2pVersion: number
} {
  return {
    distributedDbVersion: Math.max(...local.distributedDbVersions),
    p2pVersion: Math.max(...local.p2pVersions),
  }
}
