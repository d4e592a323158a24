#!/usr/bin/env node
// The dune-codec command line (like octez-codec): decodes the layer's wire encodings to JSON,
// encodes JSON back to hex, and computes the handshake's crypto values, for operators.
import { Argument, type Command } from 'commander'
import { DecodeError, EncodeError } from '../wire/errors.js'
import { addCryptoCommand } from './codec-crypto.js'
import { CODEC_ENCODINGS, findEncoding } from './codec-encodings.js'
import { CodecInputError, parseHex, parseJson } from './codec-input.js'
import type { CodecEncoding } from './codec-json.js'
import { addSessionCommand } from './codec-session-command.js'
import { runIfEntryPoint } from './entry-point.js'
import { type CliStreams, newProgram, runProgram } from './program.js'

const ENCODING_NAMES = CODEC_ENCODINGS.map((e) => e.name)

function encodingArgument(): Argument {
  return new Argument('<encoding>', 'the encoding (see `dune-codec list`)').choices(ENCODING_NAMES)
}

/** `encoding` when known (commander has checked the choice already). */
function encodingNamed(name: string): CodecEncoding {
  const encoding = findEncoding(name)
  if (encoding === undefined) throw new TypeError(`no encoding ${name}`)
  return encoding
}

/** One line saying where and why decoding failed: byte offset, field path, detail and reason. */
function describeDecodeError(name: string, err: DecodeError): string {
  const field = err.path !== '' && err.path !== name ? `, in ${err.path}` : ''
  return `cannot decode ${name}: at byte ${err.offset}${field}: ${err.detail} (${err.reason})`
}

function describeEncodeError(name: string, err: EncodeError): string {
  return `cannot encode ${name}: ${err.path === '' ? '' : `${err.path}: `}${err.detail} (${err.reason})`
}

/** Runs `f`, turning the wire layer's errors into messages that name the encoding. */
function run<T>(name: string, f: () => T): T {
  try {
    return f()
  } catch (err) {
    if (err instanceof DecodeError) throw new CodecInputError(describeDecodeError(name, err), { cause: err })
    if (err instanceof EncodeError) throw new CodecInputError(describeEncodeError(name, err), { cause: err })
    throw err
  }
}

const DECODE_HELP = `
The input must hold exactly one value: short input and trailing bytes are errors. Hex may
start with 0x and contain spaces. Bad input exits with code 1 and one line on stderr naming
the byte offset, the field and the reason. Points are checked as the wire checks them: at most
47 bytes of printable ASCII, whatever their "host:port" syntax.

Examples:
  dune-codec decode ack 00
  dune-codec decode ack 010003000000120000000e3132372e302e302e313a39383332
  dune-codec decode p2p_message 0x00000002 0002
  dune-codec decode point 0000000e3132372e302e302e313a39383332
  dune-codec decode connection_message "$(cat message.hex)"`

const ENCODE_HELP = `
Byte strings are hex, integers are numbers, keys are snake_case (as decode prints them).
Invalid input exits with code 1 and names the field and the bound it breaks.

Examples:
  dune-codec encode ack '"Ack"'
  dune-codec encode ack '{"Nack": {"motive": "too_many_connections", "potential_peers_to_connect": ["10.0.0.2:9732"]}}'
  dune-codec encode metadata '{"disable_mempool": false, "private_node": true}'
  dune-codec encode p2p_message '{"swap_request": {"point": "10.0.0.2:9732", "peer_id": "idtBWDzTcpfNnDyoRbM1bFoXe2vuZK"}}'
  dune-codec encode p2p_message '{"application": {"tag": 16, "body": "cafe"}}'
  dune-codec encode point '"[fe80::1]:9732"'

A connection_message may carry the "peer_id" that decode adds: it must then be the peer id
of public_key (otherwise leave it out).

A point may be any printable ASCII string of at most 47 characters: like the wire, the tool
does not check the "host:port" syntax, so whatever decode prints encodes back to its bytes.

JSON of each encoding:
${CODEC_ENCODINGS.map((e) => `  ${e.name}: ${e.example}`).join('\n')}`

const PROGRAM_HELP = `
Examples:
  dune-codec list
  dune-codec decode connection_message 00874d1b98317bd6...
  dune-codec encode p2p_message '{"bootstrap": {}}'
  dune-codec crypto peer-id 98317bd6efad8352a7144c9eb0b218c9130e0a875973908ddc894b764ffc0d7f
  dune-codec session decode --identity identity.json capture.csv

A capture for \`session decode\` is a text file of rows \`direction,hex\`: Sent (bytes the
identity's side wrote) or Received (bytes it read), one socket read per row, both directions
from the connection's first byte.

Run \`dune-codec help decode\` (or encode, crypto, session decode) for details. Exit code 0 on
success, 1 for bad input (one line on stderr); \`session decode\` exits 2 when a direction stopped
early (MAC failure, a gap) or a message did not decode.`

/** The dune-codec program; output and errors go through `streams`, never process.exit. */
export function createProgram(streams: CliStreams, outcome: { exitCode: number } = { exitCode: 0 }): Command {
  const printJson = (value: unknown): void => {
    streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
  }
  const program = newProgram('dune-codec', streams)
    .description(
      'Decode and encode the wire messages of the Dune shell peer-to-peer layer (Octez-compatible), ' +
        'and compute the values of its handshake.',
    )
    .addHelpText('after', PROGRAM_HELP)

  program
    .command('list')
    .description('list the encodings, one line each')
    .action(() => {
      const width = Math.max(...ENCODING_NAMES.map((n) => n.length))
      for (const e of CODEC_ENCODINGS) streams.stdout.write(`${e.name.padEnd(width)}  ${e.summary}\n`)
    })

  program
    .command('decode')
    .description('decode hex bytes to JSON')
    .addArgument(encodingArgument())
    .argument('<hex...>', 'the bytes as hex (optional 0x; spaces allowed, also between arguments)')
    .addHelpText('after', DECODE_HELP)
    .action((name: string, hexParts: string[]) => {
      const encoding = encodingNamed(name)
      const bytes = parseHex(hexParts.join(''))
      printJson(run(name, () => encoding.decode(bytes)))
    })

  program
    .command('encode')
    .description('encode JSON to hex bytes')
    .addArgument(encodingArgument())
    .argument('<json>', 'the value as JSON (quote it for the shell)')
    .addHelpText('after', ENCODE_HELP)
    .action((name: string, text: string) => {
      const encoding = encodingNamed(name)
      const json = parseJson(text, `expected JSON such as '${encoding.example}'`)
      streams.stdout.write(`${run(name, () => encoding.encode(json)).toString('hex')}\n`)
    })

  addCryptoCommand(program, printJson)
  addSessionCommand(program, streams, outcome)
  return program
}

/** The message on one line, whatever the input echoed in it. */
const oneLine = (text: string): string => text.replace(/\s*[\r\n]+\s*/g, ' ')

/** Runs dune-codec with `argv` (the arguments after the program name) and resolves to the exit code. */
export async function main(
  argv: string[],
  streams: CliStreams = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const outcome = { exitCode: 0 }
  const code = await runProgram(
    'dune-codec',
    () => createProgram(streams, outcome),
    argv,
    streams.stderr,
    (err) => oneLine(err.message),
  )
  return code === 0 ? outcome.exitCode : code
}

runIfEntryPoint(import.meta.url, main)
