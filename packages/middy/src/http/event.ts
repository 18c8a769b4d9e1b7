import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda'

/** The proxy events `httpCache` understands: API Gateway REST (v1), HTTP API (v2) and ALB. */
export type HttpEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2 | ALBEvent

/** What the body contributes to the cache key. */
export type RequestBody =
  | { kind: 'none' }
  /** A raw body, base64-decoded when the event says so. */
  | { kind: 'bytes'; bytes: Uint8Array }
  /** A body a parser (such as `@middy/http-json-body-parser`) already turned into a value. */
  | { kind: 'value'; value: unknown }

/** One request, read the same way from every event version. */
export interface HttpRequest {
  /** Upper case. */
  method: string
  /**
   * Where the request arrived, beyond its path, when that selects a different answer: the event kind,
   * `requestContext.domainName` (`''` for ALB) and the `Host` header (`null` without one) for every kind,
   * then REST API (v1) `apiId`, `stage` and the stage variables (sorted by name), HTTP API (v2) and
   * function URLs `stage`.
   */
  origin: unknown[]
  /** `resource` (v1) or `routeKey` (v2); `''` for ALB. */
  route: string
  path: string
  /** Query parameters sorted by name, as the handler receives them; repeated values keep their order. */
  query: Array<[string, string]>
  /** Header values by lower-case name; repeated headers joined with `, `. */
  headers: Map<string, string>
  /** The media type and its parameters, lower case without spaces (`application/json;charset=utf-8`), or `null`. */
  contentType: string | null
  /** An ALB target group in multi-value mode: the response's headers must go in `multiValueHeaders`. */
  multiValueHeaders: boolean
  body: RequestBody
}

type Loose = Record<string, unknown>

const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null

/**
 * Orders entries by name in code-unit order, not localeCompare: a key must not depend on the runtime's
 * locale. `Array.prototype.sort` is stable, so entries of one name keep their order.
 */
export const byName = ([a]: [string, unknown], [b]: [string, unknown]): number => (a < b ? -1 : a > b ? 1 : 0)
const text = (value: unknown): string => (typeof value === 'string' ? value : '')

/** Header names are case-insensitive; console test events send `headers: null`. */
function readHeaders(event: Loose): Map<string, string> {
  const headers = new Map<string, string>()
  const add = (name: string, value: string) => {
    const lower = name.toLowerCase()
    const previous = headers.get(lower)
    headers.set(lower, previous === undefined ? value : `${previous}, ${value}`)
  }
  // multiValueHeaders holds every value of a repeated header, headers only the last one; a
  // hand-made event may fill just one of them, so headers adds the names the other lacks.
  if (isObject(event.multiValueHeaders)) {
    for (const [name, values] of Object.entries(event.multiValueHeaders)) {
      if (Array.isArray(values)) for (const value of values) add(name, String(value))
    }
  }
  if (isObject(event.headers)) {
    const seen = new Set(headers.keys())
    for (const [name, value] of Object.entries(event.headers)) {
      // One name twice in other cases with one value (`normaliseContentType` adds `content-type`) is one header.
      const lower = name.toLowerCase()
      if (value != null && !seen.has(lower) && headers.get(lower) !== String(value)) add(name, String(value))
    }
  }
  // HTTP API v2 moves the Cookie header into `cookies`.
  if (Array.isArray(event.cookies) && event.cookies.length > 0 && !headers.has('cookie')) {
    headers.set('cookie', event.cookies.join('; '))
  }
  return headers
}

