import type { ReadStatus } from '@valkey-s3-cache/core'
import type { Context } from 'aws-lambda'
import { onEarlyEnd } from './http/early-end'
import { type HttpEvent, type HttpRequest, normaliseContentType, readHttpEvent } from './http/event'
import { tokens } from './http/headers'
import { defaultKey, namespaced } from './http/key'
import { type HttpCacheOptions, resolveHttpCacheOptions } from './http/options'
import { RequestRefusedError } from './http/refused'
import {
  fromStored,
  isProxyResult,
  isStoredResponse,
  type StoredResponse,
  setAnswerHeaders,
  toStored,
} from './http/response'
import { joinSharedRun } from './http/shared-run'
import { exposeRequestCache } from './request-cache'
import type { MiddyLikeMiddleware, MiddyLikeRequest } from './types'

/** Per-request state, kept in `request.internal` under this name. */
const STATE = 'valkey-s3-cache.httpCache'

interface State {
  http: HttpRequest
  /** Set when this request's handler run is the one `wrap` stores. */
  finish: ((stored: StoredResponse | undefined) => Promise<ReadStatus | undefined>) | undefined
  /** The run ended before `after` (an early answer, the error path): nothing of this request is stored. */
  endedEarly: boolean
}

/** `x-cache` after the handler ran: `BYPASS` when `wrap` could not use the cache. */
const ranHeader = (status: ReadStatus | undefined) => (status === 'bypass' ? 'BYPASS' : 'MISS')

/**
 * How long a leader whose request never ends (a handler that never settles) may hold other requests
 * when the invocation's remaining time is unknown (tests, containers).
 */
const DEFAULT_LEAD_LIMIT_MS = 30_000

const leadLimitMs = (context: Context): number =>
  typeof context?.getRemainingTimeInMillis === 'function'
    ? Math.max(0, context.getRemainingTimeInMillis())
    : DEFAULT_LEAD_LIMIT_MS

function wantsNoCache(http: HttpRequest): boolean {
  const cacheControl = http.headers.get('cache-control')
  if (cacheControl !== undefined) return tokens([cacheControl]).has('no-cache')
  // HTTP/1.0 clients send Pragma instead.
  return tokens([http.headers.get('pragma') ?? '']).has('no-cache')
}

/**
 * Response caching for API Gateway REST (v1), HTTP API (v2) and ALB proxy events.
 *
 * A stored response is answered from the cache with `x-cache: HIT`, `age` and its `etag`, and
 * the handler does not run; a matching `If-None-Match` gets a 304 without body. Otherwise the
 * handler runs (once per key for concurrent requests, through `cache.wrap`) and a storable
 * response is stored for `ttl` and answered with `x-cache: MISS` and an `etag`. Errors and
 * responses with `Cache-Control: no-store` or `private`, cookies, or an unlisted `Vary` are never stored.
 *
 * Use it first in the chain: its `before` answers hits before other middlewares run, and its
 * `after` runs last, so it stores the response as the client receives it (CORS headers included).
 * A hit skips every middleware after it and the handler: checks that must run on every request
 * (authorization, rate limits) go before it, or in `authorize`. A later middleware that answers early
 * (from `before`, `after` or `onError`) ends the run at once: nothing is stored and waiting requests
 * run their own handlers.
 *
 * A stored response depends on every object the handler read through `context.s3Cache` (from
 * `s3Cache` with the same cache) while computing it: a `put`, `invalidate`, S3 event or
 * `invalidateTags` of one of them removes the response, and a response whose object changed while
 * it was computed is not stored.
 */
export function httpCache(options: HttpCacheOptions): MiddyLikeMiddleware {
  const settings = resolveHttpCacheOptions(options)
  // staleTtl 0: a stale response would need a background refresh, which Lambda's freeze makes unreliable.
  const wrapOptions = { ttl: settings.ttl, staleTtl: 0 }

  const httpCacheMiddlewareBefore = async (request: MiddyLikeRequest) => {
    const http = readHttpEvent(request.event)
    if (http === undefined) return
    // First of all: a hit answered below skips every check placed after this middleware.
    if (
      settings.authorize &&
      (await settings.authorize(request.event as HttpEvent, request.context)) !== true
    ) {
      throw new RequestRefusedError()
    }
    // Before any parser: the answer to a request must not depend on whether it was cached.
    normaliseContentType(request.event, http)
    if (!settings.methods.has(http.method)) return
    let key: string
    if (settings.key) {
      const custom = settings.key(request.event as HttpEvent, request.context)
      if (typeof custom !== 'string' || custom === '') return
      key = namespaced(custom)
    } else {
      key = defaultKey(http, settings.varyHeaders)
    }
    const forceRefresh = settings.honorNoCache && wantsNoCache(http)
    const joined = await joinSharedRun(
      settings.cache,
      key,
      { ...wrapOptions, forceRefresh },
      leadLimitMs(request.context),
    )
    // Returning the response ends the request here: middy skips the handler and every `after`.
    if (joined.role === 'cached' && isStoredResponse(joined.value)) {
      // Another request's run that the cache could not store: shared, not cached.
      const header = joined.status === 'bypass' ? 'BYPASS' : 'HIT'
      return fromStored(joined.value, http, header, Date.now())
    }
    const state: State = { http, finish: undefined, endedEarly: false }
    request.internal[STATE] = state
    if (joined.role !== 'leader') return
    state.finish = joined.finish
    // A later middleware that answers early (a rate limiter's 429) skips this `after` and `onError`:
    // end the run the moment middy takes that answer, so no request waits on it and the lease goes.
    onEarlyEnd(request, () => {
      state.endedEarly = true
      void joined.finish(undefined)
    })
    // What the handler reads through `context.s3Cache` becomes a dependency of the response it stores.
    exposeRequestCache(request, { recording: { of: settings.cache, view: joined.reads } })
  }

  const httpCacheMiddlewareAfter = async (request: MiddyLikeRequest) => {
    const state = request.internal[STATE] as State | undefined
    if (state === undefined) return
    const now = Date.now()
    const stored = state.endedEarly ? undefined : toStored(request.response, settings, now)
    const status = await state.finish?.(stored)
    if (stored) request.response = fromStored(stored, state.http, ranHeader(status), now)
    else if (isProxyResult(request.response)) {
      setAnswerHeaders(request.response, state.http, { 'x-cache': ranHeader(status) })
    }
  }

  const httpCacheMiddlewareOnError = async (request: MiddyLikeRequest) => {
    // Errors are never stored. `request.error` and `request.response` are left as they are for http-error-handler.
    const state = request.internal[STATE] as State | undefined
    await state?.finish?.(undefined)
  }

  return {
    before: httpCacheMiddlewareBefore,
    after: httpCacheMiddlewareAfter,
    onError: httpCacheMiddlewareOnError,
  }
}
