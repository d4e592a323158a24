// The commander plumbing the CLIs share: a program that writes through the caller's streams and
// never exits the process, and the run that turns its outcome into an exit code.
import { Command, CommanderError, InvalidArgumentError } from 'commander'
import { DuneP2pError } from '../errors/index.js'

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

/** The exit codes of a command that answers a question: 0 yes, 1 no, 2 it could not tell. */
export const ANSWER_EXIT = { yes: 0, no: 1, error: 2 } as const

/** Ends the run with `exitCode`; with an `error`, after writing it as any error of ours. */
export class ExitStatus extends Error {
  readonly exitCode: number
  readonly error: Error | undefined

  constructor(exitCode: number, error?: Error) {
    super(error?.message ?? `exit ${exitCode}`)
    this.exitCode = exitCode
    this.error = error
  }
}

/**
 * Makes `command` a question for scripts: its action resolves to the answer (true: exit 0,
 * false: exit 1), and every error, a usage error included, exits 2.
 */
export function asQuestion<A extends unknown[]>(
  command: Command,
  action: (...args: A) => boolean | Promise<boolean>,
): Command {
  return command
    .exitOverride((err) => {
      if (err.exitCode === 0) throw err
      throw new CommanderError(ANSWER_EXIT.error, err.code, err.message)
    })
    .action(async (...args: unknown[]) => {
      let yes: boolean
      try {
        yes = await action(...(args as A))
      } catch (err) {
        if (err instanceof InvalidArgumentError || err instanceof DuneP2pError)
          throw new ExitStatus(ANSWER_EXIT.error, err)
        throw err
      }
      if (!yes) throw new ExitStatus(ANSWER_EXIT.no)
    })
}

/**
 * Runs the program `create` builds (its errors count as the run's) with `argv` (the arguments
 * after the program name) and resolves to the exit code: 0 when it ran, commander's own code after
 * help or a usage error it already reported, and 1 after writing `NAME: message` to `stderr` for
 * an error of ours (a DuneP2pError, or an InvalidArgumentError an action threw); an ExitStatus
 * gives its code. Any other error is a bug and rejects.
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
    if (err instanceof ExitStatus) {
      if (err.error) stderr.write(`${name}: ${message(err.error)}\n`)
      return err.exitCode
    }
    // Commander reports and wraps the InvalidArgumentErrors of option parsing itself.
    const ours = err instanceof InvalidArgumentError || err instanceof DuneP2pError
    if (!ours && err instanceof CommanderError) return err.exitCode
    if (!ours) throw err
    stderr.write(`${name}: ${message(err)}\n`)
    return 1
  }
  return 0
}
