import type { S3Client } from '@aws-sdk/client-s3'
import {
  CODEC_NAMES,
  Codec,
  type CompressionCodecName,
  type CompressionSettings,
  codecAvailable,
  defaultCompression,
} from './compression'
import type { ValkeyClient, ValkeyConnectionOptions } from './connect/options'
import { type Duration, MAX_TIMER_MS, positiveMs, toMs } from './duration'
import { CacheConfigError } from './errors'
import type { CacheEventListener } from './events'
import { readOptions } from './option-reader'
import type { GlideClientLike } from './store/glide'

/** Options of {@link createS3Cache}. Each default is stated once, here. */
export interface S3CacheOptions {
  /** The S3 client (`@aws-sdk/client-s3`, which the Lambda runtime ships). Required. */
  s3: S3Client
  /** Default bucket of `get`, `put` and `invalidate`. Required. */
  bucket: string
  /**
   * An iovalkey `Redis` or `Cluster` instance, a `GlideClient` or `GlideClusterClient` from
   * `@valkey/valkey-glide` (neither closed by `close()`), connection options, a URL (`valkey://`,
   * `valkeys://`, `redis://`, `rediss://`; options and URLs make an iovalkey client), or `'memory'`: the
   * in-process memory store, each process caching alone (tests, demos).
   * Default: none, which selects the memory store with a one-time warning; inside Lambda
   * (`AWS_LAMBDA_FUNCTION_NAME` is set) none is a `CacheConfigError`, since every execution environment
   * would cache alone and the S3 event invalidator, another function, could never reach it.
   */
  valkey?: ValkeyClient | GlideClientLike | ValkeyConnectionOptions | 'memory' | string
  /** Every Valkey key the cache writes starts with it, so an ACL can say `~s3c:*`. Default `'s3c:'`. */
  keyPrefix?: string
  /** How long an entry is fresh. Default `'5m'`. */
  ttl?: Duration
  /** How long past fresh an entry may still be served stale while it is revalidated. Default `0` (never stale). */
  staleTtl?: Duration
  /** Fraction by which fresh times are randomly shortened, so keys written together expire apart. Default `0.1`. */
  jitter?: number
  /** How long a NoSuchKey answer is cached. Default `'30s'`; `0` turns negative caching off. */
  negativeTtl?: Duration
  /** Objects larger than this are served with `status: 'bypass'` and never stored. Default `1_048_576` (1 MiB). */
  maxObjectBytes?: number
  /**
   * Live entries one tag, or one entry, may have depending on it (its tagged entries; the responses and
   * `wrap` values built from it). An entry that would go beyond is served but not stored, so removal by
   * tag or dependency never misses one. 42 to 118 bytes of Valkey memory per member. Default `10_000`.
   */
  maxDependents?: number
  /**
   * Body compression in the stored entry, only when it saves bytes. Default `{ codec: 'auto', minBytes: 2048 }`:
   * bodies under 2 KiB as they are, raw deflate up to 64 KiB, zstd from there (raw deflate on a Node.js
   * without zstd); see docs/benchmarks.md for the measurements. `false` turns it off.
   */
  compression?: false | { codec?: CompressionCodecName | 'auto'; minBytes?: number }
  /**
   * An in-process LRU in front of Valkey. Default `false`. With `{ maxBytes, ttl }`
   * (defaults 16 MiB and `'1m'`; `'5s'` with `coherence: false`), other processes' changes leave it once
   * their message arrives (`coherence`); `ttl` bounds an item's life, and so a change whose message was
   * never published (docs/benchmarks/coherence.md measures the choice). `maxBytes`
   * bounds what L1 keeps alive: an item counts its body plus 2 KiB, and with `shareParsed` three times
   * its body more for the parsed value kept beside it.
   */
  l1?: false | { maxBytes?: number; ttl?: Duration }
  /**
   * Every change made through the cache (`put`, `invalidate`, `invalidateTags`, S3 events, removal of
   * dependents) is published on the key prefix's change channel (`<keyPrefix>{l1}`; sharded pub/sub on a
   * cluster), and a cache with `l1` subscribes to it: other processes' changes then leave its L1 within
   * one message delivery, and `l1.ttl` bounds only a change whose message was lost. Needs the pub/sub
   * permissions in docs/security.md. Default `true`; `false`: nothing published or heard (`l1.ttl` is then
   * the bound), for an ACL user without them.
   */
  coherence?: boolean
  /**
   * `true`: `getJson` and `wrap` parse (and validate) a stored entry once and hand that one value,
   * deep-frozen, to every reader of the same entry: concurrent reads of a key that shared one Valkey
   * GET, and every later L1 hit of it. No parsing per read, but callers must not mutate what they get
   * (frozen values throw in strict mode). Only plain values (objects, arrays, primitives) are shared:
   * a value holding a Date, Map, Set, typed array or class instance, whose contents freezing does not
   * reach, is parsed for each reader. Default `false`: every call gets its own copy.
   */
  shareParsed?: boolean
  /**
   * The distributed stampede lease: one process loads a cold key while the others wait up
   * to `wait` for its entry. Default `{ ttl: '10s', wait: '2s' }`; `false` turns it off.
   */
  lock?: false | { ttl?: Duration; wait?: Duration }
  /**
   * Bounds. `valkey`: per command, default `250` ms. `s3`: per S3 call, default `'3s'`.
   * `revalidate`: how long a read of a stale entry waits for S3 before answering stale, default `500` ms.
   */
  timeouts?: { valkey?: Duration; s3?: Duration; revalidate?: Duration }
  /** Receives typed events (hit, miss, stale, bypass, load, error) with durations. Default: none. */
  onEvent?: CacheEventListener
}

