// The import rules of src/, checked by `npm run deps` (part of `npm test`): no circle among files
// or folders, and one rule per layer of the one-way stack below forbidding imports from above it.
//
// The stack, bottom to top (a layer may import only the layers it lists in `uses`, and those
// layers' own `uses`, so never one above it nor a sibling it does not name):
//   errors       src/errors.ts or src/errors/: DuneP2pError and the DUNE_* codes
//   io           queues, meters, the I/O scheduler, the clock, atomic files (imports errors only)
//   wire         the binary encodings and the P2P message set (may use io)
//   crypto       keys, nonces, the chunk cipher, identities and their file (uses io for the
//                atomic file; may use wire)
//   octez        the Octez shell message set, a message set on top of wire; only the shell and
//                above use it, the P2P stack (socket .. entry) never does
//   socket       one authenticated, encrypted connection
//   acl          greylists, bans, address classes
//   pool         connections, points and peers, their admission, scores, persistence (pool/persistence)
//   workers      maintenance, welcome, local discovery
//   entry        src/p2p.ts, src/p2p-application.ts, src/maintenance-adapter.ts, src/index.ts: the P2p API
//   shell        gossip and the observer (src/shell)
//   rpc          the admin RPC server
//   node         the dune-node daemon and its config
//   cli, sim     the command-line tools and the simulator: top, neither imports the other
// Type-only imports count like any other (tsPreCompilationDeps).
//
// Circles: `no-circular` finds them among files. Among folders, the layer rules already forbid
// every import from a layer to one above it or beside it, so folders of different layers cannot
// form a circle; `no-circular-folders` (dependency-cruiser's folder scope) still checks the
// folders themselves, so a circle shows as one even where a layer holds several folders. A folder
// counts its subfolders (src/pool holds src/pool/persistence, and src holds every file), so the
// files at the root of src and a folder with its own subfolder are left to the file-level rule.

/** A path pattern for each layer (a module belongs to the first layer whose pattern it matches). */
const LAYER_PATHS = {
  errors: '^src/errors(\\.ts$|/)',
  io: '^src/io/',
  wire: '^src/wire/',
  crypto: '^src/crypto/',
  octez: '^src/octez/',
  socket: '^src/socket/',
  acl: '^src/acl/',
  pool: '^src/pool/',
  workers: '^src/workers/',
  entry: '^src/(p2p|p2p-application|maintenance-adapter|index)\\.ts$',
  shell: '^src/shell/',
  rpc: '^src/rpc/',
  node: '^src/node/',
  cli: '^src/cli/',
  sim: '^src/sim/',
}

/** The layers each layer imports directly; what they use, it may use too. */
const LAYER_USES = {
  errors: [],
  io: ['errors'],
  wire: ['io'],
  crypto: ['wire'],
  octez: ['crypto'],
  socket: ['crypto'],
  acl: ['socket'],
  pool: ['acl'],
  workers: ['pool'],
  entry: ['workers'],
  shell: ['entry', 'octez'],
  rpc: ['shell'],
  node: ['rpc'],
  cli: ['node'],
  sim: ['node'],
}

/** Every layer below `layer` (what it may import), found by following `uses` down. */
function layersBelow(layer, seen = new Set()) {
  for (const used of LAYER_USES[layer]) {
    if (seen.has(used)) continue
    seen.add(used)
    layersBelow(used, seen)
  }
  return seen
}

const ALL_LAYERS = Object.values(LAYER_PATHS)

/** One rule per layer: from the layer, no import of a src module outside it and its layers below. */
const layerRules = Object.keys(LAYER_PATHS).map((layer) => {
  const below = [...layersBelow(layer)]
  const allowed = [layer, ...below].map((name) => LAYER_PATHS[name])
  const forbidden = Object.keys(LAYER_PATHS).filter((name) => name !== layer && !below.includes(name))
  return {
    name: `layer-${layer}`,
    comment: `${layer} (${LAYER_PATHS[layer]}) imports ${below.length ? `only from ${below.join(', ')}` : 'no other layer'}; never from ${forbidden.join(', ')}`,
    severity: 'error',
    from: { path: LAYER_PATHS[layer] },
    to: { path: '^src/', pathNot: allowed },
  }
})

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a file reaches itself through its imports (type-only imports included)',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      comment:
        'a folder reaches itself through the imports of its files (a folder counts its subfolders: ' +
        'src/pool holds src/pool/persistence)',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'layer-unknown',
      comment: 'a src module in no layer: add its folder to LAYER_PATHS and LAYER_USES',
      severity: 'error',
      from: { path: '^src/', pathNot: ALL_LAYERS },
      to: {},
    },
    {
      name: 'layer-unknown-target',
      comment: 'an import of a src module in no layer: add its folder to LAYER_PATHS and LAYER_USES',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/', pathNot: ALL_LAYERS },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that does not resolve escapes every other rule',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports (import type, export type) are dependencies too.
    tsPreCompilationDeps: true,
  },
}
