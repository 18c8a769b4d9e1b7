import type { CachedObject, S3Cache, WrapOptions, WrapValue } from './cache-api'
import { toValkeyError } from './connect/errors'
import { type Duration, toMs } from './duration'
import { type Entry, EntryKind, encodeEntry } from './entry'
import { CacheConfigError, CacheWriteError, ObjectNotFoundError } from './errors'
import { makeEmitter } from './events'
import { describeEntry } from './inspect'
import { entryKeys, validateKey } from './keys'
import { L1Cache } from './l1'
import { type GetOptions, resolveOptions, type S3CacheOptions } from './options'
import { loadObject, putObject } from './origin/s3'
import { type ReadPolicy, type ReadResult, ReadThrough } from './read-through'
import { parseJson, type StandardSchemaV1 } from './schema'
import { normalizeSequencer } from './sequencer'
import { FAILED, GuardedStore } from './store/guarded'
import { selectStore } from './store/select'
import { warmCache } from './warm'

export type {
  CachedObject,
  InvalidateOptions,
  PutOptions,
  S3Cache,
  WrapOptions,
  WrapValue,
} from './cache-api'

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

  const write = async <T>(run: () => Promise<T>, what: string): Promise<Exclude<T, typeof FAILED>> => {
    const result = await run()
    if (result === FAILED) {
      throw new CacheWriteError(
        `${what}: the cache entry could not be updated; readers may see the old body until its TTL ends`,
      )
    }
    return result as Exclude<T, typeof FAILED>
  }

  return {
    bucket: config.bucket,

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
      const sequencer = normalizeSequencer(options.sequencer)
      if (options.sequencer !== undefined && sequencer === undefined)
        throw new CacheConfigError('sequencer', 'expected hexadecimal digits, as S3 events carry them')
      l1?.delete(target.id)
      return write(
        () => store.call('valkey-write', key, (s) => s.invalidate(target.keys, sequencer)),
        `invalidate ${key}`,
      )
    },

    warm(options) {
      return warmCache(
        {
          s3: config.s3,
          bucket: config.bucket,
          maxObjectBytes: config.maxObjectBytes,
          s3TimeoutMs: config.timeouts.s3Ms,
          read: async (key, bucket) => (await read(key, { bucket })).result,
        },
        options,
      )
    },

    async inspect(key, options = {}) {
      const { keys } = objectTarget(key, options.bucket ?? config.bucket)
      // Unguarded on purpose: a diagnostic should report a Valkey failure, not fail open to "absent".
      const raw = await store.store.get(keys.entry).catch((error: unknown) => {
        throw toValkeyError(error)
      })
      return describeEntry(keys.entry, raw)
    },

    async close() {
      l1?.clear()
      await store.store.close()
    },
  }
}
