import type { Duration } from './duration'
import type { EntryInspection } from './inspect'
import type { GetOptions } from './options'
import type { ReadStatus } from './read-through'
import type { InferOutput, StandardSchemaV1 } from './schema'
import type { WarmOptions, WarmResult } from './warm'

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
  /** `hit`: from L1 or Valkey; `miss`: loaded from S3; `stale`: served past fresh while S3 was slow or failing; `bypass`: too large to store. */
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
}

export interface WrapOptions {
  /** Default: the cache's `ttl`. */
  ttl?: Duration
  /** Default: the cache's `staleTtl`. */
  staleTtl?: Duration
  /** Run the loader even when an entry exists. Default `false`. */
  forceRefresh?: boolean
}

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
   * The S3 event `sequencer` (hex) of the change being applied. The entry is removed only if it is
   * newer than the last sequencer applied to this object (shorter strings are padded with zeros, as S3
   * documents), so a duplicate or late event changes nothing; anything but hex digits throws
   * `CacheConfigError`. Default: none (always remove).
   */
  sequencer?: string
}

export interface S3Cache {
  /** Reads an object through L1 → Valkey → S3. Throws `ObjectNotFoundError` when it does not exist. */
  get(key: string, options?: GetOptions): Promise<CachedObject>
  /** `get`, with the body decoded as UTF-8. */
  getText(key: string, options?: GetOptions): Promise<string>
  /** `get`, with the body parsed as JSON and validated by any Standard Schema (zod 4, valibot, …). */
  getJson<S extends StandardSchemaV1>(key: string, schema: S, options?: GetOptions): Promise<InferOutput<S>>
  getJson<T = unknown>(key: string, schema?: undefined, options?: GetOptions): Promise<T>
  /** Cache-aside for computed values: returns the cached value of `key`, or runs `loader` once (per process, and across processes under the lease) and caches its result. */
  wrap<T extends WrapValue>(key: string, loader: () => T | Promise<T>, options?: WrapOptions): Promise<T>
  /** Writes the object to S3, then replaces the cache entry. */
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<{ etag: string | undefined }>
  /**
   * Removes the entry; a load that began before cannot write its older body back. With
   * `sequencer`, only if it is newer than the last sequencer applied to this object (see
   * {@link InvalidateOptions}). Resolves to whether the entry was removed.
   */
  invalidate(key: string, options?: InvalidateOptions): Promise<boolean>
  /**
   * Loads many objects into the cache with bounded concurrency: those under `prefix` (listed with
   * ListObjectsV2) or the given `keys`. A fresh entry costs one GET and no S3 call; objects larger
   * than `maxObjectBytes` are skipped (by their listed size).
   */
  warm(options?: WarmOptions): Promise<WarmResult>
  /** Describes the stored entry of an object (state, times, sizes, compression) with one GET, loading nothing. */
  inspect(key: string, options?: { bucket?: string }): Promise<EntryInspection>
  /** The cache's default bucket. */
  readonly bucket: string
  /** Ends the Valkey connection the cache opened (an instance passed in stays open). */
  close(): Promise<void>
}
