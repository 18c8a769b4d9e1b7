import { createHash } from 'node:crypto'
import type { HttpRequest } from './event'
import { type Headers, headerValues, ifNoneMatch, type MultiValueHeaders, setHeader, tokens } from './headers'
import type { HttpCacheSettings } from './options'

/** A proxy result (API Gateway v1, v2 or ALB), as far as the cache reads it. */
export interface ProxyResult {
  statusCode: number
  statusDescription?: string
  headers?: Headers
  multiValueHeaders?: MultiValueHeaders
  cookies?: string[]
  body?: string
  isBase64Encoded?: boolean
}

/** What `httpCache` stores for one response (the value it gives `cache.wrap`). A type alias, so it is a `WrapValue`. */
export type StoredResponse = {
  statusCode: number
  statusDescription?: string
  headers: Record<string, string>
  multiValueHeaders?: Record<string, string[]>
  body: string
  isBase64Encoded: boolean
  /** A strong validator: `"<SHA-256 of the body>"`. */
  etag: string
  /** When it was stored (epoch ms), for `age`. */
  storedAt: number
  /**
   * The `cacheControl` option, for a response that set no `Cache-Control`: added per answer, as
   * `etag` is, so that a response the cache could not store (`BYPASS`) goes out without it.
   */
  cacheControl?: string
}

/** Meaningful for one connection only (RFC 9110 §7.6.1). */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]
/** Set on every answer by the middleware itself. */
const PER_ANSWER = ['etag', 'age', 'x-cache']

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null

export function isProxyResult(value: unknown): value is ProxyResult {
  return (
    isRecord(value) &&
    Number.isInteger(value.statusCode) &&
    (value.body === undefined || typeof value.body === 'string') &&
    (value.headers === undefined || isRecord(value.headers)) &&
    (value.multiValueHeaders === undefined || isRecord(value.multiValueHeaders))
  )
}

/** Checks a value read back from the cache before it is served. */
export function isStoredResponse(value: unknown): value is StoredResponse {
  return (
    isRecord(value) &&
    Number.isInteger(value.statusCode) &&
    isRecord(value.headers) &&
    typeof value.body === 'string' &&
    typeof value.isBase64Encoded === 'boolean' &&
    typeof value.etag === 'string' &&
    typeof value.storedAt === 'number' &&
    (value.cacheControl === undefined || typeof value.cacheControl === 'string')
  )
}

function etagOf(body: string, isBase64Encoded: boolean): string {
  const bytes = Buffer.from(body, isBase64Encoded ? 'base64' : 'utf8')
  return `"${createHash('sha256').update(bytes).digest('base64url')}"`
}

/**
 * The value to store for the handler's `response`, or `undefined` when it must not be stored:
 * a status not in `statusCodes`, a body that is not a string, `Cache-Control: no-store` or
 * `private`, a cookie being set, or a `Vary` on a request header the key does not hold.
 */
export function toStored(
  response: unknown,
  settings: HttpCacheSettings,
  now: number,
): StoredResponse | undefined {
  if (!isProxyResult(response) || !settings.statusCodes.has(response.statusCode)) return undefined
  const { headers = {}, multiValueHeaders } = response
  const values = (name: string) => headerValues(name, headers, multiValueHeaders)
  // A response that sets a cookie belongs to one client.
  if (values('set-cookie').length > 0 || (response.cookies?.length ?? 0) > 0) return undefined
  const cacheControl = values('cache-control')
  const directives = tokens(cacheControl)
  if (directives.has('no-store') || directives.has('private')) return undefined
  const vary = tokens(values('vary'))
  if ([...vary].some((name) => name === '*' || !settings.varyHeaders.includes(name))) return undefined

  const dropped = new Set([...HOP_BY_HOP, ...PER_ANSWER, ...tokens(values('connection'))])
  const kept = <T>(entries: Record<string, T>) =>
    Object.entries(entries).filter(([name]) => !dropped.has(name.toLowerCase()))
  const body = response.body ?? ''
  const isBase64Encoded = response.isBase64Encoded === true
  const stored: StoredResponse = {
    statusCode: response.statusCode,
    headers: Object.fromEntries(kept(headers).map(([name, value]) => [name, String(value)])),
    body,
    isBase64Encoded,
    etag: etagOf(body, isBase64Encoded),
    storedAt: now,
  }
  if (multiValueHeaders) {
    stored.multiValueHeaders = Object.fromEntries(
      kept(multiValueHeaders).map(([name, list]) => [name, list.map(String)]),
    )
  }
  if (typeof response.statusDescription === 'string') stored.statusDescription = response.statusDescription
  if (settings.cacheControl !== undefined && cacheControl.length === 0)
    stored.cacheControl = settings.cacheControl
  return stored
}

