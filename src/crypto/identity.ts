// A node identity (key pair, peer id, proof-of-work stamp): its generation, and the checks
// that its parts agree with one another and meet a proof-of-work difficulty.
import { generateKeyPair, PUBLIC_KEY_BYTES, publicKeyOf, SECRET_KEY_BYTES } from './keys.js'
import { PEER_ID_BYTES, peerIdOf, peerIdToB58 } from './peer-id.js'
import { type PowSearchOptions, searchProofOfWork } from './pow-search.js'
import { checkProofOfWork, STAMP_BYTES } from './proof-of-work.js'

export interface Identity {
  peerId: Buffer
  publicKey: Buffer
  secretKey: Buffer
  proofOfWorkStamp: Buffer
}

export type IdentityProblemKind = 'bad_length' | 'key_mismatch' | 'peer_id_mismatch' | 'insufficient_pow'

/** One thing wrong with an identity, explained in words. */
export interface IdentityProblem {
  kind: IdentityProblemKind
  message: string
}

/** A new identity: fresh keys and a stamp meeting `bits` of proof of work (searched on workers). */
export async function generateIdentity(bits: number, options: PowSearchOptions = {}): Promise<Identity> {
  const { publicKey, secretKey } = generateKeyPair()
  const proofOfWorkStamp = await searchProofOfWork(publicKey, bits, options)
  return { peerId: peerIdOf(publicKey), publicKey, secretKey, proofOfWorkStamp }
}

/**
 * A new identity whose stamp is searched on this thread. For small difficulties only (tests,
 * sandboxes, benchmarks: about 2^bits hashes), where starting worker threads costs more than the
 * search itself; use `generateIdentity` for real ones.
 */
export function generateIdentityInline(bits: number): Identity {
  const { publicKey, secretKey } = generateKeyPair()
  const stamp = Buffer.alloc(STAMP_BYTES)
  do crypto.getRandomValues(stamp)
  while (!checkProofOfWork(publicKey, stamp, bits))
  return { peerId: peerIdOf(publicKey), publicKey, secretKey, proofOfWorkStamp: stamp }
}

/** Everything wrong with `identity` for a difficulty of `bits` (an empty list when it is sound). */
export function checkIdentity(identity: Identity, bits: number): IdentityProblem[] {
  const lengthProblems = [
    lengthProblem('peer id', identity.peerId, PEER_ID_BYTES),
    lengthProblem('public key', identity.publicKey, PUBLIC_KEY_BYTES),
    lengthProblem('secret key', identity.secretKey, SECRET_KEY_BYTES),
    lengthProblem('proof-of-work stamp', identity.proofOfWorkStamp, STAMP_BYTES),
  ].filter((problem): problem is IdentityProblem => problem !== undefined)
  if (lengthProblems.length > 0) return lengthProblems

  const problems: IdentityProblem[] = []
  const derivedPublicKey = publicKeyOf(identity.secretKey)
  if (!derivedPublicKey.equals(identity.publicKey)) {
    problems.push({
      kind: 'key_mismatch',
      message: `the public key ${identity.publicKey.toString('hex')} does not belong to the secret key (which gives ${derivedPublicKey.toString('hex')})`,
    })
  }
  const derivedPeerId = peerIdOf(identity.publicKey)
  if (!derivedPeerId.equals(identity.peerId)) {
    problems.push({
      kind: 'peer_id_mismatch',
      message: `the peer id ${peerIdToB58(identity.peerId)} is not the hash of the public key (which gives ${peerIdToB58(derivedPeerId)})`,
    })
  }
  if (!checkProofOfWork(identity.publicKey, identity.proofOfWorkStamp, bits)) {
    problems.push({
      kind: 'insufficient_pow',
      message: `the proof-of-work stamp does not meet the target of ${bits} bits for this public key`,
    })
  }
  return problems
}

function lengthProblem(what: string, bytes: Buffer, length: number): IdentityProblem | undefined {
  if (bytes.length === length) return undefined
  return { kind: 'bad_length', message: `the ${what} has ${bytes.length} bytes instead of ${length}` }
}
