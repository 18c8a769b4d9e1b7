/** Where a hit was answered from. */
export type HitLayer = 'l1' | 'l2'

/** What failed, for `error` events. */
export type ErrorOperation =
  | 'valkey-read'
  | 'valkey-write'
  | 'valkey-lease'
  | 'valkey-connection'
  | 'circuit-open'
  | 'corrupt-entry'
  | 'origin'
  | 'revalidate'
  /**
   * At `connect()`: the server evicts keys without a TTL (`allkeys-*`), which weakens the guarantees of
   * tagged values and values built from objects (see the README); a `CacheConfigError` naming the policy.
   */
  | 'eviction-policy'
  /** Publishing a change for other processes' L1 failed: for that change, their L1 falls back to `l1.ttl`. */
  | 'l1-publish'
  /** The subscription to other processes' changes failed or was lost: L1 is emptied and unused until it is back. */
  | 'l1-subscription'

interface Base {
  /** The S3 key (or `wrap` key) the event is about. */
  key: string
  /** Bucket of an S3 object; absent for `wrap` values. */
  bucket?: string | undefined
  /** Time the operation took, in ms. */
  durationMs: number
}

/**
 * Observability events, as a discriminated union on `type`. Listeners must not throw;
 * anything they throw is swallowed so that metrics can never break a read.
 */
export type CacheEvent =
  | (Base & { type: 'hit'; layer: HitLayer })
  | (Base & { type: 'miss' })
  | (Base & { type: 'stale'; reason: 'revalidate-timeout' | 'origin-error' | 'lease-held' })
  | (Base & { type: 'bypass'; bytes: number })
  | (Base & {
      type: 'load'
      source: 'origin' | 'revalidated' | 'not-found' | 'loader'
      bytes: number
      storedBytes?: number
    })
  | (Omit<Base, 'key'> & { type: 'error'; key?: string | undefined; operation: ErrorOperation; error: Error })

export type CacheEventListener = (event: CacheEvent) => void

/**
 * Calls the listener, never lets it throw into the read path. `undefined` when nobody listens, so
 * callers write `emit?.({ ... })` and a read without a listener builds no event object at all.
 */
export function makeEmitter(listener: CacheEventListener | undefined): CacheEventListener | undefined {
  if (!listener) return undefined
  return (event) => {
    try {
      listener(event)
    } catch {
      // A broken metrics callback must not turn a cache hit into an error.
    }
  }
}
