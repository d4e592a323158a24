// Test identities with a tiny proof of work, found inline (no worker threads) so that tests
// start fast; and handshake configurations around them.
import { randomBytes } from 'node:crypto'
import { checkProofOfWork, generateKeyPair, type Identity, peerIdOf } from '../../src/crypto/index.js'

/** A fresh identity whose stamp meets `bits` (keep it small: ~2^bits hashes). */
export function testIdentity(bits = 4): Identity {
  const { publicKey, secretKey } = generateKeyPair()
  for (;;) {
    const stamp = randomBytes(24)
    if (checkProofOfWork(publicKey, stamp, bits)) {
      return { peerId: peerIdOf(publicKey), publicKey, secretKey, proofOfWorkStamp: stamp }
    }
  }
}
