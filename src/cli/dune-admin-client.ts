#!/usr/bin/env node
// dune-admin-client: Octez-style administration of a running dune-node over its admin RPC
// (docs/RPC.md); human tables by default, --json for scripts; `main(argv)` returns the exit code.
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { type Command, InvalidArgumentError } from 'commander'
import { cookiePath } from '../rpc/cookie.js'
import type { AclAction } from '../rpc/schemas.js'
import { peerLogView, pointLogView } from './admin-history.js'
import { formatLogEvent, readEventStream } from './admin-log.js'
import {
  AdminRpcClient,
  DEFAULT_ADMIN_ENDPOINT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type TokenSource,
} from './admin-rpc-client.js'
import {
  aclView,
  admissionView,
  connectionsView,
  greylistView,
  p2pStatView,
  peersView,
  peerView,
  pointsView,
  pointView,
  scoresView,
} from './admin-views.js'
import { runIfEntryPoint } from './entry-point.js'
import { asQuestion, type CliStreams, newProgram, runProgram } from './program.js'

/** Where the commands write, the environment they read, and what stops `watch log` (besides Ctrl-C). */
export interface AdminCliIo extends CliStreams {
  env?: NodeJS.ProcessEnv
  signal?: AbortSignal | undefined
}

interface GlobalOptions {
  endpoint: string
  json?: boolean
  dataDir?: string
  tokenFile?: string
}

/** An endpoint given as a URL, or as HOST:PORT (then http). */
export function parseEndpoint(value: string): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InvalidArgumentError('expected a URL such as http://127.0.0.1:8732.')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError('expected an http:// or https:// URL.')
  return url.href.replace(/\/+$/, '')
}

function parsePositiveInteger(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer.')
  return n
}

/** The command's global options (`--endpoint`, `--json`), wherever they were written on the line. */
function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>()
}

/**
 * The RPC token: the file of --token-file, else rpc.cookie of --data-dir, $DUNE_NODE_DATA_DIR
 * or ~/.dune-node (what dune-node writes at start); a missing file is no token.
 */
function tokenSourceOf(options: GlobalOptions, env: NodeJS.ProcessEnv): TokenSource {
  const dataDir = options.dataDir ?? (env.DUNE_NODE_DATA_DIR || join(homedir(), '.dune-node'))
  const file = resolve(options.tokenFile ?? cookiePath(dataDir))
  try {
    return { token: readFileSync(file, 'utf8').trim() || undefined, file }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return { token: undefined, file }
    throw new InvalidArgumentError(`cannot read the RPC token ${file}: ${(err as Error).message}`)
  }
}

/** The client of this command; it reads the token when `command` changes the node. */
function clientOf(command: Command, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): AdminRpcClient {
  const options = globals(command)
  return new AdminRpcClient(options.endpoint, {
    timeoutMs,
    token: tokenSourceOf(options, currentEnv),
  })
}

/** The environment of the program being run (set by createProgram: the tests pass their own). */
let currentEnv: NodeJS.ProcessEnv = process.env

/** Writes `value` as JSON with --json, else the human text. */
function output(ctx: AdminCliIo, command: Command, value: unknown, human: () => string): void {
  ctx.stdout.write(globals(command).json ? `${JSON.stringify(value, null, 2)}\n` : human())
}

/** `p2p stat`: the node's figures, connections, known peers and points, as Octez's `p2p stat`. */
function addP2pCommand(program: Command, ctx: AdminCliIo): void {
  program
    .command('p2p')
    .description('the peer-to-peer layer at a glance')
    .command('stat')
    .description('global figures, then the connections, known peers and known points')
    .action(async (_options, command: Command) => {
      const client = clientOf(command)
      const [stat, connections, peers, points] = await Promise.all([
        client.stat(),
        client.connections(),
        client.peers(),
        client.points(),
      ])
      output(ctx, command, { stat, connections, peers, points }, () =>
        p2pStatView(stat, connections, peers, points, Date.now()),
      )
    })
}

