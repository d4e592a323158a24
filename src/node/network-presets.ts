// The Tezos networks dune-node can join (`--network`, config `network`), as Octez defines them in
// src/lib_node_config/config_file.ml: chain name, genesis and chain id, versions, pow, bootstrap names.
import { blake2b } from '@noble/hashes/blake2.js'
import { BLOCK_HASH, CHAIN_ID, hashFromB58, hashToB58 } from '../octez/hashes.js'
import { OCTEZ_DISTRIBUTED_DB_VERSIONS } from '../octez/messages.js'

/** The names `--network` accepts. */
export const NETWORK_NAMES = ['mainnet', 'ghostnet', 'sandbox'] as const
export type NetworkName = (typeof NETWORK_NAMES)[number]

/** Octez's port, added to a bootstrap name given without one. */
export const OCTEZ_DEFAULT_P2P_PORT = 9732

/** One Octez built-in network. */
export interface NetworkPreset {
  readonly name: NetworkName
  /** The chain name of the connection message (peers on another are refused). */
  readonly chainName: string
  /** The genesis block hash ("B…"); the chain id is derived from it. */
  readonly genesisBlock: string
  /** The chain id of the shell messages ("Net…"): the first 4 bytes of blake2b(genesis block hash). */
  readonly chainId: string
  /** distributed_db_versions announced (Octez today: 0, 1, 2). */
  readonly distributedDbVersions: readonly number[]
  /** p2p_versions announced (Octez's P2p_version.supported: 0, 1). */
  readonly p2pVersions: readonly number[]
  /** Proof-of-work bits demanded of peers (Octez's p2p default, every network: 26). */
  readonly expectedProofOfWork: number
  /** Octez's default_bootstrap_peers (DNS names), with Octez's default port 9732 written out where it gives none. */
  readonly bootstrapPeers: readonly string[]
}

/** Octez's Chain_id.of_block_hash. */
export function chainIdOfBlockHash(blockHash: string): string {
  return hashToB58(CHAIN_ID, blake2b(hashFromB58(BLOCK_HASH, blockHash), { dkLen: 32 }).subarray(0, 4))
}

function preset(
  name: NetworkName,
  chainName: string,
  genesisBlock: string,
  bootstrapPeers: readonly string[],
): NetworkPreset {
  return {
    name,
    chainName,
    genesisBlock,
    chainId: chainIdOfBlockHash(genesisBlock),
    distributedDbVersions: OCTEZ_DISTRIBUTED_DB_VERSIONS,
    p2pVersions: [0, 1],
    expectedProofOfWork: 26,
    bootstrapPeers: bootstrapPeers.map((p) => (p.includes(':') ? p : `${p}:${OCTEZ_DEFAULT_P2P_PORT}`)),
  }
}

/** The built-in networks (tezos-mirror d26a8bef, August 2026: blockchain_network_mainnet, _ghostnet, _sandbox). */
export const NETWORK_PRESETS: Readonly<Record<NetworkName, NetworkPreset>> = {
  mainnet: preset('mainnet', 'TEZOS_MAINNET', 'BLockGenesisGenesisGenesisGenesisGenesisf79b5d1CoW2', [
    'boot.tzinit.org',
    'boot.tzboot.net',
    'boot.tzbeta.net',
  ]),
  ghostnet: preset(
    'ghostnet',
    'TEZOS_ITHACANET_2022-01-25T15:00:00Z',
    'BLockGenesisGenesisGenesisGenesisGenesis1db77eJNeJ9',
    [
      'ghostnet.teztnets.com',
      'ghostnet.tzinit.org',
      'ghostnet.tzboot.net',
      'ghostnet.boot.ecadinfra.com',
      'ghostnet.stakenow.de:9733',
    ],
  ),
  // Octez's sandbox: chain TEZOS, mainnet's genesis block (so mainnet's chain id), no bootstrap peers.
  sandbox: preset('sandbox', 'TEZOS', 'BLockGenesisGenesisGenesisGenesisGenesisf79b5d1CoW2', []),
}

/** The preset called `name`, or undefined for none (the Dune demo network). */
export function networkPreset(name: string | undefined): NetworkPreset | undefined {
  return name !== undefined && Object.hasOwn(NETWORK_PRESETS, name)
    ? NETWORK_PRESETS[name as NetworkName]
    : undefined
}