export interface ResolvedOptions {
  s3: S3Client
  bucket: string
  valkey: S3CacheOptions['valkey']
  keyPrefix: string
  ttlMs: number
  staleMs: number
  jitter: number
  negativeTtlMs: number
  maxObjectBytes: number
  maxDependents: number
  compression: CompressionSettings | false
  l1: { maxBytes: number; ttlMs: number } | false
  coherence: boolean
  shareParsed: boolean
  lock: { ttlMs: number; waitMs: number } | false
  timeouts: { valkeyMs: number; s3Ms: number; revalidateMs: number }
  onEvent: CacheEventListener | undefined
}

/** Valkey's largest string is 512 MiB. */
const MAX_STORABLE_BYTES = 512 * 1024 * 1024

/** The defaults stated in {@link S3CacheOptions}, in one place; its nested objects' below. */
const DEFAULTS = {
  valkey: undefined,
  keyPrefix: 's3c:',
  ttl: '5m',
  staleTtl: 0,
  jitter: 0.1,
  negativeTtl: '30s',
  maxObjectBytes: 1_048_576,
  maxDependents: 10_000,
  compression: {},
  l1: false,
  coherence: true,
  shareParsed: false,
  lock: {},
  timeouts: {},
  onEvent: undefined,
} as const satisfies Omit<S3CacheOptions, 's3' | 'bucket'>

const COMPRESSION_DEFAULTS = defaultCompression
// With coherence, `l1.ttl` bounds only an unpublished change: 1 min kept the hits of 1 h, 5 s lost
// 2.3 points and cost 42 % more Valkey bytes per read (docs/benchmarks/coherence.md). Without, it
// bounds every other process's change.
const L1_DEFAULTS = { maxBytes: 16 * 1024 * 1024, ttl: '1m' } as const
const L1_DEFAULTS_WITHOUT_COHERENCE = { ...L1_DEFAULTS, ttl: '5s' } as const
const LOCK_DEFAULTS = { ttl: '10s', wait: '2s' } as const
const TIMEOUT_DEFAULTS = { valkey: 250, s3: '3s', revalidate: 500 } as const

/** A number of bytes: a positive integer, never a duration. */
function byteCount(value: unknown, option: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value
  throw new CacheConfigError(
    option,
    `expected a number of bytes (an integer > 0), got ${JSON.stringify(value)}`,
  )
}

/** A count: a positive integer. */
function count(value: unknown, option: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value
  throw new CacheConfigError(option, `expected an integer > 0, got ${JSON.stringify(value)}`)
}

function resolveCompression(value: S3CacheOptions['compression']): CompressionSettings | false {
  if (value === false) return false
  const { codec, minBytes } = readOptions(value, COMPRESSION_DEFAULTS, { path: 'compression' })
  const names = ['auto', ...CODEC_NAMES.filter((name) => name !== 'none')]
  if (!names.includes(codec as string)) {
    throw new CacheConfigError(
      'compression.codec',
      `expected ${names.map((name) => `'${name}'`).join(' or ')}, got ${JSON.stringify(codec)}`,
    )
  }
  if (codec !== 'auto' && !codecAvailable(codec as CompressionCodecName))
    throw new CacheConfigError('compression.codec', `this Node.js has no ${codec}`)
  if (!Number.isInteger(minBytes) || minBytes < 0)
    throw new CacheConfigError('compression.minBytes', 'expected an integer >= 0')
  return { codec: codec === 'auto' ? 'auto' : Codec[codec as CompressionCodecName], minBytes }
}

