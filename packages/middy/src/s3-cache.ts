import { CacheConfigError, createS3Cache, type S3Cache, type S3CacheOptions } from '@valkey-s3-cache/core'
import type { Context } from 'aws-lambda'
import { requireS3Cache } from './cache-option'
import type { MiddyLikeMiddleware, MiddyLikeRequest } from './types'

/** The Lambda context as a handler behind {@link s3Cache} sees it. */
export interface S3CacheContext extends Context {
  /** The cache of this execution environment, shared by every invocation. */
  s3Cache: S3Cache
}

/**
 * Options of {@link s3Cache}: a cache made with `createS3Cache` (share it with `httpCache`),
 * or the options of `createS3Cache`, in which case the cache is created on the first invocation.
 */
export type S3CacheMiddlewareOptions = { cache: S3Cache } | S3CacheOptions

/**
 * Puts one {@link S3Cache} per execution environment on `context.s3Cache`.
 *
 * The middleware is created once, outside the handler, so the cache (and its Valkey
 * connection) lives as long as the execution environment and is reused by every invocation.
 * Options are checked here; `createS3Cache` validates its own options when it runs.
 */
export function s3Cache(options: S3CacheMiddlewareOptions): MiddyLikeMiddleware<S3CacheContext> {
  if (typeof options !== 'object' || options === null) {
    throw new CacheConfigError('options', 'expected { cache } or the options of createS3Cache')
  }
  let cache: S3Cache | undefined
  if ('cache' in options) {
    if (Object.keys(options).length > 1) {
      throw new CacheConfigError('cache', 'pass either { cache } or the options of createS3Cache, not both')
    }
    cache = requireS3Cache(options.cache)
  }
  const cacheOptions = options as S3CacheOptions

  const s3CacheMiddlewareBefore = (request: MiddyLikeRequest<S3CacheContext>): undefined => {
    // Created on the first invocation, not at import, so importing the handler stays free of side effects.
    cache ??= createS3Cache(cacheOptions)
    request.context.s3Cache = cache
  }

  return { before: s3CacheMiddlewareBefore }
}
