// Test identities with a tiny proof of work, found on this thread (no worker threads) so
// that tests start fast.
import { generateIdentityInline, type Identity } from '../../src/crypto/index.js'

/** A fresh identity whose stamp meets `bits` (keep it small: ~2^bits hashes). */
export function testIdentity(bits = 4): Identity {
  return generateIdentityInline(bits)
}
