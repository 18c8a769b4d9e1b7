/**
 * The public shapes of the cache: what callers pass and get back. A leaf module: the read and write
 * paths, `s3-events/`, the CLI and the middy package depend on it, and it depends on none of them.
 */
import type { CodecName } from './compression'
import type { Duration } from './duration'
import type { InferOutput, StandardSchemaV1 } from './schema'

/**
 * How an answer was produced: `hit` from L1 or Valkey, `miss` loaded from S3 (or the loader) and
 * stored, `stale` served past fresh while S3 was slow or failing, `bypass` loaded without the cache:
 * too large to store, or Valkey could not be used (down, refusing, circuit open).
 */
export type ReadStatus = 'hit' | 'miss' | 'stale' | 'bypass'

/** Per-call options of `get`, `getText` and `getJson`. */
export interface GetOptions {
  /** Default: the cache's `bucket`. */
  bucket?: string
  /** Fresh time of an entry this call stores. Default: the cache's `ttl`. */
  ttl?: Duration
  /** Skip L1 and Valkey and load from S3 (the result is stored). Default `false`. */
  forceRefresh?: boolean
  /**
   * Stops waiting when it aborts: the call rejects at once with the signal's reason (`AbortError`,
   * `TimeoutError`). The S3 request is aborted, any lease released and nothing stored once no other
   * caller waits for the same read. Default: none.
   */
  signal?: AbortSignal
}

/** An S3 object as the cache returns it. */
export interface CachedObject {
  bucket: string
  key: string
  body: Uint8Array
  contentType?: string | undefined
  etag?: string | undefined
  lastModified?: Date | undefined
  /** S3 user metadata (`x-amz-meta-*`). */
  metadata: Record<string, string>
  /** How the answer was produced (see {@link ReadStatus}). */
  status: ReadStatus
}

export interface PutOptions {
  /** Default: the cache's `bucket`. */
  bucket?: string
  contentType?: string
  cacheControl?: string
  metadata?: Record<string, string>
  /** Fresh time of the new entry. Default: the cache's `ttl`. */
  ttl?: Duration
  /**
   * Tags of the object's entry: `invalidateTags` of any of them removes it. Kept with the object in S3
   * (user metadata `cache-tags`), so the entry keeps them when any process loads it again. At most 64
   * tags, each a non-empty string of up to 1024 bytes, 1 KB of metadata in all. Default: none.
   */
  tags?: readonly string[]
}

export interface WrapOptions {
  /** Default: the cache's `ttl`. */
  ttl?: Duration
  /** Default: the cache's `staleTtl`. */
  staleTtl?: Duration
  /** Run the loader even when an entry exists. Default `false`. */
  forceRefresh?: boolean
  /** Receives how the value was produced (see {@link ReadStatus}), before `wrap` resolves. Default: none. */
  onStatus?: (status: ReadStatus) => void
  /** As for `get`; the loader receives a signal that aborts once no caller waits any more. Default: none. */
  signal?: AbortSignal
  /**
   * Tags of the stored value (the loader may add more with `setTags`); see `PutOptions.tags`. Tags belong
   * to the key: concurrent `wrap`s of one key share one load (in a process, and across processes through
   * the lease), and the value is stored with the tags of the call that computed it, so give every call of
   * a key the same tags, or set them in the loader. Default: none.
   */
  tags?: readonly string[]
}

/** What a `wrap` loader receives, to adapt what is cached to what it loaded. */
export interface WrapLoaderContext {
  /** Aborts when every caller waiting for this load has given up (their `signal`s): stop and throw. */
  signal: AbortSignal
  /** Stores the value for this long instead of the call's `ttl` (a `Duration`: `500`, `'30s'`, `'5m'`). */
  setTtl(ttl: Duration): void
  /** Adds tags to the stored value, besides the call's `tags`: `invalidateTags` of any of them removes it. */
  setTags(tags: readonly string[]): void
  /** Returns the value to the callers without storing it (status `bypass`). */
  skip(): void
  /**
   * This cache, for the loader's own reads: every object (or `wrap` value) read through it becomes a
   * dependency of the value being loaded, which is then removed whenever one of them is put,
   * invalidated (S3 events included) or removed by tag, and not stored at all if one changed while it
   * was loading. Its reads pass {@link signal} unless they are given their own.
   */
  cache: S3Cache
}