/** The `keyPrefix` option with its default; `option` names it in the error (the CLI reads it from the environment). */
export function resolveKeyPrefix(value: unknown, option = 'keyPrefix'): string {
  const keyPrefix = value ?? DEFAULTS.keyPrefix
  // Braces would pick the cluster slot; glob characters and whitespace would break `~prefix*` ACLs and SCAN.
  if (typeof keyPrefix !== 'string' || keyPrefix.length === 0 || /[{}*?\s[\]]/.test(keyPrefix)) {
    throw new CacheConfigError(
      option,
      'expected a non-empty string without braces, glob characters or whitespace',
    )
  }
  return keyPrefix
}

/** Applies defaults and validates every option; throws {@link CacheConfigError} naming the first bad or unknown one. */
export function resolveOptions(options: S3CacheOptions): ResolvedOptions {
  if (!options || typeof options !== 'object') throw new CacheConfigError('options', 'expected an object')
  const given = readOptions(options, DEFAULTS, { required: ['s3', 'bucket'] })
  const { s3, bucket, jitter, maxObjectBytes, onEvent } = given
  if (!s3 || typeof (s3 as { send?: unknown }).send !== 'function')
    throw new CacheConfigError('s3', 'expected an S3Client')
  if (typeof bucket !== 'string' || bucket.length === 0)
    throw new CacheConfigError('bucket', 'expected a bucket name')
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter < 1))
    throw new CacheConfigError('jitter', 'expected a fraction in [0, 1)')
  if (!Number.isInteger(maxObjectBytes) || maxObjectBytes < 0 || maxObjectBytes > MAX_STORABLE_BYTES) {
    throw new CacheConfigError('maxObjectBytes', `expected an integer from 0 to ${MAX_STORABLE_BYTES}`)
  }
  if (typeof given.shareParsed !== 'boolean') throw new CacheConfigError('shareParsed', 'expected a boolean')
  if (typeof given.coherence !== 'boolean') throw new CacheConfigError('coherence', 'expected a boolean')
  if (onEvent !== undefined && typeof onEvent !== 'function')
    throw new CacheConfigError('onEvent', 'expected a function')
  const l1Defaults = given.coherence ? L1_DEFAULTS : L1_DEFAULTS_WITHOUT_COHERENCE
  const l1 = given.l1 && readOptions(given.l1, l1Defaults, { path: 'l1' })
  const lock = given.lock && readOptions(given.lock, LOCK_DEFAULTS, { path: 'lock' })
  const timeouts = readOptions(given.timeouts, TIMEOUT_DEFAULTS, { path: 'timeouts' })
  if (given.valkey === undefined && process.env.AWS_LAMBDA_FUNCTION_NAME) {
    throw new CacheConfigError(
      'valkey',
      'missing inside Lambda: each execution environment would cache alone and S3 events could not ' +
        "reach it; pass the cache's endpoint (fromEnv() with VALKEY_URL set, a URL, options or a client), " +
        "or valkey: 'memory' to use the in-process store on purpose",
    )
  }
  return {
    s3,
    bucket,
    valkey: given.valkey,
    keyPrefix: resolveKeyPrefix(given.keyPrefix),
    ttlMs: positiveMs(given.ttl, 'ttl'),
    staleMs: toMs(given.staleTtl, 'staleTtl'),
    jitter,
    negativeTtlMs: toMs(given.negativeTtl, 'negativeTtl'),
    maxObjectBytes,
    maxDependents: count(given.maxDependents, 'maxDependents'),
    compression: resolveCompression(given.compression),
    l1: l1 && {
      maxBytes: byteCount(l1.maxBytes, 'l1.maxBytes'),
      ttlMs: positiveMs(l1.ttl, 'l1.ttl'),
    },
    coherence: given.coherence,
    shareParsed: given.shareParsed,
    lock: lock && {
      ttlMs: positiveMs(lock.ttl, 'lock.ttl'),
      waitMs: toMs(lock.wait, 'lock.wait', MAX_TIMER_MS),
    },
    timeouts: {
      valkeyMs: positiveMs(timeouts.valkey, 'timeouts.valkey', MAX_TIMER_MS),
      s3Ms: positiveMs(timeouts.s3, 'timeouts.s3', MAX_TIMER_MS),
      revalidateMs: toMs(timeouts.revalidate, 'timeouts.revalidate', MAX_TIMER_MS),
    },
    onEvent,
  }
}
