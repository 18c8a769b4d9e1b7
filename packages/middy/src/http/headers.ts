/** Header helpers. HTTP header names are case-insensitive; Lambda proxy results keep whatever case the handler used. */

/** Response header values as API Gateway and ALB accept them. */
export type HeaderValue = string | number | boolean
export type Headers = Record<string, HeaderValue>
export type MultiValueHeaders = Record<string, HeaderValue[]>

/** Every value of header `name` (any case) in `headers` and `multiValueHeaders`. */
export function headerValues(name: string, headers?: unknown, multiValueHeaders?: unknown): string[] {
  const values: string[] = []
  const lower = name.toLowerCase()
  if (typeof headers === 'object' && headers !== null) {
    for (const [key, value] of Object.entries(headers)) {
      if (key.toLowerCase() === lower && value != null) values.push(String(value))
    }
  }
  if (typeof multiValueHeaders === 'object' && multiValueHeaders !== null) {
    for (const [key, list] of Object.entries(multiValueHeaders)) {
      if (key.toLowerCase() === lower && Array.isArray(list)) {
        for (const value of list) values.push(String(value))
      }
    }
  }
  return values
}

/** Comma-separated tokens of header values, lower case, each without its `=argument`: `no-store`, `private`, `max-age`. */
export function tokens(values: readonly string[]): Set<string> {
  const found = new Set<string>()
  for (const value of values) {
    for (const part of value.split(',')) {
      const token = part.split('=')[0]?.trim().toLowerCase()
      if (token) found.add(token)
    }
  }
  return found
}

/**
 * Whether an `If-None-Match` value matches `etag`. `If-None-Match` uses the weak comparison
 * (RFC 9110 §13.1.2), so `W/"x"` matches `"x"`; `*` matches any current representation.
 */
export function ifNoneMatch(value: string | undefined, etag: string): boolean {
  if (value === undefined) return false
  if (value.trim() === '*') return true
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '')
  return value.split(',').some((tag) => opaque(tag) === opaque(etag))
}

/** Sets `name` (lower case) to `value`, replacing the header in any case so the response never carries it twice. */
export function setHeader(headers: Headers, name: string, value: HeaderValue): void {
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) delete headers[key]
  headers[name] = value
}

/** Header names as `varyHeaders` holds them: lower case, without duplicates, sorted (so the key does not depend on their order). */
export function headerNames(names: readonly string[]): string[] {
  return [...new Set(names.map((name) => name.toLowerCase()))].sort()
}
