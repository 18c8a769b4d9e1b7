import type { S3Client } from '@aws-sdk/client-s3'
import { Codec, type CompressionSettings, defaultCompression, zstdAvailable } from './compression'
import type { ValkeyClient, ValkeyConnectionOptions } from './connect/options'
import { type Duration, toMs } from './duration'
import { CacheConfigError } from './errors'
import type { CacheEventListener } from './events'

/** Options of {@link createS3Cache}. Each default is stated once, here. */
export interface S3CacheOptions {
  /** The S3 client (`@aws-sdk/client-s3`, which the Lambda runtime ships). Required. */
  s3: S3Client
  /** Default bucket of `get`, `put` and `invalidate`. Required. */
  bucket: string
  /**
   * An iovalkey `Redis` or `Cluster` instance (not closed by `close()`), connection
   * options, or a URL (`valkey://`, `valkeys://`, `redis://`, `rediss://`).
   * Default: none, which selects the in-process memory store (warns once; for tests and demos).
   */
  valkey?: ValkeyClient | ValkeyConnectionOptions | string
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
   * Body compression in the stored entry. Default: zstd where `node:zlib` has it, else gzip,
   * for bodies of 1 KiB and more (and only when it saves bytes). `false` turns it off.
   */
  compression?: false | { codec?: 'zstd' | 'gzip'; minBytes?: number }
  /**
   * An in-process LRU in front of Valkey. Default `false`. With `{ maxBytes, ttl }`
   * (defaults 16 MiB and `'5s'`), other processes' changes are seen within `ttl`.
   */
  l1?: false | { maxBytes?: number; ttl?: Duration }
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

/** Per-call options of `get`, `getText` and `getJson`. */
export interface GetOptions {
  /** Default: the cache's `bucket`. */
  bucket?: string
  /** Fresh time of an entry this call stores. Default: the cache's `ttl`. */
  ttl?: Duration
  /** Skip L1 and Valkey and load from S3 (the result is stored). Default `false`. */
  forceRefresh?: boolean
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
  compression: CompressionSettings | false
  l1: { maxBytes: number; ttlMs: number } | false
  lock: { ttlMs: number; waitMs: number } | false
  timeouts: { valkeyMs: number; s3Ms: number; revalidateMs: number }
  onEvent: CacheEventListener | undefined
}

/** Valkey's largest string is 512 MiB. */
const MAX_STORABLE_BYTES = 512 * 1024 * 1024

function positive(option: string, value: Duration): number {
  const ms = toMs(value, option)
  if (ms <= 0) throw new CacheConfigError(option, 'must be greater than 0')
  return ms
}

function resolveCompression(value: S3CacheOptions['compression']): CompressionSettings | false {
  if (value === false) return false
  if (value === undefined) return defaultCompression
  if (typeof value !== 'object')
    throw new CacheConfigError('compression', 'expected false or { codec?, minBytes? }')
  if (value.codec === 'zstd' && !zstdAvailable())
    throw new CacheConfigError('compression.codec', 'this Node.js has no zstd')
  if (value.codec !== undefined && value.codec !== 'zstd' && value.codec !== 'gzip') {
    throw new CacheConfigError(
      'compression.codec',
      `expected 'zstd' or 'gzip', got ${JSON.stringify(value.codec)}`,
    )
  }
  const minBytes = value.minBytes ?? defaultCompression.minBytes
  if (!Number.isInteger(minBytes) || minBytes < 0)
    throw new CacheConfigError('compression.minBytes', 'expected an integer >= 0')
  return { codec: value.codec ? Codec[value.codec] : defaultCompression.codec, minBytes }
}

/** The `keyPrefix` option with its default; `option` names it in the error (the CLI reads it from the environment). */
export function resolveKeyPrefix(value: unknown, option = 'keyPrefix'): string {
  const keyPrefix = value ?? 's3c:'
  // Braces would pick the cluster slot; glob characters and whitespace would break `~prefix*` ACLs and SCAN.
  if (typeof keyPrefix !== 'string' || keyPrefix.length === 0 || /[{}*?\s[\]]/.test(keyPrefix)) {
    throw new CacheConfigError(
      option,
      'expected a non-empty string without braces, glob characters or whitespace',
    )
  }
  return keyPrefix
}

/** Applies defaults and validates every option; throws {@link CacheConfigError} naming the first bad one. */
export function resolveOptions(options: S3CacheOptions): ResolvedOptions {
  if (!options || typeof options !== 'object') throw new CacheConfigError('options', 'expected an object')
  const { s3, bucket } = options
  if (!s3 || typeof (s3 as { send?: unknown }).send !== 'function')
    throw new CacheConfigError('s3', 'expected an S3Client')
  if (typeof bucket !== 'string' || bucket.length === 0)
    throw new CacheConfigError('bucket', 'expected a bucket name')
  const keyPrefix = resolveKeyPrefix(options.keyPrefix)
  const jitter = options.jitter ?? 0.1
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter < 1))
    throw new CacheConfigError('jitter', 'expected a fraction in [0, 1)')
  const maxObjectBytes = options.maxObjectBytes ?? 1_048_576
  if (!Number.isInteger(maxObjectBytes) || maxObjectBytes < 0 || maxObjectBytes > MAX_STORABLE_BYTES) {
    throw new CacheConfigError('maxObjectBytes', `expected an integer from 0 to ${MAX_STORABLE_BYTES}`)
  }
  const l1 = options.l1 ?? false
  const lock = options.lock ?? {}
  const timeouts = options.timeouts ?? {}
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function')
    throw new CacheConfigError('onEvent', 'expected a function')
  return {
    s3,
    bucket,
    valkey: options.valkey,
    keyPrefix,
    ttlMs: positive('ttl', options.ttl ?? '5m'),
    staleMs: toMs(options.staleTtl ?? 0, 'staleTtl'),
    jitter,
    negativeTtlMs: toMs(options.negativeTtl ?? '30s', 'negativeTtl'),
    maxObjectBytes,
    compression: resolveCompression(options.compression),
    l1: l1 && {
      maxBytes: positive('l1.maxBytes', l1.maxBytes ?? 16 * 1024 * 1024),
      ttlMs: positive('l1.ttl', l1.ttl ?? '5s'),
    },
    lock: lock && {
      ttlMs: positive('lock.ttl', lock.ttl ?? '10s'),
      waitMs: toMs(lock.wait ?? '2s', 'lock.wait'),
    },
    timeouts: {
      valkeyMs: positive('timeouts.valkey', timeouts.valkey ?? 250),
      s3Ms: positive('timeouts.s3', timeouts.s3 ?? '3s'),
      revalidateMs: toMs(timeouts.revalidate ?? 500, 'timeouts.revalidate'),
    },
    onEvent: options.onEvent,
  }
}
