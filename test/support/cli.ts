// Running the command-line tools in tests: a program's `main` in this process with its output
// captured, or the CLI as a process of its own (through tsx), each giving exit code and output.
import { spawn } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** What a run printed and how it ended. */
export interface CliRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

type Output = { write(text: string): unknown }
type Main = (argv: string[], io: { stdout: Output; stderr: Output }) => Promise<number>

/** Runs `main(argv)` (dune-codec's, dune-node's, ...) in this process, capturing its two streams. */
export async function runMain(main: Main, argv: string[]): Promise<CliRun & { code: number }> {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  })
  return { code, stdout, stderr }
}

/** Runs `node --import tsx SCRIPT ARGS` from the repository root (script relative to it). */
export function runScript(script: string, args: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (data) => {
    stdout += data
  })
  child.stderr.on('data', (data) => {
    stderr += data
  })
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }))
  })
}
