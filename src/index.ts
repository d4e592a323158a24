// The public API of dune-p2p in one import: the wire format, the crypto and identities, the
// I/O scheduler and queues, and authenticated connections.
// The types use Node's (Buffer, sockets): this directive, kept in dist/index.d.ts, loads them for
// consumers whose tsconfig lists no "types" (TypeScript 6 and later include no @types by default).
/// <reference types="node" preserve="true" />

export { identityFilePath, readIdentityFile, writeIdentityFile } from './crypto/identity-file.js'
export * from './crypto/index.js'
export { DuneP2pError, isDuneP2pError } from './errors/index.js'
export { BoundedQueue, type BoundedQueueOptions } from './io/bounded-queue.js'
export { QueueClosedError, SchedulerClosedError } from './io/errors.js'
export { FlowMeter, FlowRegistry } from './io/flow-meter.js'
export {
  DEFAULT_READ_BUFFER_SIZE,
  type IoHandle,
  IoScheduler,
  type IoSchedulerOptions,
  type IoStats,
  LIMITED_READ_BUFFER_SIZE,
  scoreToWeight,
} from './io/scheduler.js'
export * from './p2p.js'
export * from './socket/index.js'
export * from './wire/index.js'
