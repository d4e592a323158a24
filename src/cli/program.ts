// The commander plumbing the CLIs share: a program that writes through the caller's streams and
// never exits the process, and the run that turns its outcome into an exit code.
import { Command, CommanderError, InvalidArgumentError } from 'commander'
import { DuneP2pError } from '../errors.js'

/** Where a program writes its output, help and errors. */
export interface CliStreams {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
}

/** A program named `name` whose help and usage errors go to `streams`; it throws instead of exiting. */
export function newProgram(name: string, streams: CliStreams): Command {
  return new Command(name).exitOverride().configureOutput({
    writeOut: (text) => streams.stdout.write(text),
    writeErr: (text) => streams.stderr.write(text),
  })
}

/**
 * Runs the program `create` builds (its errors count as the run's) with `argv` (the arguments
 * after the program name) and resolves to the exit code: 0 when it ran, commander's own code after
 * help or a usage error it already reported, and 1 after writing `NAME: message` to `stderr` for
 * an error of ours (a DuneP2pError, or an InvalidArgumentError an action threw). Any other error
 * is a bug and rejects.
 */
export async function runProgram(
  name: string,
  create: () => Command,
  argv: string[],
  stderr: CliStreams['stderr'],
  message: (err: Error) => string = (err) => err.message,
): Promise<number> {
  try {
    await create().parseAsync(argv, { from: 'user' })
  } catch (err) {
    // Commander reports and wraps the InvalidArgumentErrors of option parsing itself.
    const ours = err instanceof InvalidArgumentError || err instanceof DuneP2pError
    if (!ours && err instanceof CommanderError) return err.exitCode
    if (!ours) throw err
    stderr.write(`${name}: ${message(err)}\n`)
    return 1
  }
  return 0
}
