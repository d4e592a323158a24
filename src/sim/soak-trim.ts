// The soak's allocator probe: glibc's malloc_trim through ffi-rs, now and then, recording the RSS
// each trim gives back (free C-heap pages the allocator kept resident, not live memory).
import { createRequire } from 'node:module'
import type * as FfiRs from 'ffi-rs'

/**
 * glibc's malloc_trim(0): returns to the system every whole free page of every malloc arena
 * (not only the top of the heap, as free() does). Undefined where there is no such function
 * (musl, macOS, Windows) or ffi-rs cannot load.
 */
export const mallocTrim: (() => void) | undefined = (() => {
  if (process.platform !== 'linux') return undefined
  try {
    const ffi = createRequire(import.meta.url)('ffi-rs') as typeof FfiRs
    ffi.open({ library: 'dune-p2p-libc', path: '' })
    const { malloc_trim } = ffi.define({
      malloc_trim: { library: 'dune-p2p-libc', retType: ffi.DataType.I32, paramsType: [ffi.DataType.I64] },
    })
    return () => {
      malloc_trim([0])
    }
  } catch {
    // musl has no malloc_trim: the symbol lookup throws
    return undefined
  }
})()

/** What the trims did so far. */
export interface MallocTrimStats {
  readonly trims: number
  /** RSS before minus after, summed over the trims (bytes; what the allocator held but did not use). */
  readonly releasedBytes: number
  /** Time spent in malloc_trim, summed and the longest (ms; the event loop waits meanwhile). */
  readonly totalMs: number
  readonly maxMs: number
}

export interface MallocTrimmer {
  stats(): MallocTrimStats
  stop(): void
}

/** Trims every `periodMs` (an unref'd timer) until stopped; undefined when periodMs is 0 or there is no malloc_trim. */
export function startMallocTrim(periodMs: number): MallocTrimmer | undefined {
  const trim = mallocTrim
  if (trim === undefined || !(periodMs > 0)) return undefined
  let trims = 0
  let releasedBytes = 0
  let totalMs = 0
  let maxMs = 0
  const timer = setInterval(() => {
    const before = process.memoryUsage.rss()
    const began = performance.now()
    trim()
    const ms = performance.now() - began
    trims++
    releasedBytes += Math.max(0, before - process.memoryUsage.rss())
    totalMs += ms
    maxMs = Math.max(maxMs, ms)
  }, periodMs)
  timer.unref()
  return {
    stats: () => ({ trims, releasedBytes, totalMs, maxMs }),
    stop: () => clearInterval(timer),
  }
}