/** A function, a symbol or `undefined`: what JSON drops from an object (and writes as `null` in an array). */
type Dropped = ((...args: never[]) => unknown) | symbol | undefined

/**
 * What a value becomes through JSON, which is what `wrap` returns to its readers (bytes stay bytes): a
 * `Date` (anything with `toJSON`) becomes what `toJSON` returns, a `Map` or a `Set` an empty object, and
 * functions, symbols and `undefined` go (become `null` in arrays).
 */
export type Jsonified<T> = T extends Uint8Array
  ? T
  : T extends { toJSON(): infer J }
    ? Jsonified<J>
    : T extends string | number | boolean | null
      ? T
      : T extends Dropped | bigint
        ? never
        : T extends readonly (infer E)[]
          ? (E extends Dropped ? null : Jsonified<E>)[]
          : T extends ReadonlyMap<unknown, unknown> | ReadonlySet<unknown>
            ? Record<string, never>
            : T extends object
              ? { [K in keyof T as T[K] extends Dropped ? never : K]: Jsonified<T[K]> }
              : never

/** A value `wrap` can store: anything JSON can represent, or bytes. */
export type WrapValue =
  | Uint8Array
  | string
  | number
  | boolean
  | null
  | readonly unknown[]
  | { readonly [key: string]: unknown }

export interface InvalidateOptions {
  /** Default: the cache's `bucket`. */
  bucket?: string
  /**
   * The S3 event's `sequencer` (hex, any case). The invalidation is skipped only when it is certainly not
   * newer than the last one applied to this object: the same length and not greater (a duplicate or a
   * late event). A sequencer whose length differs from the last applied one is always applied and
   * recorded, since S3's guides disagree on how to pad, and an extra invalidation costs one reload.
   * Anything but hex digits throws `CacheConfigError`. Resolves to `false` when skipped. Default: none
   * (always remove).
   */
  sequencer?: string
}

/** Options of `cache.warm`. */
export interface WarmOptions {
  /** Warm the objects whose keys start with this (ListObjectsV2, paginated). Default: the whole bucket. */
  prefix?: string
  /**
   * Warm exactly these keys instead of listing the bucket. An object over `maxObjectBytes` is skipped
   * by the size S3 announces, before its body is read. Default: none (list).
   */
  keys?: readonly string[]
  /** Default: the cache's `bucket`. */
  bucket?: string
  /** Objects read at once. Default `8`. */
  concurrency?: number
  /** Called after each object, and once when the listing has ended. Default: none. */
  onProgress?: (progress: WarmProgress) => void
}

/** What `cache.warm` did. */
export interface WarmResult {
  /** Objects loaded from S3 and stored. */
  loaded: number
  /** Objects left alone: entry already fresh, larger than `maxObjectBytes`, or being loaded by another process. */
  skipped: number
  /** Objects that could not be loaded (missing, S3 error); the first 20 are in `errors`. */
  failed: number
  /** Body bytes loaded from S3 (before compression). */
  bytes: number
  errors: { key: string; error: Error }[]
}

/** Progress of `cache.warm`: counts so far, and `total` known so far (it grows while `listing`). */
export interface WarmProgress extends Omit<WarmResult, 'errors'> {
  done: number
  total: number
  /** Whether more pages of the listing may follow (then `total` is not final yet). */
  listing: boolean
}