/** A 304 carries the response's headers but no body, so the headers describing the body go. */
const describesBody = (name: string) =>
  name.toLowerCase().startsWith('content-') && name.toLowerCase() !== 'content-location'

/**
 * The `x-cache` header: `HIT` answered from the cache, `MISS` the handler ran (and a storable
 * response was stored), `BYPASS` the handler ran and the cache could not be used (Valkey down or
 * refusing, circuit open).
 */
export type CacheHeader = 'HIT' | 'MISS' | 'BYPASS'

/**
 * Sets the middleware's own response headers. An ALB target group in multi-value mode reads only
 * `multiValueHeaders`, so there they go in both maps (each replacing the handler's in any case).
 */
export function setAnswerHeaders(
  result: ProxyResult,
  request: HttpRequest,
  values: Record<string, string>,
): void {
  const headers = { ...result.headers }
  for (const [name, value] of Object.entries(values)) setHeader(headers, name, value)
  result.headers = headers
  if (!request.multiValueHeaders) return
  const multi: MultiValueHeaders = { ...result.multiValueHeaders }
  for (const [name, value] of Object.entries(values)) {
    for (const key of Object.keys(multi)) if (key.toLowerCase() === name) delete multi[key]
    multi[name] = [value]
  }
  result.multiValueHeaders = multi
}

/**
 * The answer built from a stored response: `x-cache`, the `etag`, `age` on a HIT, the configured
 * `Cache-Control` unless the response was not stored (`BYPASS`), and a 304 without body when the
 * request's `If-None-Match` matches the etag.
 */
export function fromStored(
  stored: StoredResponse,
  request: HttpRequest,
  status: CacheHeader,
  now: number,
): ProxyResult {
  const notModified = ifNoneMatch(request.headers.get('if-none-match'), stored.etag)
  const keep = (name: string) => !(notModified && describesBody(name))
  const headers: Headers = Object.fromEntries(Object.entries(stored.headers).filter(([name]) => keep(name)))
  const result: ProxyResult = notModified
    ? { statusCode: 304, headers, body: '', isBase64Encoded: false }
    : { statusCode: stored.statusCode, headers, body: stored.body, isBase64Encoded: stored.isBase64Encoded }
  if (stored.multiValueHeaders) {
    result.multiValueHeaders = Object.fromEntries(
      Object.entries(stored.multiValueHeaders).filter(([name]) => keep(name)),
    )
  }
  const answer: Record<string, string> = { etag: stored.etag, 'x-cache': status }
  if (status === 'HIT') answer.age = String(Math.max(0, Math.floor((now - stored.storedAt) / 1000)))
  // Browsers and CDNs are told to keep only what the cache keeps.
  if (stored.cacheControl !== undefined && status !== 'BYPASS') answer['cache-control'] = stored.cacheControl
  setAnswerHeaders(result, request, answer)
  if (stored.statusDescription !== undefined) {
    result.statusDescription = notModified ? '304 Not Modified' : stored.statusDescription
  }
  return result
}
