import type {
  CachedObject,
  GetOptions,
  InvalidateOptions,
  PutOptions,
  S3Cache,
  WrapLoaderContext,
  WrapOptions,
  WrapValue,
} from './cache-api'
import { Coherence } from './coherence'
import { isConnectionLost, toValkeyError } from './connect/errors'
import { Dependents } from './dependents'
import { type Duration, toMs } from './duration'
import { type Entry, EntryKind } from './entry'
import { CacheConfigError, InvalidValueError, ObjectNotFoundError } from './errors'
import { makeEmitter } from './events'
import { describeEntry } from './inspect'
import { type CacheTarget, Targets, tagKeys } from './keys'
import { L1Cache } from './l1'
import { checkCallOptions } from './option-reader'
import { resolveOptions, type S3CacheOptions } from './options'
import { loadObject } from './origin/s3'
import { overridesPolicy, type PolicyOverrides, readPolicy } from './policy'
import type { LoadOutcome, ReadResult } from './read-contract'
import { ReadThrough } from './read-through'
import { parseJson, type StandardSchemaV1 } from './schema'
import { SharedValues } from './shared-values'
import { GuardedStore } from './store/guarded'
import { selectStore } from './store/select'
import type { Witness } from './store/store'
import { DEPENDENCIES_METADATA, dependenciesOf, TAGS_METADATA, tagsOf, validateTags } from './tags'
import { noteRead, type ReadTraceContext, readChannel, tracedOrigin, tracedRead } from './tracing'
import { warmCache } from './warm'
import { withSignal } from './with-signal'
import { WriteThrough } from './write-through'

const textDecoder = new TextDecoder()
const textEncoder = new TextEncoder()
const NO_OPTIONS = {}

/** The names each call's options may hold (see `checkCallOptions`). */
const GET_OPTIONS = [
  'bucket',
  'ttl',
  'forceRefresh',
  'signal',
] as const satisfies readonly (keyof GetOptions)[]
const WRAP_OPTIONS = [
  'ttl',
  'staleTtl',
  'forceRefresh',
  'onStatus',
  'signal',
  'tags',
] as const satisfies readonly (keyof WrapOptions)[]
const PUT_OPTIONS = [
  'bucket',
  'contentType',
  'cacheControl',
  'metadata',
  'ttl',
  'tags',
] as const satisfies readonly (keyof PutOptions)[]
const INVALIDATE_OPTIONS = ['bucket', 'sequencer'] as const satisfies readonly (keyof InvalidateOptions)[]

/** Whether `schema` is a Standard Schema (zod, valibot, arktype, …). */
const isSchema = (schema: unknown): schema is StandardSchemaV1 =>
  typeof (schema as StandardSchemaV1 | null)?.['~standard']?.validate === 'function'

/** What a read takes part in besides itself: a trace, and a `wrap` load that depends on what it reads. */
interface ReadScope {
  trace?: ReadTraceContext | undefined
  /** The reads of a `wrap` loader (through its context's `cache`), as dependencies of its value. */
  reads?: Witness[] | undefined
}

/**
 * A `wrap` value's tags and dependencies, kept in its entry's metadata: a process that reads it from
 * Valkey into L1 learns what a local change must take it down with (see `L1Cache`).
 */
function linkMetadata(
  tags: readonly string[] | undefined,
  reads: readonly Witness[],
): Record<string, string> {
  const metadata: Record<string, string> = {}
  if (tags?.length) metadata[TAGS_METADATA] = tags.map(encodeURIComponent).join(',')
  if (reads.length)
    metadata[DEPENDENCIES_METADATA] = [...new Set(reads.map((read) => read.keys.entry))].join(',')
  return metadata
}

