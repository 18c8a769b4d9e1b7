import { createHash } from 'node:crypto'
import { byName, type HttpEvent, type HttpRequest, type RequestBody, readHttpEvent } from './event'
import { headerNames } from './headers'

/** Bumped when the stored value's shape changes, so a new version never reads an old entry. */
const FORMAT = 'http1'

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('base64url')

/** JSON text with every object's keys sorted, so `{"a":1,"b":2}` and `{"b":2,"a":1}` read alike. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return item
    const entries = Object.entries(item as Record<string, unknown>)
    return Object.fromEntries(entries.sort(byName))
  })
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json(?:;|$)/

/** A JSON body's value, or `undefined` when the body is not JSON (by its content type, then by parsing). */
function jsonValue(body: RequestBody, contentType: string | null): unknown {
  if (body.kind === 'value') return body.value
  if (body.kind !== 'bytes' || contentType === null || !JSON_MEDIA_TYPE.test(contentType)) return undefined
  try {
    return JSON.parse(Buffer.from(body.bytes).toString('utf8'))
  } catch {
    return undefined
  }
}

/**
 * The body's part of the key: for a JSON body (by its content type, or a value a parser produced
 * when `@middy/http-json-body-parser` ran first), the SHA-256 of its canonical JSON, so bodies that
 * differ only in spacing or key order share an entry; else the SHA-256 of the raw bytes.
 */
function bodyHash(body: RequestBody, contentType: string | null): string | null {
  if (body.kind === 'none') return null
  const value = jsonValue(body, contentType)
  if (value !== undefined) return sha256(canonicalJson(value) ?? '')
  return sha256(body.kind === 'bytes' ? body.bytes : '')
}

/**
 * Method, where the request arrived (domain name and `Host`; API and stage with its variables), route,
 * path, the sorted query, the content type, the listed request headers (lower case) and the body's
 * SHA-256, as JSON text: an array keeps the parts apart, so no path or header value can imitate a
 * separator.
 */
export function keyText(request: HttpRequest, varyHeaders: readonly string[]): string {
  const vary = varyHeaders.map((name) => request.headers.get(name) ?? null)
  return JSON.stringify([
    request.method,
    request.origin,
    request.route,
    request.path,
    request.query,
    request.contentType,
    vary,
    bodyHash(request.body, request.contentType),
  ])
}

/** The key `httpCache` stores a request's response under without a `key` option. */
export function defaultKey(request: HttpRequest, varyHeaders: readonly string[]): string {
  return namespaced(keyText(request, varyHeaders))
}

/**
 * The default key of `event` as text (what `httpCache` uses without a `key` option, before hashing),
 * for a `key` that adds to it: `key: (event) => defaultHttpKey(event) + JSON.stringify(callerOf(event))`.
 * `varyHeaders` as the option (any case). `undefined` for an event that is not an HTTP proxy event.
 */
export function defaultHttpKey(event: HttpEvent, varyHeaders: readonly string[] = []): string | undefined {
  const request = readHttpEvent(event)
  if (request === undefined) return undefined
  return keyText(request, headerNames(varyHeaders))
}

/**
 * The key `cache.wrap` receives. It is a hash, so a long path or a custom key can never
 * exceed the 1024-byte key limit, and `http:` keeps HTTP entries apart from other `wrap` keys.
 */
export function namespaced(key: string): string {
  return `http:${FORMAT}:${sha256(key)}`
}
