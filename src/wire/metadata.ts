// The Dune shell's connection metadata, exchanged once each way during the handshake:
// `disable_mempool bool | private_node bool`.
import { bool, obj } from './combinators.js'
import type { Encoding } from './encoding.js'

export interface Metadata {
  /** The peer does not want mempool (operation) messages. */
  readonly disableMempool: boolean
  /** The peer is a private node: do not advertise it to others. */
  readonly privateNode: boolean
}

/** Two booleans (0x00/0xff): disable_mempool, private_node. */
export const metadataEncoding: Encoding<Metadata> = obj('metadata', {
  disableMempool: bool,
  privateNode: bool,
})
