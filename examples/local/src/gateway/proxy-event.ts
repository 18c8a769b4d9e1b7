import type { APIGatewayProxyEvent, Context } from 'aws-lambda'

/** One HTTP request as the gateway received it. */
export interface GatewayRequest {
  requestId: string
  method: string
  /** Path and query as sent, stage included: `/local/objects?a=1`. */
  url: string
  /** Node's `rawHeaders`: names as the client wrote them, repeated headers kept. */
  rawHeaders: string[]
  body: Buffer
  sourceIp: string
  /** `host:port` the client connected to. */
  host: string
  receivedAt: number
}

export interface RouteMatch {
  stage: string
  /** The API resource, e.g. `/objects` (path parameters would appear as `{name}`). */
  resource: string
  /** The API key that was checked, when the method requires one. */
  apiKey?: { id: string; value: string } | undefined
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** `25/Nov/2025:07:20:00 +0000`, the format of `requestContext.requestTime`. */
function requestTime(epochMs: number): string {
  const d = new Date(epochMs)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
}

function headerMaps(request: GatewayRequest) {
  const multi: Record<string, string[]> = {}
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] as string
    const value = request.rawHeaders[i + 1] as string
    multi[name] = [...(multi[name] ?? []), value]
  }
  // What API Gateway adds in front of the integration.
  const [, port = '80'] = request.host.split(':')
  const forwarded = multi['X-Forwarded-For'] ?? multi['x-forwarded-for']
  multi['X-Forwarded-For'] = [[...(forwarded ?? []), request.sourceIp].join(', ')]
  delete multi['x-forwarded-for']
  multi['X-Forwarded-Port'] = [port]
  multi['X-Forwarded-Proto'] = ['http']
  multi['X-Amzn-Trace-Id'] = [
    `Root=1-${Math.floor(request.receivedAt / 1000).toString(16)}-${request.requestId.replaceAll('-', '').slice(0, 24)}`,
  ]
  // `headers` holds the last value of each header, `multiValueHeaders` all of them.
  const single = Object.fromEntries(
    Object.entries(multi).map(([name, values]) => [name, values.at(-1) as string]),
  )
  return { single, multi }
}

function queryMaps(search: URLSearchParams) {
  const multi: Record<string, string[]> = {}
  for (const [name, value] of search) multi[name] = [...(multi[name] ?? []), value]
  if (Object.keys(multi).length === 0) return { single: null, multi: null }
  const single = Object.fromEntries(
    Object.entries(multi).map(([name, values]) => [name, values.at(-1) as string]),
  )
  return { single, multi }
}

/** The REST API (v1) Lambda proxy event API Gateway would send for this request. */
export function toProxyEvent(request: GatewayRequest, route: RouteMatch): APIGatewayProxyEvent {
  const url = new URL(request.url, 'http://gateway.local')
  const stagePrefix = `/${route.stage}`
  const path = url.pathname.startsWith(`${stagePrefix}/`)
    ? url.pathname.slice(stagePrefix.length)
    : url.pathname
  const headers = headerMaps(request)
  const query = queryMaps(url.searchParams)
  const userAgent = headers.single['User-Agent'] ?? headers.single['user-agent'] ?? null
  return {
    resource: route.resource,
    path,
    httpMethod: request.method,
    headers: headers.single,
    multiValueHeaders: headers.multi,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: null,
    stageVariables: null,
    body: request.body.byteLength > 0 ? request.body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      domainName: request.host,
      domainPrefix: request.host.split('.')[0],
      extendedRequestId: request.requestId.slice(0, 18),
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: route.apiKey?.value ?? null,
        apiKeyId: route.apiKey?.id ?? null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent,
        userArn: null,
      },
      path: url.pathname,
      protocol: 'HTTP/1.1',
      requestId: request.requestId,
      requestTime: requestTime(request.receivedAt),
      requestTimeEpoch: request.receivedAt,
      resourceId: 'local',
      resourcePath: route.resource,
      stage: route.stage,
    },
  }
}

/** A Lambda context for one invocation: its own request id and a deadline `timeoutMs` away. */
export function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs
  const awsRequestId = crypto.randomUUID()
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${awsRequestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  }
}
