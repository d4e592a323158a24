// Test helper: reads the fields of a raw connection message (u16 length prefix included) so
// the crypto tests need nothing from src/wire.

export interface ConnectionMessageFields {
  port: number
  publicKey: Buffer
  proofOfWorkStamp: Buffer
  messageNonce: Buffer
  chainName: string
  distributedDbVersion: number
  p2pVersion: number
}

/** The fields of `raw`; throws (a plain assertion failure, this is a test helper) on a malformed message. */
export function parseConnectionMessage(raw: Buffer): ConnectionMessageFields {
  const length = raw.readUInt16BE(0)
  if (length !== raw.length - 2) throw new Error(`length prefix ${length} but ${raw.length - 2} bytes follow`)
  const chainNameLength = raw.readUInt32BE(84)
  const end = 88 + chainNameLength
  if (end + 4 !== raw.length) throw new Error('connection message has trailing or missing bytes')
  return {
    port: raw.readUInt16BE(2),
    publicKey: raw.subarray(4, 36),
    proofOfWorkStamp: raw.subarray(36, 60),
    messageNonce: raw.subarray(60, 84),
    chainName: raw.subarray(88, end).toString('utf8'),
    distributedDbVersion: raw.readUInt16BE(end),
    p2pVersion: raw.readUInt16BE(end + 2),
  }
}
