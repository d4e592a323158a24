// The last handshake message, sent encrypted each way: Ack, the old bare Nack (0xff), or a
// Nack with a motive and points to try instead (only for peers announcing p2p_version >= 1).
import { constant, enumeration, int16, list, obj, union } from './combinators.js'
import type { Encoding } from './encoding.js'
import { pointEncoding } from './point.js'

/** Why a connection is refused; encoded as int16 0..5 in this order. */
export const NACK_MOTIVES = [
  'no_motive',
  'too_many_connections',
  'unknown_chain_name',
  'deprecated_p2p_version',
  'deprecated_distributed_db_version',
  'already_connected',
] as const

export type NackMotive = (typeof NACK_MOTIVES)[number]

/** Most alternative points a Nack carries. */
export const MAX_NACK_POINTS = 100

export type Ack =
  | { readonly kind: 'ack' }
  | { readonly kind: 'nack_v0' }
  | { readonly kind: 'nack'; readonly motive: NackMotive; readonly potentialPeersToConnect: string[] }

export const nackMotiveEncoding: Encoding<NackMotive> = enumeration('nack_motive', int16, NACK_MOTIVES)

/** 0x00 Ack; 0xff Nack (old form); 0x01 | motive int16 | u32-sized list of points (at most 100). */
export const ackEncoding: Encoding<Ack> = union<Ack>(
  'ack',
  { tagSize: 1 },
  {
    ack: { tag: 0x00, body: constant({ kind: 'ack' }) },
    nack_v0: { tag: 0xff, body: constant({ kind: 'nack_v0' }) },
    nack: {
      tag: 0x01,
      body: obj('nack', {
        kind: constant('nack'),
        motive: nackMotiveEncoding,
        potentialPeersToConnect: list(pointEncoding, { maxLength: MAX_NACK_POINTS }),
      }),
    },
  },
)
