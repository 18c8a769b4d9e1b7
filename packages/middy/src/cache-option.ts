import { CacheConfigError, type S3Cache } from '@valkey-s3-cache/core'

/**
 * Whether `value` is a cache made by `createS3Cache`. Duck-typed on `get` and `wrap`, which every middleware uses:
 * `instanceof` cannot work, since the cache is a plain object and the app may resolve another copy of core.
 */
export function isS3Cache(value: unknown): value is S3Cache {
  const cache = value as Partial<S3Cache> | null
  return (
    typeof cache === 'object' &&
    cache !== null &&
    typeof cache.get === 'function' &&
    typeof cache.wrap === 'function'
  )
}

/** The `cache` option of every middleware: a cache made by `createS3Cache`, else `CacheConfigError`. */
export function requireS3Cache(value: unknown): S3Cache {
  if (!isS3Cache(value)) throw new CacheConfigError('cache', 'expected a cache made by createS3Cache')
  return value
}