/** What `cache.inspect` found in Valkey for one object, read with one GET and without loading anything. */
export type EntryInspection =
  | { present: false; valkeyKey: string }
  | {
      present: true
      valkeyKey: string
      /** `object`: a cached S3 object; `missing`: a cached NoSuchKey (negative entry). */
      kind: 'object' | 'missing'
      /** `fresh` until `freshUntil`, then `stale` (served while revalidating) until `staleUntil`, then `expired`. */
      state: 'fresh' | 'stale' | 'expired'
      etag: string | undefined
      contentType: string | undefined
      lastModified: Date | undefined
      freshUntil: Date
      staleUntil: Date
      /** Bytes the entry takes in Valkey: header plus stored (possibly compressed) body. */
      storedBytes: number
      /** Body bytes before compression. */
      bodyBytes: number
      codec: CodecName
    }
  /** A value the cache cannot read (foreign, truncated, other format version, unknown codec): the next read replaces it. */
  | { present: true; valkeyKey: string; kind: 'corrupt'; reason: string; storedBytes: number }

export interface S3Cache {
  /** Reads an object through L1 → Valkey → S3. Throws `ObjectNotFoundError` when it does not exist. */
  get(key: string, options?: GetOptions): Promise<CachedObject>
  /** `get`, with the body decoded as UTF-8. */
  getText(key: string, options?: GetOptions): Promise<string>
  /** `get`, with the body parsed as JSON and validated by any Standard Schema (zod 4, valibot, …). */
  getJson<S extends StandardSchemaV1>(key: string, schema: S, options?: GetOptions): Promise<InferOutput<S>>
  getJson<T = unknown>(key: string, schema?: undefined, options?: GetOptions): Promise<T>
  /** Cache-aside for computed values: returns the cached value of `key`, or runs `loader` once (per process, and across processes under the lease) and caches its result. */
  wrap<T extends WrapValue>(
    key: string,
    loader: (context: WrapLoaderContext) => T | Promise<T>,
    options?: WrapOptions,
  ): Promise<Jsonified<T>>
  /** Writes the object to S3, then replaces the cache entry. */
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<{ etag: string | undefined }>
  /**
   * Removes the entry; a load that began before cannot write its older body back. With
   * `sequencer`, only if it is newer than the last sequencer applied to this object (see
   * {@link InvalidateOptions}). Resolves to whether the entry was removed.
   */
  invalidate(key: string, options?: InvalidateOptions): Promise<boolean>
  /**
   * Removes every entry carrying any of `tags` (`put`'s and `wrap`'s `tags`, `setTags`), in every
   * process, with everything built from them: a load of such an entry that is in flight does not store
   * its value. Costs Valkey commands at invalidation (one per entry removed), none per hit. L1s of
   * other processes keep a removed entry for `l1.ttl` at most. Resolves to how many entries it removed;
   * rejects with `CacheWriteError` when Valkey could not be used.
   */
  invalidateTags(tags: readonly string[]): Promise<number>
  /**
   * Loads many objects into the cache with bounded concurrency: those under `prefix` (listed with
   * ListObjectsV2) or the given `keys`. A fresh entry costs one GET and no S3 call; objects larger
   * than `maxObjectBytes` are skipped, never downloaded.
   */
  warm(options?: WarmOptions): Promise<WarmResult>
  /** Describes the stored entry of an object (state, times, sizes, compression) with one GET, loading nothing. */
  inspect(key: string, options?: { bucket?: string }): Promise<EntryInspection>
  /** The cache's default bucket. */
  readonly bucket: string
  /**
   * Connects now instead of at the first request: creates the client (in `cluster: 'auto'`, its one
   * `INFO cluster`), waits for the first connection and its `AUTH`, learns a cluster's slots and
   * connects every node that serves the cache, and loads the cache's scripts. Call it at module load,
   * in Lambda's INIT phase, which runs before the first request's clock starts.
   *
   * Idempotent: later calls share the first one's promise once it succeeded. Rejects with
   * `ValkeyConnectionError` or `ValkeyAuthError` when Valkey cannot be reached or refuses the user
   * within the connection's bounds (a later call tries again); the cache works either way, failing
   * open to S3 and reconnecting in the background, so catch it rather than failing the INIT.
   * Resolves at once with the memory store.
   */
  connect(): Promise<void>
  /**
   * Ends the Valkey connection the cache opened (an instance passed in stays open): `QUIT`, or a
   * disconnect when Valkey does not answer within `timeouts.valkey`. Idempotent; reads after it go
   * to S3.
   */
  close(): Promise<void>
}