/** What an L1 item is linked to: its tags' set keys (remembered) and the entry keys it was built from. */
function linksOf(keyPrefix: string): (entry: Entry) => string[] {
  const setKeys = new Map<string, string>()
  const setKeyOf = (tag: string) => {
    let key = setKeys.get(tag)
    if (key === undefined) {
      if (setKeys.size >= 1000) setKeys.clear()
      key = tagKeys(keyPrefix, tag).members
      setKeys.set(tag, key)
    }
    return key
  }
  return (entry) => {
    const tags = tagsOf(entry.metadata)
    const dependencies = dependenciesOf(entry.metadata)
    if (!tags && dependencies.length === 0) return []
    return [...(tags ?? []).map(setKeyOf), ...dependencies]
  }
}

/** Records what a read returned as a dependency of the load in `scope`, if any. */
function recordRead(scope: ReadScope | undefined, target: CacheTarget, result: ReadResult): void {
  const { entry, generation } = result
  scope?.reads?.push({
    keys: target.keys,
    checksum: entry.checksum,
    generation,
    freshUntil: entry.freshUntil,
    staleUntil: entry.staleUntil,
  })
}

/** A `wrap` value as JSON, or {@link InvalidValueError} before anything is stored: plain JS returns `undefined` easily. */
function toJson(key: string, value: unknown): string {
  const kind = typeof value
  if (kind === 'undefined' || kind === 'function' || kind === 'symbol' || kind === 'bigint') {
    const what = kind === 'undefined' ? 'undefined' : `a ${kind}`
    throw new InvalidValueError(key, `the loader returned ${what}, which JSON cannot hold`)
  }
  try {
    return JSON.stringify(value)
  } catch (error) {
    const reason = (error as Error).message
    throw new InvalidValueError(key, `the loader's value cannot be encoded as JSON: ${reason}`, {
      cause: error,
    })
  }
}

/**
 * Creates a cache: the assembly of its parts (store, L1, read path, write path). Options are
 * validated now (`CacheConfigError`); the Valkey client is created on first use.
 *
 * The path of a read: this file → `read-through.ts` (L1 → one Valkey GET → load) → `origin/s3.ts`.
 */
