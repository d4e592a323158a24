// `dune-codec session decode`: opens a captured connection with one side's identity and prints
// each chunk of both directions, decrypted and decoded, as one JSON line.
import { readFile } from 'node:fs/promises'
import { type Command, Option } from 'commander'
import { parseCapture, parseSessionIdentity } from './codec-capture.js'
import { CodecInputError } from './codec-input.js'
import { SessionDecoder, type SessionDialer, type SessionLine } from './codec-session.js'
import type { CliStreams } from './program.js'

/** Exit code when the capture was read but a direction stopped early or a message did not decode. */
export const SESSION_INCOMPLETE_EXIT = 2

export const SESSION_HELP = `
CAPTURE is a text file of both directions of one connection, one socket read per row:

  direction,message              (optional header)
  Sent,0086260440a2c1e5...       bytes the identity's side wrote, in hex
  Received,00862604e206...       bytes it read, in hex

Rows hold whatever one read or write returned: a row may hold several chunks or part of
one; each direction is reassembled by the chunks' u16 lengths. Each direction must start at
the connection's first byte (its connection message). The identity (an identity.json with
"secret_key") is the side that sent the Sent rows. The nonces depend on which side dialed:
--dialer local (the default) when the identity's side opened the connection, remote when the
other side did; a MAC failure at the first encrypted chunk says when the other choice opens it.

Output, one JSON line per chunk in the order the capture completes them:
  {"direction": "Sent", "index": 0, "record": 1, "size": 136, "connection_message": {...}}
  {"direction": "Sent", "index": 1, "record": 3, "size": 2, "metadata": {...}}
  {"direction": "Sent", "index": 2, "record": 5, "size": 1, "ack": "Ack"}
  {"direction": "Sent", "index": 3, "record": 7, "size": 10, "p2p_message": {"application": {"tag": 16, "body": "9cae..."}}}
index 0 is the connection message (in clear), then 1, 2, ... the encrypted chunks: metadata,
ack, then P2P messages (layer messages decoded, application messages, tag >= 16, as tag and
hex body). record is the row (counted from 1, the header excluded) holding the chunk's first
byte; size the plaintext bytes (for the connection message: its bytes, u16 length included).
A message spanning chunks shows as "p2p_message_part" until its last chunk, which has
"p2p_message" and "p2p_message_from" (its first chunk). A message that does not decode
shows as {"error", "hex"} and decoding goes on. A MAC failure (bytes
lost or altered: a gap in the capture), a chunk shorter than its MAC or a capture ending
inside a chunk stops that direction with a line {"direction", "index", "record", "stopped",
"error"}; the other direction goes on.

Exit code: 0 when every chunk decrypted and decoded; 2 when a direction stopped early or a
message did not decode (see the lines with "error"); 1 for bad input (an identity without
"secret_key", a row that is not direction,hex, odd hex, a capture that does not start with
both connection messages or whose Sent side is another identity), with one line on stderr
and nothing on stdout.

Example:
  dune-codec session decode --identity identity.json capture.csv | jq -c 'select(.error)'`

async function readInput(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    throw new CodecInputError(`cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err })
  }
}

/** Adds `session decode`; `outcome.exitCode` becomes SESSION_INCOMPLETE_EXIT for an incomplete decoding. */
export function addSessionCommand(
  program: Command,
  streams: CliStreams,
  outcome: { exitCode: number },
): void {
  const session = program
    .command('session')
    .description('open a captured connection: decrypt and decode both directions')
  session
    .command('decode')
    .description(
      'print every chunk of a capture of both directions, decrypted and decoded, one JSON line each',
    )
    .requiredOption(
      '--identity <file>',
      'identity.json of the side that sent the Sent rows, with its secret_key',
    )
    .addOption(
      new Option('--dialer <side>', "which side opened the connection: local (the identity's) or remote")
        .choices(['local', 'remote'])
        .default('local'),
    )
    .argument('<capture>', 'the capture: rows direction,hex (Sent or Received), one socket read each')
    .addHelpText('after', SESSION_HELP)
    .action(async (capturePath: string, options: { identity: string; dialer: SessionDialer }) => {
      const identity = parseSessionIdentity(
        await readInput(options.identity, 'the identity'),
        options.identity,
      )
      const records = parseCapture(await readInput(capturePath, 'the capture'), capturePath)
      const decoder = new SessionDecoder(identity, options.dialer)
      // Lines wait until both connection messages are read, so that bad input prints nothing.
      const held: SessionLine[] = []
      const print = (lines: SessionLine[]): void => {
        if (!decoder.ready) {
          held.push(...lines)
          return
        }
        const all = held.length > 0 ? held.splice(0).concat(lines) : lines
        if (all.length > 0) streams.stdout.write(`${all.map((line) => JSON.stringify(line)).join('\n')}\n`)
      }
      for (const record of records) print(decoder.push(record))
      print(decoder.end())
      if (decoder.incomplete) outcome.exitCode = SESSION_INCOMPLETE_EXIT
    })
}
