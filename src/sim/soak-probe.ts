// What the soak samples of its own process: memory as the OS, V8 and node account for it (heap
// spaces, code, external memory, the anonymous memory no one accounts for), handles, files, threads.
import { readdirSync, readFileSync } from 'node:fs'
import { getHeapCodeStatistics, getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** One V8 heap space (new, old, code, large object...), bytes. */
export interface HeapSpaceSample {
  readonly used: number
  /** Resident pages of the space. */
  readonly physical: number
}

/** The process at one instant. */
export interface ProcessSample {
  /** process.memoryUsage(), bytes. */
  readonly rss: number
  readonly heapUsed: number
  readonly heapTotal: number
  readonly external: number
  readonly arrayBuffers: number
  /** V8's resident heap pages (v8.getHeapStatistics().total_physical_size). */
  readonly heapPhysical: number
  /** What V8 itself holds through malloc (zones, tables; not the JS heap). */
  readonly v8Malloced: number
  /** Per heap space, by V8's name (new_space, old_space, code_space, large_object_space...). */
  readonly heapSpaces: Readonly<Record<string, HeapSpaceSample>>
  /** v8.getHeapCodeStatistics(): code and bytecode with their metadata, script sources outside the heap. */
  readonly code: { readonly machine: number; readonly bytecode: number; readonly externalSources: number }
  /** /proc/self/status: anonymous and file-backed resident memory, bytes; null without /proc. */
  readonly rssAnon: number | null
  readonly rssFile: number | null
  /** Anonymous resident memory neither V8's heap nor node's external memory accounts for: the C heap of node, libuv, OpenSSL, addons (rssAnon − heapPhysical − external; rss when there is no /proc). */
  readonly untracked: number
  /** Threads of the process; null without /proc. */
  readonly threads: number | null
  /** process.getActiveResourcesInfo().length: sockets, servers, timers, pending requests. */
  readonly handles: number
  /** Those resources by type. */
  readonly resources: Readonly<Record<string, number>>
  /** Entries of /proc/self/fd; null where there is no /proc. */
  readonly fds: number | null
}

/** V8's full collection: `gc` when node runs with --expose-gc, else exposed now. */
export function fullCollection(): () => void {
  if (globalThis.gc) return globalThis.gc
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

/** Open file descriptors of this process, or null without /proc. */
function openFds(): number | null {
  try {
    return readdirSync('/proc/self/fd').length
  } catch {
    return null
  }
}

/** RssAnon, RssFile (bytes) and Threads of /proc/self/status; nulls without /proc. */
function procStatus(): { rssAnon: number | null; rssFile: number | null; threads: number | null } {
  let status: string
  try {
    status = readFileSync('/proc/self/status', 'latin1')
  } catch {
    return { rssAnon: null, rssFile: null, threads: null }
  }
  const field = (name: string): number | null => {
    const m = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)
    return m ? Number(m[1]) : null
  }
  const kib = (v: number | null) => (v === null ? null : v * 1024)
  return { rssAnon: kib(field('RssAnon')), rssFile: kib(field('RssFile')), threads: field('Threads') }
}

/** How many resources of each type. */
function countByType(types: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const type of types) counts[type] = (counts[type] ?? 0) + 1
  return counts
}

/** Samples this process now. */
export function probeProcess(): ProcessSample {
  const memory = process.memoryUsage()
  const heap = getHeapStatistics()
  const code = getHeapCodeStatistics()
  const heapSpaces: Record<string, HeapSpaceSample> = {}
  for (const s of getHeapSpaceStatistics()) {
    heapSpaces[s.space_name] = { used: s.space_used_size, physical: s.physical_space_size }
  }
  const status = procStatus()
  const resources = process.getActiveResourcesInfo()
  return {
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    external: memory.external,
    arrayBuffers: memory.arrayBuffers,
    heapPhysical: heap.total_physical_size,
    v8Malloced: heap.malloced_memory,
    heapSpaces,
    code: {
      machine: code.code_and_metadata_size,
      bytecode: code.bytecode_and_metadata_size,
      externalSources: code.external_script_source_size,
    },
    ...status,
    untracked: (status.rssAnon ?? memory.rss) - heap.total_physical_size - memory.external,
    handles: resources.length,
    resources: countByType(resources),
    fds: openFds(),
  }
}
