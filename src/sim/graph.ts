// Shape of a simulated network's connection graph: degree distribution, connected components
// and diameter (breadth-first searches over the undirected graph of live connections).

/** Each node's neighbours, by node id; edges are undirected (a connection counts for both ends). */
export type Graph = ReadonlyMap<string, ReadonlySet<string>>

/** Builds the undirected graph of `nodes` from each node's list of connected peers (unknown peers ignored). */
export function graphOf(nodes: ReadonlyMap<string, readonly string[]>): Graph {
  const graph = new Map<string, Set<string>>()
  for (const id of nodes.keys()) graph.set(id, new Set())
  for (const [id, peers] of nodes) {
    for (const peer of peers) {
      if (peer === id || !graph.has(peer)) continue
      graph.get(id)!.add(peer)
      graph.get(peer)!.add(id)
    }
  }
  return graph
}

/** How many nodes have each degree: `{ degree: count }`, degrees ascending. */
export function degreeDistribution(graph: Graph): Record<number, number> {
  const counts = new Map<number, number>()
  for (const peers of graph.values()) counts.set(peers.size, (counts.get(peers.size) ?? 0) + 1)
  return Object.fromEntries([...counts].sort((a, b) => a[0] - b[0]))
}

/** Hop distances from `start` to every node it reaches. */
function distancesFrom(graph: Graph, start: string): Map<string, number> {
  const distance = new Map([[start, 0]])
  const queue = [start]
  // An array iterator also visits the elements pushed during the loop: a breadth-first walk.
  for (const node of queue) {
    const d = distance.get(node)!
    for (const next of graph.get(node) ?? []) {
      if (distance.has(next)) continue
      distance.set(next, d + 1)
      queue.push(next)
    }
  }
  return distance
}

/** The number of connected components (0 for an empty graph). */
export function componentCount(graph: Graph): number {
  const seen = new Set<string>()
  let components = 0
  for (const node of graph.keys()) {
    if (seen.has(node)) continue
    components++
    for (const reached of distancesFrom(graph, node).keys()) seen.add(reached)
  }
  return components
}

/** The longest shortest path in hops, or undefined when the graph is empty or not connected. */
export function diameter(graph: Graph): number | undefined {
  if (graph.size === 0) return undefined
  let longest = 0
  for (const node of graph.keys()) {
    const distances = distancesFrom(graph, node)
    if (distances.size < graph.size) return undefined
    for (const d of distances.values()) longest = Math.max(longest, d)
  }
  return longest
}
