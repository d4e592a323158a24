// What dune-node's commands share: the streams they write to and the exit code they leave (the
// commands import this, never the dune-node entry file that assembles them).
import type { CliStreams } from './program.js'
import type { ProgressStream } from './progress-bar.js'

/** Exit code of a command stopped by Ctrl-C (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130

/** Where the commands write, and the exit code they leave. */
export interface CliContext extends CliStreams {
  stderr: ProgressStream
  exitCode: number
}