/** `list connections | peers | points | greylist | acl | scores`. */
function addListCommand(program: Command, ctx: AdminCliIo): void {
  const list = program
    .command('list')
    .description('list connections, known peers and points, the ACL, the scores')
  list
    .command('connections')
    .description('the active connections with their flows')
    .action(async (_options, command: Command) => {
      const connections = await clientOf(command).connections()
      output(ctx, command, connections, () => connectionsView(connections))
    })
  list
    .command('peers')
    .description('the known peers')
    .action(async (_options, command: Command) => {
      const peers = await clientOf(command).peers()
      output(ctx, command, peers, () => peersView(peers, Date.now()))
    })
  list
    .command('points')
    .description('the known points')
    .action(async (_options, command: Command) => {
      const points = await clientOf(command).points()
      output(ctx, command, points, () => pointsView(points, Date.now()))
    })
  list
    .command('greylist')
    .description('the greylisted IPs and peers')
    .action(async (_options, command: Command) => {
      const greylist = await clientOf(command).greylist()
      output(ctx, command, greylist, () => greylistView(greylist, Date.now()))
    })
  list
    .command('acl')
    .description("the administrator's bans and trusts, and the greylist")
    .action(async (_options, command: Command) => {
      const acl = await clientOf(command).acl()
      output(ctx, command, acl, () => aclView(acl, Date.now()))
    })
  list
    .command('scores')
    .description("every known peer's score and its components, lowest first, with the thresholds")
    .action(async (_options, command: Command) => {
      const scores = await clientOf(command).scores()
      output(ctx, command, scores, () => scoresView(scores))
    })
}

/** `show peer ID | point POINT | admission`. */
function addShowCommand(program: Command, ctx: AdminCliIo): void {
  const show = program
    .command('show')
    .description('one known peer or point in detail, or the admission rules')
  show
    .command('peer <peer_id>')
    .description('a known peer, its score components and the thresholds')
    .option('--log', 'and its last events (connections, refusals, disconnections)')
    .action(async (peerId: string, options: { log?: boolean }, command: Command) => {
      const client = clientOf(command)
      const [peer, scores, log] = await Promise.all([
        client.peer(peerId),
        client.scores(),
        options.log ? client.peerLog(peerId) : undefined,
      ])
      const now = Date.now()
      output(ctx, command, log ? { ...peer, log } : peer, () =>
        log
          ? `${peerView(peer, now, scores.thresholds)}\n${peerLogView(log, now)}`
          : peerView(peer, now, scores.thresholds),
      )
    })
  show
    .command('admission')
    .description('connection slots, per-address and per-subnet limits, eviction rules')
    .action(async (_options, command: Command) => {
      const admission = await clientOf(command).admission()
      output(ctx, command, admission, () => admissionView(admission))
    })
  show
    .command('point <point>')
    .description('a known point (HOST:PORT)')
    .option('--log', 'and its last events (dials, refusals, connections, disconnections)')
    .action(async (point: string, options: { log?: boolean }, command: Command) => {
      const client = clientOf(command)
      const [info, log] = await Promise.all([
        client.point(point),
        options.log ? client.pointLog(point) : undefined,
      ])
      const now = Date.now()
      output(ctx, command, log ? { ...info, log } : info, () =>
        log ? `${pointView(info, now)}\n${pointLogView(log, now)}` : pointView(info, now),
      )
    })
}

/** `connect address POINT`, `kick peer ID`. */
function addConnectionCommands(program: Command, ctx: AdminCliIo): void {
  program
    .command('connect')
    .description('open a connection')
    .command('address <point>')
    .description('dial HOST:PORT and wait for the handshake')
    .option('--timeout <ms>', "the node's dial and handshake timeout", parsePositiveInteger)
    .action(async (point: string, options: { timeout?: number }, command: Command) => {
      const timeoutMs = options.timeout === undefined ? DEFAULT_REQUEST_TIMEOUT_MS : options.timeout + 5000
      const connection = await clientOf(command, timeoutMs).connect(point, options.timeout)
      output(ctx, command, connection, () => `Connected to ${connection.peer_id} at ${point}.\n`)
    })
  program
    .command('kick')
    .description('close a connection')
    .command('peer <peer_id>')
    .description('send Disconnect to a connected peer and close the connection')
    .action(async (peerId: string, _options, command: Command) => {
      const answer = await clientOf(command).kick(peerId)
      output(ctx, command, answer, () => `Kicked ${peerId}.\n`)
    })
}

