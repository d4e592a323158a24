// `dune-codec crypto`: the handshake's derived values from hex inputs (channel nonces, channel
// key, proof-of-work check, peer id), so an operator can check a capture against a node's view.
import type { Command } from 'commander'
import { CHANNEL_KEY_BYTES, channelKey } from '../crypto/channel-key.js'
import { PUBLIC_KEY_BYTES, SECRET_KEY_BYTES } from '../crypto/keys.js'
import { deriveNonces } from '../crypto/nonce.js'
import { peerIdOf, peerIdToB58 } from '../crypto/peer-id.js'
import { assertPowBits, checkProofOfWork, STAMP_BYTES } from '../crypto/proof-of-work.js'
import { CodecInputError, parseHex, parseHexOfSize } from './codec-input.js'
import { asQuestion } from './program.js'

const hex = (bytes: Buffer): string => bytes.toString('hex')

interface NoncesOptions {
  sent: string
  recv: string
  incoming?: boolean
  outgoing?: boolean
}

function nonEmptyHex(text: string, what: string): Buffer {
  const bytes = parseHex(text, what)
  if (bytes.length === 0) throw new CodecInputError(`${what}: empty; give the raw connection message`)
  return bytes
}

function parseBits(text: string): number {
  const bits = text.trim() === '' ? Number.NaN : Number(text)
  try {
    assertPowBits(bits)
  } catch {
    throw new CodecInputError(`--bits: expected a number from 0 to 256, got ${JSON.stringify(text)}`)
  }
  return bits
}

/** Adds `crypto nonces | channel-key | pow-check | peer-id`; each prints one JSON object. */
export function addCryptoCommand(program: Command, printJson: (value: unknown) => void): void {
  const crypto = program
    .command('crypto')
    .description('compute the values a handshake derives: nonces, channel key, proof-of-work check, peer id')

  crypto
    .command('nonces')
    .description('the two chunk nonces of a connection, from the raw connection messages sent and received')
    .requiredOption('--sent <hex>', 'the connection message we sent, raw, u16 length prefix included')
    .requiredOption('--recv <hex>', 'the connection message we received, raw, u16 length prefix included')
    .option('--incoming', 'we accepted the connection')
    .option('--outgoing', 'we dialed the connection')
    .addHelpText(
      'after',
      '\nPrints {"local": hex, "remote": hex}: the nonce of our first chunk sent and of the first chunk\n' +
        'received (each advances by one per chunk).\n\n' +
        'Example:\n  dune-codec crypto nonces --sent 0087... --recv 0087... --outgoing',
    )
    .action((options: NoncesOptions) => {
      if (options.incoming === options.outgoing) {
        throw new CodecInputError('give exactly one of --incoming (we accepted) or --outgoing (we dialed)')
      }
      const sent = nonEmptyHex(options.sent, '--sent')
      const recv = nonEmptyHex(options.recv, '--recv')
      const { local, remote } = deriveNonces(sent, recv, options.incoming === true)
      printJson({ local: hex(local), remote: hex(remote) })
    })

  crypto
    .command('channel-key')
    .description('the symmetric key of a connection (NaCl crypto_box_beforenm)')
    .requiredOption('--secret-key <hex>', `our secret key, ${SECRET_KEY_BYTES} bytes`)
    .requiredOption('--public-key <hex>', `the peer's public key, ${PUBLIC_KEY_BYTES} bytes`)
    .addHelpText(
      'after',
      `\nPrints {"channel_key": hex} (${CHANNEL_KEY_BYTES} bytes); both sides of a connection get the same key.`,
    )
    .action((options: { secretKey: string; publicKey: string }) => {
      const secretKey = parseHexOfSize(options.secretKey, SECRET_KEY_BYTES, '--secret-key')
      const publicKey = parseHexOfSize(options.publicKey, PUBLIC_KEY_BYTES, '--public-key')
      printJson({ channel_key: hex(channelKey(secretKey, publicKey)) })
    })

  asQuestion(
    crypto
      .command('pow-check')
      .description("check a public key's proof-of-work stamp against a difficulty (exit 0: valid, 1: not)")
      .requiredOption('--public-key <hex>', `the public key, ${PUBLIC_KEY_BYTES} bytes`)
      .requiredOption('--stamp <hex>', `the proof-of-work stamp, ${STAMP_BYTES} bytes`)
      .requiredOption('--bits <n>', 'the difficulty in bits, 0 to 256 (fractions allowed; Octez mainnet: 26)')
      .addHelpText(
        'after',
        '\nPrints {"valid": true} or {"valid": false}. Exit status: 0 valid, 1 not valid, 2 bad input.',
      ),
    (options: { publicKey: string; stamp: string; bits: string }) => {
      const publicKey = parseHexOfSize(options.publicKey, PUBLIC_KEY_BYTES, '--public-key')
      const stamp = parseHexOfSize(options.stamp, STAMP_BYTES, '--stamp')
      const valid = checkProofOfWork(publicKey, stamp, parseBits(options.bits))
      printJson({ valid })
      return valid
    },
  )

  crypto
    .command('peer-id')
    .description('the peer id of a public key')
    .argument('<public-key>', `the public key as hex, ${PUBLIC_KEY_BYTES} bytes`)
    .addHelpText('after', '\nPrints {"hex": 32 hex digits, "b58": "id…" (the printed form)}.')
    .action((publicKeyHex: string) => {
      const id = peerIdOf(parseHexOfSize(publicKeyHex, PUBLIC_KEY_BYTES, 'public key'))
      printJson({ hex: hex(id), b58: peerIdToB58(id) })
    })
}
