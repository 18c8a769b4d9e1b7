import {
  CacheConfigError,
  createS3Cache,
  type Duration,
  MAX_TIMER_MS,
  type S3Cache,
  type S3CacheOptions,
  toMs,
} from '@valkey-s3-cache/core'
import type { Context } from 'aws-lambda'
import { requireS3Cache } from './cache-option'
import { exposeRequestCache } from './request-cache'
import type { MiddyLikeMiddleware, MiddyLikeRequest } from './types'

/** The Lambda context as a handler behind {@link s3Cache} sees it. */
export interface S3CacheContext extends Context {
  /**
   * The cache of this execution environment, shared by every invocation; its reads stop waiting
   * shortly before the invocation times out (see `abortBeforeTimeout`).
   */
  s3Cache: S3Cache
}

/**
 * Options of {@link s3Cache}: a cache made with `createS3Cache` (share it with `httpCache`), or the
 * options of `createS3Cache`; with either, `connectOnInit`.
 */
export type S3CacheMiddlewareOptions = ({ cache: S3Cache } | S3CacheOptions) & {
  /**
   * Create the cache (from options) and start `cache.connect()` when `s3Cache()` runs, at module load
   * in Lambda's INIT phase, so the first invocation finds the connection open or opening. A connection
   * failure is not thrown (the cache reports it as an event and fails open); invalid options then throw
   * at module load. `false`: the cache is created on the first invocation and connects on first use.
   * Default `true`.
   */
  connectOnInit?: boolean
  /**
   * Reads through `context.s3Cache` (`get`, `getText`, `getJson`, `wrap`) stop waiting this long before
   * the invocation's timeout (`context.getRemainingTimeInMillis()`): they reject with a `TimeoutError`,
   * abort their S3 request and store nothing, so the handler can still answer. `false`: reads wait
   * for their own bounds only. A call's own `signal` wins. Default `'250ms'`.
   */
  abortBeforeTimeout?: Duration | false
}

/**
 * Puts one {@link S3Cache} per execution environment on `context.s3Cache`.
 *
 * The middleware is created once, outside the handler, so the cache (and its Valkey
 * connection) lives as long as the execution environment and is reused by every invocation.
 */
export function s3Cache(options: S3CacheMiddlewareOptions): MiddyLikeMiddleware<S3CacheContext> {
  if (typeof options !== 'object' || options === null) {
    throw new CacheConfigError('options', 'expected { cache } or the options of createS3Cache')
  }
  const { connectOnInit = true, abortBeforeTimeout = '250ms', ...rest } = options
  if (typeof connectOnInit !== 'boolean') throw new CacheConfigError('connectOnInit', 'expected a boolean')
  const marginMs =
    abortBeforeTimeout === false ? undefined : toMs(abortBeforeTimeout, 'abortBeforeTimeout', MAX_TIMER_MS)
  let cache: S3Cache | undefined
  if ('cache' in rest) {
    const other = Object.keys(rest).find((name) => name !== 'cache')
    if (other !== undefined) {
      // `conectOnInit` beside `cache` is a typo far more often than an attempt to pass cache options.
      throw new CacheConfigError(
        other,
        'unknown option beside cache (known: cache, connectOnInit, abortBeforeTimeout): pass either ' +
          '{ cache } or the options of createS3Cache, not both',
      )
    }
    cache = requireS3Cache(rest.cache)
  }
  const cacheOptions = rest as S3CacheOptions
  if (connectOnInit) {
    cache ??= createS3Cache(cacheOptions)
    // Not awaited: s3Cache() runs synchronously at module load. Failures reach the cache's onEvent.
    cache.connect().catch(() => {})
  }

  const s3CacheMiddlewareBefore = (request: MiddyLikeRequest<S3CacheContext>): undefined => {
    cache ??= createS3Cache(cacheOptions)
    const remaining = request.context?.getRemainingTimeInMillis?.()
    const signal =
      marginMs === undefined || typeof remaining !== 'number'
        ? undefined
        : AbortSignal.timeout(Math.max(1, remaining - marginMs))
    exposeRequestCache(request, { cache, signal })
  }

  return { before: s3CacheMiddlewareBefore }
}