const ACL_DONE: Record<AclAction, string> = {
  ban: 'Banned',
  unban: 'Unbanned',
  trust: 'Trusted',
  untrust: 'Untrusted',
}

const ACL_HELP: Record<AclAction, string> = {
  ban: 'ban an address or a peer: its connections are closed and refused',
  unban: 'lift the ban of an address or a peer',
  trust: 'trust an address or a peer: never greylisted, dialed first',
  untrust: 'stop trusting an address or a peer',
}

/** `ban | unban | trust | untrust  address ADDR | peer ID`. */
function addAclCommands(program: Command, ctx: AdminCliIo): void {
  for (const action of ['ban', 'unban', 'trust', 'untrust'] as const) {
    const verb = program.command(action).description(ACL_HELP[action])
    verb
      .command('address <address>')
      .description(`${action} an address: HOST:PORT, an IP, or a CIDR prefix`)
      .action(async (address: string, _options, command: Command) => {
        const answer = await clientOf(command).addressAcl(address, action)
        output(ctx, command, answer, () => `${ACL_DONE[action]} ${address}.\n`)
      })
    verb
      .command('peer <peer_id>')
      .description(`${action} a peer id`)
      .action(async (peerId: string, _options, command: Command) => {
        const answer = await clientOf(command).peerAcl(peerId, action)
        output(ctx, command, answer, () => `${ACL_DONE[action]} ${peerId}.\n`)
      })
  }
}

/** The target of `is address banned X` (Octez's order) or `is address X banned`. */
function bannedTarget(first: string, second: string | undefined): string {
  if (first === 'banned' && second !== undefined) return second
  if (second === 'banned') return first
  throw new InvalidArgumentError(
    `expected "banned <target>", got "${[first, second].filter(Boolean).join(' ')}".`,
  )
}

/** `is address banned ADDR`, `is peer banned ID`; exit 0 banned, 1 not banned, 2 error (for scripts). */
function addIsCommand(program: Command, ctx: AdminCliIo): void {
  const is = program
    .command('is')
    .description('ask whether an address or a peer is banned (exit 0: banned, 1: not banned, 2: error)')
    // List the subcommands as they are written (`address banned <address>`), not by their arguments.
    .configureHelp({ subcommandTerm: (command) => `${command.name()} ${command.usage()}` })
  const check = async (
    command: Command,
    target: string,
    ask: (client: AdminRpcClient) => Promise<{ banned: boolean }>,
  ): Promise<boolean> => {
    const answer = await ask(clientOf(command))
    output(ctx, command, answer, () => `${target} is ${answer.banned ? '' : 'not '}banned.\n`)
    return answer.banned
  }
  asQuestion(
    is
      .command('address <banned> [address]')
      .usage('banned <address>')
      .description('is this HOST:PORT, IP or CIDR prefix banned')
      .addHelpText('after', IS_EXIT_HELP),
    (first: string, second: string | undefined, _options: unknown, command: Command) => {
      const address = bannedTarget(first, second)
      return check(command, address, (client) => client.isAddressBanned(address))
    },
  )
  asQuestion(
    is
      .command('peer <banned> [peer_id]')
      .usage('banned <peer_id>')
      .description('is this peer id banned')
      .addHelpText('after', IS_EXIT_HELP),
    (first: string, second: string | undefined, _options: unknown, command: Command) => {
      const peerId = bannedTarget(first, second)
      return check(command, peerId, (client) => client.isPeerBanned(peerId))
    },
  )
}

const IS_EXIT_HELP = `
Exit status: 0 banned, 1 not banned, 2 could not tell (bad argument, node unreachable).
  if dune-admin-client is peer banned idX >/dev/null; then echo banned; fi
`

