// Keeps the pool's state in DATA_DIR/peers.json: loads it at start (a corrupt file is moved
// aside, not fatal) and saves it atomically, one write at a time, coalescing bursts of saves.
import { lstat, mkdir, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { DuneP2pError } from '../../errors/index.js'
import { removeStaleTempFiles, writeFileAtomic } from '../../io/atomic-file.js'
import { type Clock, systemClock, type TimerHandle } from '../../io/clock.js'
import {
  emptyPoolState,
  type PoolState,
  parseStateFile,
  StateFileError,
  stateFileText,
} from './state-schema.js'

export const STATE_FILE_NAME = 'peers.json'
/** How long writes are coalesced (the library config's saveDelayMs default). */
export const DEFAULT_SAVE_DELAY_MS = 1000

/** What the store reports: pino's `logger.warn(fields, message)` fits. */
export interface StateStoreLogger {
  warn(fields: Record<string, unknown>, message: string): void
}

export interface StateStoreOptions {
  /** Name of the file in the data folder; default peers.json. */
  fileName?: string
  logger?: StateStoreLogger | undefined
  /** How long `scheduleSave` waits before writing; default 1000 ms. */
  saveDelayMs?: number
  /** The timer of `scheduleSave` (default systemClock). */
  clock?: Clock
}

export interface LoadResult {
  state: PoolState
  /** `missing`: no file yet; `corrupt`: the file was unusable (see `error`), an empty state is returned. */
  status: 'loaded' | 'missing' | 'corrupt'
  /** Where a corrupt file was moved (`peers.json.corrupt-<UTC time>`); undefined if moving it failed. */
  movedTo?: string | undefined
  error?: StateFileError
}

/** The state file exists but cannot be read (permissions, I/O error, data dir not a folder) (code `DUNE_STATE_READ`). */
export class StateReadError extends DuneP2pError {
  readonly path: string

  constructor(path: string, options: { cause: unknown }) {
    super('DUNE_STATE_READ', `cannot read ${path}: ${(options.cause as Error).message}`, options)
    this.path = path
  }
}

/**
 * Saving the state failed (code `DUNE_STATE_WRITE`); the file on disk still holds a whole state,
 * the previous one (or the new one if only the final folder sync failed). `errno` is the system error (`ENOSPC`, `EACCES`, `EROFS`, ...), undefined when the
 * state itself could not be turned into JSON.
 */
export class StateWriteError extends DuneP2pError {
  readonly path: string
  readonly errno: string | undefined

  constructor(path: string, message: string, options: { cause: unknown; errno?: string | undefined }) {
    super('DUNE_STATE_WRITE', message, options)
    this.path = path
    this.errno = options.errno
  }
}

interface PendingWrite {
  state: PoolState
  done: Promise<void>
  resolve(): void
  reject(err: unknown): void
}

/**
 * The pool's state file. One store per file: it alone writes it. `save` writes one state at a
 * time; saves asked for during a write are coalesced into one write of the latest state after
 * it. A state is read (serialized) when its write starts, not when `save` is called, and
 * written as JSON.stringify sees it: pass plain objects of the PoolState types.
 */
export class StateStore {
  readonly path: string
  private readonly dataDir: string
  private readonly logger: StateStoreLogger | undefined
  private readonly saveDelayMs: number
  /** The next write, waiting for the running one; later saves replace its state. */
  private queued: PendingWrite | undefined
  /** The running write, or the last one that ran. */
  private lastWrite: Promise<void> = Promise.resolve()
  private writing = false
  private scheduled: PoolState | undefined
  private timer: TimerHandle | undefined
  private readonly clock: Clock

  constructor(
    dataDir: string,
    { fileName = STATE_FILE_NAME, logger, saveDelayMs, clock = systemClock }: StateStoreOptions = {},
  ) {
    this.dataDir = dataDir
    this.clock = clock
    this.path = join(dataDir, fileName)
    this.logger = logger
    this.saveDelayMs = saveDelayMs ?? DEFAULT_SAVE_DELAY_MS
  }

  /**
   * Reads the state. Temp files left by an interrupted write are deleted first. A corrupt file
   * (not JSON, truncated, unknown version, bad field) is reported in the result and a warning,
   * moved aside and replaced by an empty state. Throws StateReadError if the file cannot be read.
   */
  async load(): Promise<LoadResult> {
    await this.idle()
    await this.removeTempFiles()
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return { state: emptyPoolState(), status: 'missing' }
      throw new StateReadError(this.path, { cause: err })
    }
    try {
      return { state: parseStateFile(text), status: 'loaded' }
    } catch (err) {
      if (!(err instanceof StateFileError)) throw err
      const movedTo = await this.moveAside()
      this.logger?.warn(
        { path: this.path, movedTo, code: err.code, field: err.field },
        `${this.path} is unusable (${err.message}); ${movedTo ? `moved to ${movedTo}` : 'it could not be moved aside'}, starting with an empty state`,
      )
      return { state: emptyPoolState(), status: 'corrupt', movedTo, error: err }
    }
  }

  /**
   * Writes `state` atomically (the file holds the old state or the new, never a mix). Resolves
   * once a write holding this state, or a later one, is on disk; rejects with StateWriteError.
   */
  save(state: PoolState): Promise<void> {
    this.cancelScheduled()
    if (this.queued) {
      this.queued.state = state
      return this.queued.done
    }
    let resolve!: () => void
    let reject!: (err: unknown) => void
    const done = new Promise<void>((res, rej) => {
      resolve = res
      reject = rej
    })
    this.queued = { state, done, resolve, reject }
    if (!this.writing) void this.writeQueued()
    return done
  }

  /**
   * Saves `state` within `saveDelayMs`, for frequent updates: calls before the write only
   * replace the state to write. A failure is logged (and reported by the next `flush`).
   */
  scheduleSave(state: PoolState): void {
    this.scheduled = state
    this.timer ??= this.clock.setTimeout(() => {
      const latest = this.scheduled!
      this.timer = undefined
      this.scheduled = undefined
      this.save(latest).catch((err) => {
        this.logger?.warn({ path: this.path, code: err.code, errno: err.errno }, (err as Error).message)
      })
    }, this.saveDelayMs)
  }

  /**
   * Writes a scheduled state now and waits for every write asked for; rejects with the
   * StateWriteError of the last write if it failed (the latest state is then not on disk).
   */
  flush(): Promise<void> {
    if (this.timer) {
      const latest = this.scheduled!
      this.cancelScheduled()
      return this.save(latest)
    }
    return this.queued?.done ?? this.lastWrite
  }

  private cancelScheduled(): void {
    this.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.scheduled = undefined
  }

  private async writeQueued(): Promise<void> {
    this.writing = true
    while (this.queued) {
      const write = this.queued
      this.queued = undefined
      this.lastWrite = write.done
      try {
        await this.write(write.state)
        write.resolve()
      } catch (err) {
        write.reject(err)
      }
    }
    this.writing = false
  }

  private async write(state: PoolState): Promise<void> {
    let text: string
    try {
      text = stateFileText(state)
    } catch (err) {
      throw new StateWriteError(this.path, `cannot write the state as JSON: ${(err as Error).message}`, {
        cause: err,
      })
    }
    try {
      await mkdir(this.dataDir, { recursive: true, mode: 0o700 })
      await writeFileAtomic(this.path, text, { mode: 0o600 })
    } catch (err) {
      const system = (err instanceof DuneP2pError ? err.cause : err) as NodeJS.ErrnoException
      throw new StateWriteError(this.path, `could not save ${this.path}: ${system.message}`, {
        cause: err,
        errno: system.code,
      })
    }
  }

  /** Waits until no write is running (whatever their outcome). */
  private async idle(): Promise<void> {
    while (this.writing) await this.lastWrite.catch(() => {})
  }

  private async removeTempFiles(): Promise<void> {
    try {
      const removed = await removeStaleTempFiles(this.path)
      if (removed.length > 0) {
        this.logger?.warn(
          { path: this.path, removed },
          `removed ${removed.length} temp file(s) left by an interrupted write of ${this.path}`,
        )
      }
    } catch (err) {
      this.logger?.warn(
        { path: this.path },
        `cannot clean temp files beside ${this.path}: ${(err as Error).message}`,
      )
    }
  }

  /** Renames the file to `<path>.corrupt-<UTC time>` (never over another file); undefined if that fails. */
  private async moveAside(): Promise<string | undefined> {
    const base = `${this.path}.corrupt-${new Date().toISOString().replace(/[-:.]/g, '')}`
    try {
      let target = base
      for (let n = 2; await exists(target); n++) target = `${base}-${n}`
      await rename(this.path, target)
      return target
    } catch (err) {
      this.logger?.warn({ path: this.path }, `cannot move ${this.path} aside: ${(err as Error).message}`)
      return undefined
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}
