// How a listening peer serves the benchmark's connections: it reads the opening command, then
// sinks (counts messages, reports timings), echoes or collects stamped messages; a connection without one just stays open.
import { type Command, decodeCommand, encodeReport, type SinkReport } from './control.js'
import type { BenchConnection } from './driver.js'
import { pacedCollector } from './many.js'

type Handler = (message: Buffer) => void

/** Serves `connection` until it closes; a malformed command closes it. */
export function respond(connection: BenchConnection): void {
  let handle: Handler = (message) => {
    let command: Command
    try {
      command = decodeCommand(message)
    } catch (err) {
      console.error(`[peer] closing a connection: ${(err as Error).message}`)
      void connection.close()
      handle = () => {}
      return
    }
    if (command.mode === 'echo') handle = echo(connection)
    else if (command.mode === 'stamped') handle = (m) => pacedCollector.onMessage(m)
    else handle = sink(connection, command.messages)
  }
  connection.onMessage((message) => handle(message))
}

function echo(connection: BenchConnection): Handler {
  return (message) => sendOrClose(connection, message)
}

function sink(connection: BenchConnection, expected: number): Handler {
  let received = 0
  let first = 0n
  let cpuAtFirst = process.cpuUsage()
  let bytesAfterFirst = 0
  return (message) => {
    received += 1
    if (received === 1) {
      first = process.hrtime.bigint()
      cpuAtFirst = process.cpuUsage()
    } else bytesAfterFirst += message.length
    if (received === expected) {
      const cpu = process.cpuUsage(cpuAtFirst)
      const report: SinkReport = {
        firstToLastNs: Number(process.hrtime.bigint() - first),
        bytesAfterFirst,
        cpuNs: (cpu.user + cpu.system) * 1000,
      }
      sendOrClose(connection, encodeReport(report))
    }
  }
}

function sendOrClose(connection: BenchConnection, message: Buffer): void {
  connection.send(message)?.catch(() => connection.close())
}
