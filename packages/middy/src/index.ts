export type { HttpEvent } from './http/event'
export { defaultHttpKey } from './http/key'
export type { HttpCacheOptions } from './http/options'
export { RequestRefusedError } from './http/refused'
export { httpCache } from './http-cache'
export { type S3CacheContext, type S3CacheMiddlewareOptions, s3Cache } from './s3-cache'
export {
  type S3EventCounts,
  type S3EventInvalidatorHandler,
  type S3EventInvalidatorOptions,
  type S3EventInvalidatorResult,
  s3EventInvalidator,
} from './s3-event-invalidator'
export type { MiddyLikeHook, MiddyLikeMiddleware, MiddyLikeRequest } from './types'