/** `forget address POINT | peer ID`, `flush greylist`. */
function addForgetCommands(program: Command, ctx: AdminCliIo): void {
  const forget = program.command('forget').description('drop a known point or peer from the tables')
  forget
    .command('address <point>')
    .description('forget a known point (refused while it is in use)')
    .action(async (point: string, _options, command: Command) => {
      const answer = await clientOf(command).forgetPoint(point)
      output(ctx, command, answer, () => `Forgot ${point}.\n`)
    })
  forget
    .command('peer <peer_id>')
    .description('forget a known peer (refused while it is connected)')
    .action(async (peerId: string, _options, command: Command) => {
      const answer = await clientOf(command).forgetPeer(peerId)
      output(ctx, command, answer, () => `Forgot ${peerId}.\n`)
    })
  program
    .command('flush')
    .description('clear a list')
    .command('greylist')
    .description('clear the greylist of IPs and peers')
    .action(async (_options, command: Command) => {
      const answer = await clientOf(command).flushGreylist()
      output(ctx, command, answer, () => `Cleared ${answer.cleared} greylist entries.\n`)
    })
}

/** `watch log`: follows the node's event stream until Ctrl-C, the node closes it, or --count events. */
function addWatchCommand(program: Command, ctx: AdminCliIo): void {
  program
    .command('watch')
    .description('follow the node live')
    .command('log')
    .description("print the node's events as they happen (Ctrl-C stops)")
    .option('--count <n>', 'exit after this many events', parsePositiveInteger)
    .option('--stat-interval <ms>', 'also a stat event at this period', parsePositiveInteger)
    .action(async (options: { count?: number; statInterval?: number }, command: Command) => {
      const { json } = globals(command)
      const stop = new AbortController()
      const onStop = (): void => stop.abort()
      process.once('SIGINT', onStop)
      ctx.signal?.addEventListener('abort', onStop, { once: true })
      let seen = 0
      try {
        const response = await clientOf(command).openLog({
          statIntervalMs: options.statInterval,
          signal: stop.signal,
        })
        for await (const event of readEventStream(response.body!)) {
          ctx.stdout.write(json ? `${JSON.stringify(event)}\n` : `${formatLogEvent(event)}\n`)
          if (options.count !== undefined && ++seen >= options.count) return
        }
        ctx.stderr.write('The node closed the event stream.\n')
      } catch (err) {
        if (!stop.signal.aborted) throw err
      } finally {
        stop.abort()
        process.removeListener('SIGINT', onStop)
        ctx.signal?.removeEventListener('abort', onStop)
      }
    })
}

/** $DUNE_ADMIN_ENDPOINT, else http://127.0.0.1:8732. */
function defaultEndpoint(env: NodeJS.ProcessEnv): string {
  const value = env.DUNE_ADMIN_ENDPOINT
  if (!value) return DEFAULT_ADMIN_ENDPOINT
  try {
    return parseEndpoint(value)
  } catch (err) {
    throw new InvalidArgumentError(`DUNE_ADMIN_ENDPOINT: ${(err as Error).message}`)
  }
}

/** The dune-admin-client program; errors and help go through `ctx`, never process.exit. */
export function createProgram(ctx: AdminCliIo): Command {
  currentEnv = ctx.env ?? process.env
  const program = newProgram('dune-admin-client', ctx)
    .description('administer a running dune-node through its admin RPC')
    .option(
      '--endpoint <url>',
      'admin RPC of the node (or $DUNE_ADMIN_ENDPOINT)',
      parseEndpoint,
      defaultEndpoint(ctx.env ?? process.env),
    )
    .option('--json', 'print the JSON answers of the node instead of tables')
    .option(
      '--data-dir <DIR>',
      "the node's data dir, whose rpc.cookie holds the token of the changing commands (default: $DUNE_NODE_DATA_DIR or ~/.dune-node)",
    )
    .option('--token-file <FILE>', 'read the RPC token from FILE instead (e.g. a copy of rpc.cookie)')
  addP2pCommand(program, ctx)
  addListCommand(program, ctx)
  addShowCommand(program, ctx)
  addConnectionCommands(program, ctx)
  addAclCommands(program, ctx)
  addIsCommand(program, ctx)
  addForgetCommands(program, ctx)
  addWatchCommand(program, ctx)
  return program
}

/** Runs dune-admin-client with `argv` (the arguments after the program name); resolves to the exit code. */
export async function main(
  argv: string[],
  io: AdminCliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  return runProgram('dune-admin-client', () => createProgram(io), argv, io.stderr)
}

runIfEntryPoint(import.meta.url, main)
