import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda'

export interface EventInit {
  method?: string
  path?: string
  /** v1: name → value, or `null` as console test events send; v2: joined into `rawQueryString` in this order. */
  query?: Record<string, string> | null
  /** `null` as API Gateway console test events send. */
  headers?: Record<string, string> | null
  body?: string | null
  isBase64Encoded?: boolean
}

/** An API Gateway REST API (payload v1) proxy event. */
export function v1Event(init: EventInit = {}): APIGatewayProxyEvent {
  const headers = init.headers === undefined ? {} : init.headers
  const query = init.query === undefined ? null : init.query
  const toMulti = <T>(record: Record<string, T> | null) =>
    record && Object.fromEntries(Object.entries(record).map(([name, value]) => [name, [value]]))
  return {
    resource: '/objects',
    path: init.path ?? '/objects',
    httpMethod: init.method ?? 'GET',
    headers: headers as APIGatewayProxyEvent['headers'],
    multiValueHeaders: toMulti(headers) as APIGatewayProxyEvent['multiValueHeaders'],
    queryStringParameters: query,
    multiValueQueryStringParameters: toMulti(query),
    pathParameters: null,
    stageVariables: null,
    requestContext: { stage: 'test', requestId: 'test' } as APIGatewayProxyEvent['requestContext'],
    body: init.body ?? null,
    isBase64Encoded: init.isBase64Encoded ?? false,
  }
}

/** An HTTP API (payload v2) proxy event. */
export function v2Event(init: EventInit = {}): APIGatewayProxyEventV2 {
  const method = init.method ?? 'GET'
  const path = init.path ?? '/objects'
  const rawQueryString = new URLSearchParams(init.query ?? {}).toString()
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString,
    headers: (init.headers ?? {}) as APIGatewayProxyEventV2['headers'],
    requestContext: { http: { method, path }, stage: '$default' } as APIGatewayProxyEventV2['requestContext'],
    isBase64Encoded: init.isBase64Encoded ?? false,
  }
  if (rawQueryString) event.queryStringParameters = { ...init.query }
  if (init.body != null) event.body = init.body
  return event
}

export const eventVersions = [
  { version: 'v1 (REST API)', event: v1Event },
  { version: 'v2 (HTTP API)', event: v2Event },
] as const

/** The header `name` (any case) of a result. */
export function header(
  result: { headers?: Record<string, unknown> | undefined },
  name: string,
): string | undefined {
  const entry = Object.entries(result.headers ?? {}).find(([key]) => key.toLowerCase() === name.toLowerCase())
  return entry === undefined ? undefined : String(entry[1])
}
