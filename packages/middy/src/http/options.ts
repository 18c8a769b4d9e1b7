import { CacheConfigError, type Duration, readOptions, type S3Cache, toMs } from '@valkey-s3-cache/core'
import type { Context } from 'aws-lambda'
import { requireS3Cache } from '../cache-option'
import type { HttpEvent } from './event'
import { headerNames } from './headers'

/** Options of {@link httpCache}. Each default is stated once, here. */
export interface HttpCacheOptions {
  /** The cache (from `createS3Cache`) whose `wrap` stores responses. Required. */
  cache: S3Cache
  /** How long a stored response is served. Default: the cache's `ttl`. */
  ttl?: Duration
  /**
   * Computes the cache key instead of the default (method, where the request arrived: domain name,
   * `Host`, API, stage, then route, path, sorted query, content type, `varyHeaders` and the SHA-256 of
   * the body). Return `undefined` to not cache this request. Default: none.
   */
  key?: (event: HttpEvent, context: Context) => string | undefined
  /**
   * A check that runs on every HTTP request reaching `httpCache`, hits included and whatever its method,
   * before anything is looked up: a hit skips every middleware after `httpCache`, so a per-request check
   * placed there would not run for it. Return `true` to go on; any other result (`false`, a forgotten
   * `return`) refuses the request with a `RequestRefusedError` (403), and a thrown error refuses it
   * with that error (say a 401 with `statusCode` and `expose`). Nothing is looked up or stored for a
   * refused request. Default: none (every request goes on).
   */
  authorize?: (event: HttpEvent, context: Context) => boolean | Promise<boolean>
  /** Request methods that are cached; others pass through untouched. Default `['GET', 'HEAD']`. */
  methods?: readonly string[]
  /**
   * Request headers that select a different response, added to the key (any case). A response
   * whose `Vary` names a header not listed here is not stored. Default `[]`.
   */
  varyHeaders?: readonly string[]
  /** Response status codes that are stored. Default `[200, 203, 204]`. */
  statusCodes?: readonly number[]
  /** `Cache-Control` added to stored responses that set none (for browsers and CDNs). Default: none. */
  cacheControl?: string
  /**
   * Whether a client's `Cache-Control: no-cache` (or `Pragma: no-cache`) runs the handler and
   * replaces the stored response. Default `false`: any client could otherwise skip the cache and drive cost.
   */
  honorNoCache?: boolean
}

/** The options after defaults and validation. */
export interface HttpCacheSettings {
  cache: S3Cache
  ttl: Duration | undefined
  key: HttpCacheOptions['key']
  authorize: HttpCacheOptions['authorize']
  methods: ReadonlySet<string>
  /** Lower case, sorted, without duplicates. */
  varyHeaders: readonly string[]
  statusCodes: ReadonlySet<number>
  cacheControl: string | undefined
  honorNoCache: boolean
}

const defaults = {
  ttl: undefined,
  key: undefined,
  authorize: undefined,
  methods: ['GET', 'HEAD'],
  varyHeaders: [],
  statusCodes: [200, 203, 204],
  cacheControl: undefined,
  honorNoCache: false,
} satisfies Omit<HttpCacheOptions, 'cache'>

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

function tokenList(option: string, value: unknown, allowEmpty: boolean): string[] {
  if (!Array.isArray(value) || (!allowEmpty && value.length === 0)) {
    throw new CacheConfigError(option, `expected ${allowEmpty ? 'an' : 'a non-empty'} array of names`)
  }
  for (const item of value) {
    if (typeof item !== 'string' || !TOKEN.test(item)) {
      throw new CacheConfigError(option, `not a valid name: ${JSON.stringify(item)}`)
    }
  }
  return value
}

/** Applies defaults and validates every option once, when the middleware is created. */
export function resolveHttpCacheOptions(options: HttpCacheOptions): HttpCacheSettings {
  if (typeof options !== 'object' || options === null) {
    throw new CacheConfigError('options', 'expected an object')
  }
  const merged = readOptions(options, defaults, { required: ['cache'] })
  const { ttl, key, authorize, cacheControl, honorNoCache } = merged
  const cache = requireS3Cache(merged.cache)
  if (ttl !== undefined && toMs(ttl, 'ttl') <= 0) throw new CacheConfigError('ttl', 'must be greater than 0')
  if (key !== undefined && typeof key !== 'function') throw new CacheConfigError('key', 'expected a function')
  if (authorize !== undefined && typeof authorize !== 'function') {
    throw new CacheConfigError('authorize', 'expected a function')
  }
  if (cacheControl !== undefined && typeof cacheControl !== 'string') {
    throw new CacheConfigError('cacheControl', 'expected a string')
  }
  if (typeof honorNoCache !== 'boolean') throw new CacheConfigError('honorNoCache', 'expected a boolean')
  const methods = tokenList('methods', merged.methods, false).map((method) => method.toUpperCase())
  const varyHeaders = headerNames(tokenList('varyHeaders', merged.varyHeaders, true))
  const statusCodes = merged.statusCodes
  if (
    !Array.isArray(statusCodes) ||
    statusCodes.some((code) => !Number.isInteger(code) || code < 100 || code > 599)
  ) {
    throw new CacheConfigError('statusCodes', 'expected an array of HTTP status codes')
  }
  return {
    cache,
    ttl,
    key,
    authorize,
    methods: new Set(methods),
    varyHeaders,
    statusCodes: new Set(statusCodes),
    cacheControl,
    honorNoCache,
  }
}