export function createS3Cache(options: S3CacheOptions): S3Cache {
  const config = resolveOptions(options)
  const emit = makeEmitter(config.onEvent)
  const onConnectionError = (error: Error) =>
    emit?.({ type: 'error', operation: 'valkey-connection', durationMs: 0, error })
  const store = new GuardedStore(selectStore(config.valkey, onConnectionError, config.timeouts.valkeyMs), {
    timeoutMs: config.timeouts.valkeyMs,
    emit,
    mapError: (error) => toValkeyError(error),
    isConnectionLost,
  })
  const l1 = config.l1
    ? new L1Cache(config.l1.maxBytes, config.l1.ttlMs, linksOf(config.keyPrefix), config.shareParsed)
    : undefined
  const shared = config.shareParsed ? new SharedValues() : undefined
  /** `parse`'s value; with `shareParsed`, one value per entry, shared by every reader of that entry. */
  const parsed = <T>(
    result: ReadResult,
    schema: StandardSchemaV1 | undefined,
    parse: () => T | Promise<T>,
  ) => (shared ? shared.get(result.entry, schema, parse) : parse())
  // Every cache publishes its changes; one with L1 also hears others' (none with the memory store: a process alone).
  const coherence =
    config.coherence && store.store.publishChange
      ? new Coherence({
          store,
          keyPrefix: config.keyPrefix,
          timeoutMs: config.timeouts.valkeyMs,
          emit,
          forget: (keys) => reader.heard(keys),
        })
      : undefined
  const dependents = new Dependents({
    store,
    keyPrefix: config.keyPrefix,
    maxDependents: config.maxDependents,
    removed: (keys) => reader.removed(keys),
  })
  const reader: ReadThrough = new ReadThrough({
    dependents,
    store,
    l1,
    emit,
    lock: config.lock,
    compression: config.compression,
    revalidateWaitMs: config.timeouts.revalidateMs,
    coherence,
  })
  const writer = new WriteThrough({
    store,
    l1,
    s3: config.s3,
    s3TimeoutMs: config.timeouts.s3Ms,
    maxObjectBytes: config.maxObjectBytes,
    compression: config.compression,
    defaults: config,
    dependents,
  })
  const targets = new Targets(config.keyPrefix)
  const target = (key: string, bucket = config.bucket) => targets.object(bucket, key)
  // Most reads pass no per-call policy: build the cache's own once.
  const defaultPolicy = readPolicy(config)
  const policyOf = (options: PolicyOverrides) =>
    overridesPolicy(options) ? readPolicy(config, options) : defaultPolicy
  let connected: Promise<void> | undefined

  /**
   * Reports a policy that weakens a guarantee: `allkeys-*` evicts the dependents sets, which have no
   * TTL so that `volatile-*` (ElastiCache Serverless's volatile-lru) never takes them. A server that
   * does not say, or a user that may not ask, reports nothing.
   */
  const reportEvictionPolicy = async (): Promise<void> => {
    if (!emit) return
    const policies = await store.store.evictionPolicies().catch(() => [])
    const policy = policies.find((name) => name.startsWith('allkeys'))
    if (policy === undefined) return
    const message =
      `the server's policy ${policy} evicts keys without a TTL: a tag's or an object's dependents may go ` +
      'before them, and tagged values or values built from objects then outlive an invalidation up to their ttl'
    const error = new CacheConfigError('maxmemory-policy', message)
    emit({ type: 'error', operation: 'eviction-policy', durationMs: 0, error })
  }
  let closed: Promise<void> | undefined

  /**
   * An S3 object through the read path. Not async, so a read is one promise less: the callers
   * `await` it and pass the result through {@link found}. `trace`: the read's tracing context, if traced.
   */
  const read = (
    key: string,
    options: GetOptions & Pick<PolicyOverrides, 'skipOversized'> = NO_OPTIONS,
    scope?: ReadScope,
  ): Promise<ReadResult> => {
    const object = target(key, options.bucket)
    const policy = policyOf(options)
    const result = reader.read(
      object,
      policy,
      (previous, signal) =>
        tracedOrigin(key, object.bucket, 's3', () =>
          loadObject({
            s3: config.s3,
            bucket: object.bucket,
            key,
            previous,
            timeoutMs: config.timeouts.s3Ms,
            maxObjectBytes: config.maxObjectBytes,
            skipOversized: policy.skipOversized,
            signal,
          }),
        ),
      options.signal,
    )
    if (!scope) return result
    return result.then((answer) => {
      recordRead(scope, object, answer)
      if (scope.trace) noteRead(scope.trace, answer)
      return answer
    })
  }
  /** A read's result, or `ObjectNotFoundError` for a cached or fresh NoSuchKey. */
  const found = (result: ReadResult, key: string, bucket = config.bucket): ReadResult => {
    if (result.entry.kind === EntryKind.missing) throw new ObjectNotFoundError(bucket, key)
    return result
  }

  /**
   * The bytes a caller gets, its own: a copy when the entry is also another caller's or L1's (a caller
   * may transform its body in place), else the decoded body itself. `Buffer.from` copies (`slice` on a
   * Buffer would not).
   */
  const ownBytes = (result: ReadResult): Uint8Array =>
    l1 || result.shared ? Buffer.from(result.entry.body) : result.entry.body

  const getObject = async (key: string, options?: GetOptions, scope?: ReadScope) => {
    checkCallOptions(options, GET_OPTIONS, 'get')
    const result = found(await read(key, options, scope), key, options?.bucket)
    const { entry, status } = result
    return {
      bucket: options?.bucket ?? config.bucket,
      key,
      body: ownBytes(result),
      contentType: entry.contentType,
      etag: entry.etag,
      lastModified: entry.lastModified === undefined ? undefined : new Date(entry.lastModified),
      metadata: entry.metadata,
      status,
    } satisfies CachedObject
  }

  const getText = async (key: string, options?: GetOptions, scope?: ReadScope) => {
    checkCallOptions(options, GET_OPTIONS, 'getText')
    return textDecoder.decode(found(await read(key, options, scope), key, options?.bucket).entry.body)
  }

  const getJson = async (
    key: string,
    schema: StandardSchemaV1 | undefined,
    options?: GetOptions,
    scope?: ReadScope,
  ) => {
    if (schema !== undefined && !isSchema(schema)) {
      throw new CacheConfigError(
        'schema',
        'getJson(key, schema?, options?) takes a schema second (zod or any Standard Schema); ' +
          'give options third, with undefined for no schema: getJson(key, undefined, { ttl })',
      )
    }
    checkCallOptions(options, GET_OPTIONS, 'getJson')
    const result = found(await read(key, options, scope), key, options?.bucket)
    return parsed(result, schema, () => parseJson(key, result.entry.body, schema))
  }

  const wrapValue = async <T extends WrapValue>(
    key: string,
    loader: (context: WrapLoaderContext) => T | Promise<T>,
    options: WrapOptions,
    scope: ReadScope | undefined,
  ): Promise<T> => {
    checkCallOptions(options, WRAP_OPTIONS, 'wrap')
    const callTags = options.tags === undefined ? undefined : validateTags(options.tags, 'tags')
    const load = (_previous: unknown, signal: AbortSignal | undefined) =>
      tracedOrigin(key, undefined, 'loader', async (): Promise<LoadOutcome> => {
        let ttlMs: number | undefined
        let skipped = false
        let tags = callTags
        const reads: Witness[] = []
        let view: S3Cache | undefined
        // A signal of its own when no caller can give up: loaders may add listeners to it.
        const loadSignal = signal ?? new AbortController().signal
        const context: WrapLoaderContext = {
          signal: loadSignal,
          setTtl: (ttl: Duration) => {
            ttlMs = Math.round(toMs(ttl, 'setTtl'))
            if (ttlMs <= 0) throw new CacheConfigError('setTtl', 'must be at least 1 ms')
          },
          setTags: (more: readonly string[]) => {
            tags = validateTags([...(tags ?? []), ...validateTags(more, 'setTags')], 'setTags')
          },
          skip: () => {
            skipped = true
          },
          // Built on first use: most loaders never read through it.
          get cache() {
            view ??= scoped(reads, loadSignal)
            return view
          },
        }
        const value: unknown = await loader(context)
        const bytes = value instanceof Uint8Array
        const body = bytes ? value : textEncoder.encode(toJson(key, value))
        const kind = bytes ? EntryKind.bytes : EntryKind.json
        return {
          type: 'entry',
          cacheable: !skipped && body.byteLength <= config.maxObjectBytes,
          data: { kind, body, metadata: linkMetadata(tags, reads) },
          ttlMs,
          tags,
          reads,
        }
      })
    const wrapped = targets.wrap(key)
    const result = await reader.read(wrapped, policyOf(options), load, options.signal)
    recordRead(scope, wrapped, result)
    if (scope?.trace) noteRead(scope.trace, result)
    options.onStatus?.(result.status)
    const { entry } = result
    if (entry.kind === EntryKind.bytes) return ownBytes(result) as T
    return parsed(result, undefined, () => JSON.parse(textDecoder.decode(entry.body)) as T)
  }

  /**
   * The four reads, within `reads` (a `wrap` load's dependencies) when given. Without a tracing
   * subscriber, a read is the plain call (see tracing.ts).
   */
  const readsOf = (reads?: Witness[]): Pick<S3Cache, 'get' | 'getText' | 'getJson' | 'wrap'> => {
    const plain: ReadScope | undefined = reads ? { reads } : undefined
    const traced = (trace: ReadTraceContext): ReadScope => ({ trace, reads })
    return {
      get(key: string, options?: GetOptions) {
        if (!readChannel.hasSubscribers) return getObject(key, options, plain)
        return tracedRead('get', key, options?.bucket ?? config.bucket, (trace) =>
          getObject(key, options, traced(trace)),
        )
      },

      getText(key: string, options?: GetOptions) {
        if (!readChannel.hasSubscribers) return getText(key, options, plain)
        return tracedRead('getText', key, options?.bucket ?? config.bucket, (trace) =>
          getText(key, options, traced(trace)),
        )
      },

      getJson(key: string, schema?: StandardSchemaV1, options?: GetOptions) {
        if (!readChannel.hasSubscribers) return getJson(key, schema, options, plain)
        return tracedRead('getJson', key, options?.bucket ?? config.bucket, (trace) =>
          getJson(key, schema, options, traced(trace)),
        )
      },

      wrap<T extends WrapValue>(
        key: string,
        loader: (context: WrapLoaderContext) => T | Promise<T>,
        options: WrapOptions = NO_OPTIONS,
      ): Promise<T> {
        if (!readChannel.hasSubscribers) return wrapValue(key, loader, options, plain)
        return tracedRead('wrap', key, undefined, (trace) => wrapValue(key, loader, options, traced(trace)))
      },
    } as Pick<S3Cache, 'get' | 'getText' | 'getJson' | 'wrap'>
  }

  /** A `wrap` loader's view of the cache: its reads are dependencies of the value being loaded. */
  const scoped = (dependencies: Witness[], signal: AbortSignal): S3Cache =>
    withSignal({ ...cache, ...readsOf(dependencies) }, signal)

  const cache: S3Cache = {
    bucket: config.bucket,

    ...readsOf(),

    async put(key, body, options = {}) {
      checkCallOptions(options, PUT_OPTIONS, 'put')
      const object = target(key, options.bucket)
      try {
        return await writer.put(object, body, options)
      } finally {
        // Read-your-writes: no later read in this process joins an older load or finds an older L1 entry;
        // it resolves once other processes were told (their L1 drops it on hearing).
        await reader.wrote(object)
      }
    },

    async invalidate(key, options = {}) {
      checkCallOptions(options, INVALIDATE_OPTIONS, 'invalidate')
      const object = target(key, options.bucket)
      try {
        return await writer.invalidate(object, options)
      } finally {
        await reader.wrote(object)
      }
    },

    async invalidateTags(tags) {
      const unique = validateTags(tags, 'tags', Number.POSITIVE_INFINITY)
      return unique.length === 0 ? 0 : writer.invalidateTags(unique)
    },

    warm(options) {
      return warmCache(
        {
          s3: config.s3,
          bucket: config.bucket,
          maxObjectBytes: config.maxObjectBytes,
          s3TimeoutMs: config.timeouts.s3Ms,
          read: async (key, bucket) => {
            // Objects over maxObjectBytes are not downloaded: warm-up stores, it does not serve.
            const { status, entry } = found(await read(key, { bucket, skipOversized: true }), key, bucket)
            return { status, bytes: entry.body.byteLength }
          },
        },
        options,
      )
    },

    async inspect(key, options = {}) {
      const { keys } = target(key, options.bucket)
      // Unguarded on purpose: a diagnostic should report a Valkey failure, not fail open to "absent".
      const raw = await store.store.get(keys.entry).catch((error: unknown) => {
        throw toValkeyError(error)
      })
      return describeEntry(keys.entry, raw)
    },

    connect() {
      // With L1, the subscription to other processes' changes too (within timeouts.valkey).
      const hearing = l1 ? coherence?.hearing() : undefined
      connected ??= store.store.connect().then(
        async () => {
          await Promise.all([reportEvictionPolicy(), hearing])
        },
        (error: unknown) => {
          connected = undefined
          throw toValkeyError(error)
        },
      )
      return connected
    },

    close() {
      closed ??= (async () => {
        l1?.clear()
        await coherence?.close()
        await store.close()
      })()
      return closed
    },
  }
  return cache
}
