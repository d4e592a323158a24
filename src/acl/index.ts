// The access-control lists in one import: the administrator's bans and trusts, the automatic
// greylist, the IP prefix set under them and the IP/CIDR parsing they key on.

export {
  AccessControl,
  type AccessControlEvents,
  type AccessControlOptions,
  type AclChange,
  type AclList,
  type AclStatus,
  DEFAULT_GREYLIST_TIMEOUT_MS,
  DEFAULT_MAX_GREYLISTED_IPS,
  DEFAULT_MAX_GREYLISTED_PEERS,
  DEFAULT_MAX_GREYLISTED_POINTS,
  type GreylistEvent,
  type GreylistedIp,
  type GreylistedPeer,
  type GreylistedPoint,
} from './access-control.js'
export {
  isRoutable,
  LearnableAddresses,
  type LearnableRules,
  NOT_AN_ADDRESS,
  type SpecialRange,
  specialRangeOf,
} from './address-class.js'
export { AclInputError, type AclInputKind } from './errors.js'
export {
  formatCidr,
  formatIp,
  type IpPrefix,
  isIpv4Mapped,
  normalizeIp,
  parseCidr,
  parseIp,
  parseIpInto,
  prefixContains,
} from './ip-address.js'
export { IpPrefixSet } from './ip-prefix-set.js'
export type {
  AclSnapshot,
  GreylistedIpRecord,
  GreylistedPeerRecord,
  GreylistedPointRecord,
} from './snapshot.js'