function readQuery(event: Loose, v2: boolean): Array<[string, string]> {
  const pairs: Array<[string, string]> = []
  if (v2) {
    // What the handler receives: values decoded by API Gateway (`+` stays `+`), repeated ones joined
    // with commas. `rawQueryString` through URLSearchParams would read `a+b` and `a%20b` alike.
    const params = isObject(event.queryStringParameters) ? event.queryStringParameters : {}
    for (const [name, value] of Object.entries(params)) if (value != null) pairs.push([name, String(value)])
  } else {
    // As with headers: every value from the multi-value map, then the names only the other one has.
    const multi = isObject(event.multiValueQueryStringParameters) ? event.multiValueQueryStringParameters : {}
    for (const [name, values] of Object.entries(multi)) {
      if (Array.isArray(values)) for (const value of values) pairs.push([name, String(value)])
    }
    const single = isObject(event.queryStringParameters) ? event.queryStringParameters : {}
    for (const [name, value] of Object.entries(single)) {
      if (value != null && !Object.hasOwn(multi, name)) pairs.push([name, String(value)])
    }
  }
  return pairs.sort(byName)
}

function readBody(event: Loose): RequestBody {
  const { body } = event
  if (body === undefined || body === null) return { kind: 'none' }
  if (typeof body !== 'string') return { kind: 'value', value: body }
  const bytes = event.isBase64Encoded === true ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8')
  return { kind: 'bytes', bytes }
}

/** Stage variables sorted by name (`null` when there are none). */
function sortedRecord(value: unknown): Array<[string, unknown]> | null {
  if (!isObject(value)) return null
  return Object.entries(value).sort(byName)
}

/**
 * The domain and host come first for every kind: one function behind several custom domains (one per
 * tenant), function URLs or ALB host rules must never answer one of them with another's response.
 */
function readOrigin(event: Loose, requestContext: Loose, v2: boolean, headers: Map<string, string>) {
  const arrived = [text(requestContext.domainName), headers.get('host') ?? null]
  if (isObject(requestContext.elb)) return ['alb', ...arrived]
  if (v2) return ['http', ...arrived, text(requestContext.stage)]
  const stage = [text(requestContext.apiId), text(requestContext.stage), sortedRecord(event.stageVariables)]
  return ['rest', ...arrived, ...stage]
}

/** `Application/JSON; Charset=UTF-8` → `application/json;charset=utf-8`. */
function normalisedContentType(value: string | undefined): string | null {
  if (value === undefined) return null
  return value.toLowerCase().replace(/\s+/g, '')
}

/** Reads a v1, v2 or ALB proxy event; `undefined` for anything else (the middleware then stays out of the way). */
export function readHttpEvent(event: unknown): HttpRequest | undefined {
  if (!isObject(event)) return undefined
  const requestContext = isObject(event.requestContext) ? event.requestContext : {}
  const http = isObject(requestContext.http) ? requestContext.http : undefined
  const v2 = event.version === '2.0' || http !== undefined
  const method = v2 ? text(http?.method) : text(event.httpMethod)
  if (method === '') return undefined
  const headers = readHeaders(event)
  return {
    method: method.toUpperCase(),
    origin: readOrigin(event, requestContext, v2, headers),
    route: v2 ? text(event.routeKey) : text(event.resource),
    path: v2 ? text(event.rawPath) || text(http?.path) : text(event.path),
    query: readQuery(event, v2),
    headers,
    contentType: normalisedContentType(headers.get('content-type')),
    multiValueHeaders: isObject(requestContext.elb) && isObject(event.multiValueHeaders),
    body: readBody(event),
  }
}

/**
 * Puts the request's content type under `headers['content-type']`, where body parsers such as
 * `@middy/http-json-body-parser` look (it reads `content-type` and `Content-Type` only), whatever
 * spelling the client used and also when it came only in `multiValueHeaders` (ALB multi-value mode,
 * hand-made events). Otherwise a request the parser refuses cold could be answered from the cache warm.
 */
export function normaliseContentType(event: unknown, request: HttpRequest): void {
  const value = request.headers.get('content-type')
  if (value === undefined || !isObject(event)) return
  const headers = isObject(event.headers) ? event.headers : {}
  if (headers['content-type'] !== undefined || headers['Content-Type'] !== undefined) return
  // A new object: the caller's header map may be shared with other events.
  event.headers = { ...headers, 'content-type': value }
}
