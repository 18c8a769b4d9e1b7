// The messages between the runner and its workers (one cache per worker process), and the clock both
// sides stamp them with.
import type { ReadAs } from './values'

/**
 * Milliseconds on the machine's monotonic clock (CLOCK_MONOTONIC, the same in every process here), so a
 * worker's stamps and the runner's compare directly. It keeps counting while a process is stopped.
 */
export function now(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000
}

/** How a worker reaches Valkey: a URL for iovalkey, or GLIDE client settings. */
export type ValkeyAccess =
  | { client: 'iovalkey'; url: string }
  | { client: 'glide' | 'glide-bytes'; cluster: boolean; addresses: { host: string; port: number }[] }

/** The cache options of one worker in one run (JSON only: it crosses a process boundary). */
export interface CacheSettings {
  ttl: number
  staleTtl: number
  negativeTtl: number
  jitter: number
  l1: false | { ttl: number }
  shareParsed: boolean
  lock: { ttl: number; wait: number }
  timeouts: { valkey: number; s3: number; revalidate: number }
}

export interface WorkerSetup {
  worker: number
  run: number
  keyPrefix: string
  bucket: string
  /** S3, through the fault proxy. */
  s3Endpoint: string
  valkey: ValkeyAccess
  cache: CacheSettings
  /**
   * For the checker's own test: the worker answers reads from a map of its own that no change ever
   * reaches, so the checker must find stale answers.
   */
  sabotage?: 'stale-reads' | undefined
}

export type Request =
  | { op: 'setup'; setup: WorkerSetup }
  /** `stall`: block the event loop for that many ms twice before the read (see the `stall` step). */
  | { op: 'read'; key: string; as: ReadAs; stall?: number }
  | { op: 'wrap'; name: string }
  | { op: 'put'; key: string; body: string; tags: string[] }
  | { op: 'invalidate'; key: string }
  | { op: 'invalidateTags'; tags: string[] }
  | { op: 'event'; key: string; type: 'created' | 'removed'; sequencer: string }

/** What a read of an object answered: its version (0: not found) and the digest of what it got. */
export interface ObjectAnswer {
  version: number
  digest: string
}

/** A read an answer depends on: an object read by a loader, with when and how it was answered. */
export interface DependencyRead {
  key: string
  version: number
  status: string
  start: number
  end: number
}

/** A `wrap` loader run, reported as it finishes (before any answer that carries its value). */
export interface LoaderRun {
  id: string
  name: string
  worker: number
  began: number
  /** Objects it read, and the value it read through the chain (`nested`). */
  reads: DependencyRead[]
  nested?: string | undefined
  tags: string[]
  /** Digest of the canonical value it returned. */
  digest: string
}

export interface Reply {
  id: number
  start: number
  end: number
  /** `undefined` when the call threw. */
  status?: string | undefined
  object?: ObjectAnswer | undefined
  /** For `wrap`: the loader run whose value was answered, and the digest of the value as received. */
  value?: { run: string; digest: string } | undefined
  /** For an S3 event: how the invalidator took it. */
  event?: { applied: number; ignored: number; failed: number } | undefined
  /** `name: message` of a thrown error, and whether it is one of the library's typed errors. */
  error?: { name: string; message: string; typed: boolean } | undefined
  /** For a change: `false` when publishing a change for other processes' L1 failed during the call. */
  published?: boolean | undefined
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'reply'; reply: Reply }
  | { type: 'run'; run: LoaderRun }
  | { type: 'event'; event: string }
