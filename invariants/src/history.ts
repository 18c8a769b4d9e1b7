// What a run did, as the model judges it: every call with when it began and ended (the shared
// monotonic clock), every version S3 held, and every fault.

import type { Delivery, Settings } from './program'
import type { LoaderRun, ObjectAnswer } from './protocol'
import type { ReadAs } from './values'

/** One version of an object in S3: a body, or `null` once deleted. Version 0 is "never written". */
export interface S3Version {
  version: number
  body: string | null
  /** The write that made it: by a worker's `put`, or outside the library. */
  by: 'put' | 'outside'
  worker?: number | undefined
  start: number
  end: number
  /**
   * `ok`: S3 and the cache both took it. `cache-failed`: S3 took it, the cache reported CacheWriteError.
   * `maybe`: the call failed; S3 may or may not hold it. `outside`: S3 took it, the cache was not told.
   */
  outcome: 'ok' | 'cache-failed' | 'maybe' | 'outside'
  /** For a put: whether it was published for other processes' L1 (no `l1-publish` failure during it). */
  published?: boolean | undefined
}

export type CallRecord =
  | {
      kind: 'read'
      worker: number
      key: string
      as: ReadAs
      start: number
      end: number
      status?: string | undefined
      object?: ObjectAnswer | undefined
      error?: { name: string; message: string; typed: boolean } | undefined
    }
  | {
      kind: 'wrap'
      worker: number
      name: string
      start: number
      end: number
      status?: string | undefined
      value?: { run: string; digest: string } | undefined
      error?: { name: string; message: string; typed: boolean } | undefined
    }
  | {
      kind: 'invalidate'
      worker: number
      key: string
      start: number
      end: number
      ok: boolean
      published: boolean
    }
  | {
      kind: 'invalidateTags'
      worker: number
      tags: string[]
      start: number
      end: number
      ok: boolean
      published: boolean
    }
  /** An S3 event for `version` of `key`, handed to a worker's invalidator. */
  | {
      kind: 'event'
      worker: number
      key: string
      version: number
      delivery: Delivery
      start: number
      end: number
      applied: boolean
      published: boolean
    }
  | { kind: 'fault'; what: string; start: number; end: number }

export interface History {
  run: number
  settings: Settings
  /** Versions per S3 key, in the order they were written (writes to one key never overlap). */
  versions: Map<string, S3Version[]>
  calls: CallRecord[]
  /** Every loader run, by id. */
  runs: Map<string, LoaderRun>
  /** Error events and unhandled rejections the workers reported (`worker: text`). */
  events: string[]
  evicted: number
}

/** The history as JSON (a violation's whole run, for `--dump`). */
export function dumpHistory(history: History): string {
  return JSON.stringify(
    { ...history, versions: Object.fromEntries(history.versions), runs: Object.fromEntries(history.runs) },
    null,
    1,
  )
}
