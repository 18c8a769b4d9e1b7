import { type S3Cache, withSignal } from '@valkey-s3-cache/core'
import type { MiddyLikeRequest } from './types'

/** Per-request state shared by `s3Cache` and `httpCache`, kept in `request.internal` under this name. */
const STATE = 'valkey-s3-cache.requestCache'

interface RequestCacheState {
  /** The environment's cache (`s3Cache`'s). */
  cache?: S3Cache
  /** Stops this request's reads shortly before the invocation times out (`abortBeforeTimeout`). */
  signal?: AbortSignal | undefined
  /** The view of `httpCache`'s run that records what the handler reads, as dependencies of its response. */
  recording?: { of: S3Cache; view: S3Cache }
}

/**
 * Sets part of this request's cache state and puts the resulting view on `context.s3Cache`: the
 * cache, recording the handler's reads when `httpCache` computes a response with that same cache,
 * with this request's signal. Either middleware may run first; the view is right after both ran.
 */
export function exposeRequestCache(request: MiddyLikeRequest, part: RequestCacheState): void {
  let state = request.internal[STATE] as RequestCacheState | undefined
  if (!state) {
    state = {}
    request.internal[STATE] = state
  }
  Object.assign(state, part)
  if (!state.cache) return // `s3Cache` has not run (yet): nothing to expose
  const base = state.recording?.of === state.cache ? state.recording.view : state.cache
  ;(request.context as { s3Cache?: S3Cache }).s3Cache = state.signal ? withSignal(base, state.signal) : base
}
