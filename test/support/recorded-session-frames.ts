// Test helper: the 5,472 decrypted P2P frames (u32 size, u16 tag, body) of the recorded
// session's Sent direction (test/vectors/recorded-session.md), for the shell-message tests.
import { channelKey } from '../../src/crypto/channel-key.js'
import { ChunkCipher } from '../../src/crypto/chunk-cipher.js'
import { deriveNonces } from '../../src/crypto/nonce.js'
import { parseConnectionMessage } from './connection-message.js'
import { hex, readVectorJson, readVectorText } from './vectors.js'

function streams(): { sent: Buffer; received: Buffer } {
  const parts = { Sent: [] as Buffer[], Received: [] as Buffer[] }
  for (const line of readVectorText('recorded-session.csv').trim().split(/\r?\n/).slice(1)) {
    const [direction, bytes = ''] = line.split(',')
    if (direction !== 'Sent' && direction !== 'Received') throw new Error(`unknown direction ${direction}`)
    parts[direction].push(hex(bytes))
  }
  return { sent: Buffer.concat(parts.Sent), received: Buffer.concat(parts.Received) }
}

/** The Sent direction's P2P frames, each a whole decrypted chunk (the metadata and Ack left out). */
export function recordedSentFrames(): Buffer[] {
  const { sent, received } = streams()
  const sentRaw = sent.subarray(0, 2 + sent.readUInt16BE(0))
  const receivedRaw = received.subarray(0, 2 + received.readUInt16BE(0))
  const { secret_key } = readVectorJson<{ secret_key: string }>('recorded-session-identity.json')
  const key = channelKey(hex(secret_key), parseConnectionMessage(receivedRaw).publicKey)
  const nonces = deriveNonces(sentRaw, receivedRaw, false)
  const reader = new ChunkCipher(key, nonces.remote, nonces.local)
  const plain = Buffer.alloc(65535)
  const frames: Buffer[] = []
  let at = sentRaw.length
  while (at + 2 <= sent.length) {
    const length = sent.readUInt16BE(at)
    const chunk = sent.subarray(at + 2, at + 2 + length)
    frames.push(Buffer.from(plain.subarray(0, reader.open(chunk, plain))))
    at += 2 + length
  }
  return frames.slice(2)
}
