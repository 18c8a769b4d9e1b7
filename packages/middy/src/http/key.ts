import { createHash } from 'node:crypto'
import type { HttpRequest, RequestBody } from './event'

/** Bumped when the stored value's shape changes, so a new version never reads an old entry. */
const FORMAT = 'http1'

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('base64url')

/**
 * The body's part of the key: the SHA-256 of the raw bytes, or of the JSON text of a value a
 * parser produced, so the key works whether `@middy/http-json-body-parser` ran first or not
 * (and a compact JSON body gets the same key either way).
 */
function bodyHash(body: RequestBody): string | null {
  if (body.kind === 'none') return null
  return sha256(body.kind === 'bytes' ? body.bytes : (JSON.stringify(body.value) ?? ''))
}

/** Method, route, path, the sorted query, the listed request headers and the body's SHA-256. */
export function defaultKey(request: HttpRequest, varyHeaders: readonly string[]): string {
  const vary = varyHeaders.map((name) => request.headers.get(name) ?? null)
  // A JSON array keeps the parts apart: no path or header value can imitate a separator.
  const parts = JSON.stringify([
    request.method,
    request.route,
    request.path,
    request.query,
    vary,
    bodyHash(request.body),
  ])
  return namespaced(parts)
}

/**
 * The key `cache.wrap` receives. It is a hash, so a long path or a custom key can never
 * exceed the 1024-byte key limit, and `http:` keeps HTTP entries apart from other `wrap` keys.
 */
export function namespaced(key: string): string {
  return `http:${FORMAT}:${sha256(key)}`
}
