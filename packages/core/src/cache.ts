import { toValkeyError } from './connect/errors'
import { type Duration, toMs } from './duration'
import { type Entry, EntryKind, encodeEntry } from './entry'
import { CacheWriteError, ObjectNotFoundError } from './errors'
import { makeEmitter } from './events'
import { entryKeys, validateKey } from './keys'
import { L1Cache } from './l1'
import { type GetOptions, resolveOptions, type S3CacheOptions } from './options'
import { loadObject, putObject } from './origin/s3'
import { type ReadPolicy, type ReadResult, type ReadStatus, ReadThrough } from './read-through'
import { type InferOutput, parseJson, type StandardSchemaV1 } from './schema'
import { FAILED, GuardedStore } from './store/guarded'
import { selectStore } from './store/select'

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
  /** Removes the entry; a load that began before cannot write its older body back. */
  invalidate(key: string, options?: { bucket?: string }): Promise<void>
  /** Ends the Valkey connection the cache opened (an instance passed in stays open). */
  close(): Promise<void>
}

const textDecoder = new TextDecoder()
const textEncoder = new TextEncoder()

/** Creates a cache. Options are validated now (`CacheConfigError`); the Valkey client is created on first use. */
export function createS3Cache(options: S3CacheOptions): S3Cache {
  const config = resolveOptions(options)
  const emit = makeEmitter(config.onEvent)
  const onConnectionError = (error: Error) =>
    emit({ type: 'error', operation: 'valkey-connection', durationMs: 0, error })
  const store = new GuardedStore(selectStore(config.valkey, onConnectionError), {
    timeoutMs: config.timeouts.valkeyMs,
    emit,
    mapError: (error) => toValkeyError(error),
  })
  const l1 = config.l1 ? new L1Cache(config.l1.maxBytes, config.l1.ttlMs) : undefined
  const reader = new ReadThrough({
    store,
    l1,
    emit,
    lock: config.lock,
    compression: config.compression,
    revalidateWaitMs: config.timeouts.revalidateMs,
  })

  const policy = (
    ttl: Duration | undefined,
    staleTtl: Duration | undefined,
    forceRefresh = false,
  ): ReadPolicy => ({
    ttlMs: ttl === undefined ? config.ttlMs : toMs(ttl, 'ttl'),
    staleMs: staleTtl === undefined ? config.staleMs : toMs(staleTtl, 'staleTtl'),
    negativeTtlMs: config.negativeTtlMs,
    jitter: config.jitter,
    forceRefresh,
  })

  const objectTarget = (key: string, bucket: string) => {
    validateKey(key)
    validateKey(bucket, 'bucket')
    return { id: `o\0${bucket}\0${key}`, keys: entryKeys(config.keyPrefix, 'o', bucket, key), key, bucket }
  }

  const read = async (
    key: string,
    options: GetOptions = {},
  ): Promise<{ result: ReadResult; bucket: string }> => {
    const bucket = options.bucket ?? config.bucket
    const target = objectTarget(key, bucket)
    const result = await reader.read(
      target,
      policy(options.ttl, undefined, options.forceRefresh),
      (previous) =>
        loadObject({
          s3: config.s3,
          bucket,
          key,
          previous,
          timeoutMs: config.timeouts.s3Ms,
          maxObjectBytes: config.maxObjectBytes,
        }),
    )
    if (result.entry.kind === EntryKind.missing) throw new ObjectNotFoundError(bucket, key)
    return { result, bucket }
  }

  const toObject = (key: string, bucket: string, { entry, status }: ReadResult): CachedObject => ({
    bucket,
    key,
    body: entry.body,
    contentType: entry.contentType,
    etag: entry.etag,
    lastModified: entry.lastModified === undefined ? undefined : new Date(entry.lastModified),
    metadata: entry.metadata,
    status,
  })

  const write = async (run: () => Promise<unknown>, what: string): Promise<void> => {
    if ((await run()) === FAILED) {
      throw new CacheWriteError(
        `${what}: the cache entry could not be updated; readers may see the old body until its TTL ends`,
      )
    }
  }

  return {
    async get(key, options) {
      const { result, bucket } = await read(key, options)
      return toObject(key, bucket, result)
    },

    async getText(key, options) {
      const { result } = await read(key, options)
      return textDecoder.decode(result.entry.body)
    },

    async getJson(key: string, schema?: StandardSchemaV1, options?: GetOptions) {
      const { result } = await read(key, options)
      return parseJson(key, result.entry.body, schema)
    },

    async wrap<T extends WrapValue>(
      key: string,
      loader: () => T | Promise<T>,
      options: WrapOptions = {},
    ): Promise<T> {
      validateKey(key)
      const target = { id: `w\0${key}`, keys: entryKeys(config.keyPrefix, 'w', '', key), key }
      const { entry } = await reader.read(
        target,
        policy(options.ttl, options.staleTtl, options.forceRefresh),
        async () => {
          const value = await loader()
          const bytes = value instanceof Uint8Array
          const body = bytes ? value : textEncoder.encode(JSON.stringify(value))
          const kind = bytes ? EntryKind.bytes : EntryKind.json
          return {
            type: 'entry',
            cacheable: body.byteLength <= config.maxObjectBytes,
            data: { kind, body, metadata: {} },
          }
        },
      )
      return (entry.kind === EntryKind.bytes ? entry.body : JSON.parse(textDecoder.decode(entry.body))) as T
    },

    async put(key, body, options = {}) {
      const bucket = options.bucket ?? config.bucket
      const target = objectTarget(key, bucket)
      const bytes = typeof body === 'string' ? textEncoder.encode(body) : body
      const { etag } = await putObject({
        ...options,
        s3: config.s3,
        bucket,
        key,
        body: bytes,
        timeoutMs: config.timeouts.s3Ms,
      })
      l1?.delete(target.id)
      const now = Date.now()
      const ttlMs = options.ttl === undefined ? config.ttlMs : toMs(options.ttl, 'ttl')
      const freshUntil = now + ttlMs * (1 - config.jitter * Math.random())
      const staleUntil = freshUntil + config.staleMs
      if (bytes.byteLength > config.maxObjectBytes) {
        await write(() => store.call('valkey-write', key, (s) => s.invalidate(target.keys)), `put ${key}`)
        return { etag }
      }
      const entry: Entry['kind'] = EntryKind.object
      const { value } = encodeEntry(
        {
          kind: entry,
          body: bytes,
          etag,
          contentType: options.contentType,
          metadata: options.metadata,
          freshUntil,
          staleUntil,
        },
        config.compression,
      )
      await write(
        () => store.call('valkey-write', key, (s) => s.replace(target.keys, value, staleUntil - now)),
        `put ${key}`,
      )
      return { etag }
    },

    async invalidate(key, options = {}) {
      const target = objectTarget(key, options.bucket ?? config.bucket)
      l1?.delete(target.id)
      await write(
        () => store.call('valkey-write', key, (s) => s.invalidate(target.keys)),
        `invalidate ${key}`,
      )
    },

    async close() {
      l1?.clear()
      await store.store.close()
    },
  }
}
