// The parent's handle on a node-main.ts process (optionally inside a network namespace): JSON
// commands over stdin, replies and events read from stdout, and kill for crash tests.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { defined } from '../../support/defined.js'

/** The node script (TypeScript); compile it with compileForNode to start processes faster. */
export const nodeMainScript = fileURLToPath(new URL('./node-main.ts', import.meta.url))
const script = nodeMainScript

export type NodeEvent = Record<string, unknown> & { event: string }

export class ChildNode {
  readonly child: ChildProcessWithoutNullStreams
  readonly events: NodeEvent[] = []
  peerId = ''
  port = 0
  stderr = ''
  readonly exited: Promise<void>
  #nextId = 1
  readonly #replies = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>()
  readonly #watchers = new Set<() => void>()

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child
    this.exited = new Promise((resolve) =>
      child.once('close', () => {
        for (const reply of this.#replies.values()) reply.reject(new Error(`the node exited: ${this.stderr}`))
        this.#replies.clear()
        resolve()
      }),
    )
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text
    })
    createInterface({ input: child.stdout }).on('line', (line) => {
      let message: Record<string, unknown>
      try {
        message = JSON.parse(line) as Record<string, unknown>
      } catch {
        return
      }
      if (typeof message.id === 'number') {
        const reply = this.#replies.get(message.id)
        this.#replies.delete(message.id)
        if (message.error) reply?.reject(new Error(String(message.error)))
        else reply?.resolve(message.result)
      } else if (typeof message.event === 'string') {
        this.events.push(message as NodeEvent)
        for (const watcher of this.#watchers) watcher()
      }
    })
  }

  /**
   * Starts a node with `config` (a P2p config without identity); `prefix` wraps the command (ip
   * netns exec NS); `compiled` is node-main.ts compiled by compileForNode (starts faster than tsx);
   * `tsScript` another script speaking the same protocol (e.g. shipped-node-main.ts).
   */
  static async start(
    config: Record<string, unknown>,
    prefix: string[] = [],
    compiled?: string,
    tsScript: string = script,
  ): Promise<ChildNode> {
    const entry = compiled === undefined ? ['--import', 'tsx', tsScript] : [compiled]
    const argv = [...prefix, process.execPath, ...entry, JSON.stringify(config)]
    const node = new ChildNode(spawn(defined(argv[0]), argv.slice(1)))
    const ready = await node.waitEvent((e) => e.event === 'ready', 20_000)
    node.peerId = String(ready.peerId)
    node.port = Number(ready.port)
    return node
  }

  /** Sends a command; resolves with its result, rejects with its error. */
  request(command: string, args: Record<string, string> = {}): Promise<unknown> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#replies.delete(id)
        reject(new Error(`no answer to ${command} within 20 s; stderr: ${this.stderr}`))
      }, 20_000)
      const settle = (then: () => void) => {
        clearTimeout(timer)
        then()
      }
      this.#replies.set(id, {
        resolve: (v) => settle(() => resolve(v)),
        reject: (e) => settle(() => reject(e)),
      })
      this.child.stdin.write(`${JSON.stringify({ id, command, ...args })}\n`)
    })
  }

  /** Resolves with the first event (already seen or to come) satisfying `accept`. */
  waitEvent(accept: (e: NodeEvent) => boolean, timeoutMs = 10_000): Promise<NodeEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.events.find(accept)
        if (!found) return false
        clearTimeout(timer)
        this.#watchers.delete(watcher)
        resolve(found)
        return true
      }
      const watcher = (): void => {
        check()
      }
      const timer = setTimeout(() => {
        this.#watchers.delete(watcher)
        reject(
          new Error(
            `no such event within ${timeoutMs} ms; events: ${JSON.stringify(this.events)}; stderr: ${this.stderr}`,
          ),
        )
      }, timeoutMs)
      if (!check()) this.#watchers.add(watcher)
      this.child.once('close', () => {
        if (this.#watchers.delete(watcher)) {
          clearTimeout(timer)
          reject(new Error(`the node exited: ${this.stderr}`))
        }
      })
    })
  }

  /** Stops the node gracefully, or kills it if that fails. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    await Promise.race([this.request('stop').catch(() => {}), new Promise((r) => setTimeout(r, 3000))])
    this.kill('SIGKILL')
    await this.exited
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
  }
}
