import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import type { ApiKeys } from './api-keys'
import { type GatewayRequest, lambdaContext, toProxyEvent } from './proxy-event'
import { writeGatewayError, writeProxyResult } from './proxy-result'

export type LambdaHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>

/** One method of one resource, integrated with the Lambda function (proxy integration). */
export interface Route {
  resource: string
  method: string
  apiKeyRequired: boolean
}

export interface CorsSettings {
  allowOrigin: string
  allowMethods: string[]
  allowHeaders: string[]
  maxAgeSeconds: number
}

export interface GatewayOptions {
  handler: LambdaHandler
  /** Lambda function name, for the invocation context. */
  functionName: string
  stage: string
  routes: Route[]
  apiKeys: ApiKeys
  /** Answers OPTIONS on every resource without an API key (CDK's `defaultCorsPreflightOptions`). */
  cors: CorsSettings
  host?: string
  /** `0` (default) picks a free port. */
  port?: number
  /** API Gateway's integration timeout. Default 29 s. */
  timeoutMs?: number
  /** API Gateway's payload limit. Default 10 MiB. */
  maxBodyBytes?: number
  /** Called once per answered request (the demo's access log). */
  onResponse?: (entry: AccessLogEntry) => void
}

export interface AccessLogEntry {
  requestId: string
  method: string
  url: string
  statusCode: number
  apiKeyName: string | undefined
  durationMs: number
  xCache: string | undefined
}

export interface Gateway {
  /** The stage's invoke URL, e.g. `http://127.0.0.1:3000/local`. */
  url: string
  port: number
  close(): Promise<void>
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength
      if (size > limit) {
        reject(new BodyTooLarge())
        req.resume()
      } else chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * A local stand-in for the API Gateway REST stage in front of the function: routes, API keys, usage
 * plans, CORS preflight, and the Lambda proxy integration (event in, result out). Gateway errors are
 * answered as API Gateway answers them, e.g. 403 `{"message":"Forbidden"}`.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const timeoutMs = options.timeoutMs ?? 29_000
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024
  const host = options.host ?? '127.0.0.1'
  const stagePrefix = `/${options.stage}`

  /** Answers one request; returns its status. `entry` collects what the access log shows. */
  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    entry: AccessLogEntry,
  ): Promise<number> => {
    const receivedAt = Date.now()
    const method = entry.method
    // Gateway responses (DEFAULT_4XX/5XX) carry the CORS origin too, so browsers can read them.
    const headers = {
      'x-amzn-RequestId': entry.requestId,
      'Access-Control-Allow-Origin': options.cors.allowOrigin,
    }
    const fail = (status: number, message: string, errorType: string) => {
      writeGatewayError(res, status, message, { ...headers, 'x-amzn-ErrorType': errorType })
      return status
    }

    // 1. Route: /{stage}/{resource}. Unknown resources and methods get API Gateway's odd 403.
    const pathname = new URL(entry.url, 'http://gateway.local').pathname
    const resource = pathname.startsWith(`${stagePrefix}/`) ? pathname.slice(stagePrefix.length) : undefined
    const routes = options.routes.filter((route) => route.resource === resource)
    if (routes.length === 0)
      return fail(403, 'Missing Authentication Token', 'MissingAuthenticationTokenException')
    // 2. CORS preflight: answered by the gateway itself (a MOCK integration), no API key needed.
    if (method === 'OPTIONS') {
      const { cors } = options
      res.writeHead(204, {
        ...headers,
        'Access-Control-Allow-Methods': cors.allowMethods.join(','),
        'Access-Control-Allow-Headers': cors.allowHeaders.join(','),
        'Access-Control-Max-Age': String(cors.maxAgeSeconds),
      })
      res.end()
      return 204
    }
    const route = routes.find((candidate) => candidate.method === method)
    if (route === undefined)
      return fail(403, 'Missing Authentication Token', 'MissingAuthenticationTokenException')

    // 3. API key, then its usage plan: quota, then throttle.
    let apiKey: { id: string; value: string } | undefined
    if (route.apiKeyRequired) {
      const header = req.headers['x-api-key']
      const key = options.apiKeys.find(Array.isArray(header) ? header[0] : header)
      if (key === undefined) return fail(403, 'Forbidden', 'ForbiddenException')
      entry.apiKeyName = key.name
      const admission = key.plan.admit(key.id, receivedAt)
      if (!admission.admitted && admission.reason === 'quota') {
        return fail(429, 'Limit Exceeded', 'LimitExceededException')
      }
      if (!admission.admitted) return fail(429, 'Too Many Requests', 'TooManyRequestsException')
      apiKey = { id: key.id, value: key.value }
    }

    // 4. The Lambda proxy integration.
    let body: Buffer
    try {
      body = await readBody(req, maxBodyBytes)
    } catch (error) {
      if (error instanceof BodyTooLarge) return fail(413, 'Request Too Long', 'RequestTooLongException')
      throw error
    }
    const request: GatewayRequest = {
      requestId: entry.requestId,
      method,
      url: entry.url,
      rawHeaders: req.rawHeaders,
      body,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      host: req.headers.host ?? host,
      receivedAt,
    }
    const event = toProxyEvent(request, { stage: options.stage, resource: route.resource, apiKey })
    let result: APIGatewayProxyResult | 'timeout'
    try {
      result = await withTimeout(
        options.handler(event, lambdaContext(options.functionName, timeoutMs)),
        timeoutMs,
      )
    } catch {
      // An invocation that throws is a 502 from API Gateway; the function's own log says why.
      return fail(502, 'Internal server error', 'InternalServerErrorException')
    }
    if (result === 'timeout') return fail(504, 'Endpoint request timed out', 'IntegrationTimeout')
    const written = writeProxyResult(res, result, headers)
    const xCache = Object.entries(written.headers).find(([name]) => name.toLowerCase() === 'x-cache')?.[1]
    entry.xCache = xCache === undefined ? undefined : String(xCache)
    return written.statusCode
  }

  const server = createServer((req, res) => {
    const started = performance.now()
    const entry: AccessLogEntry = {
      requestId: randomUUID(),
      method: (req.method ?? 'GET').toUpperCase(),
      url: req.url ?? '/',
      statusCode: 0,
      apiKeyName: undefined,
      durationMs: 0,
      xCache: undefined,
    }
    handle(req, res, entry)
      .catch(() => {
        if (res.headersSent) res.destroy()
        else writeGatewayError(res, 500, 'Internal server error', { 'x-amzn-RequestId': entry.requestId })
        return 500
      })
      .then((statusCode) => {
        entry.statusCode = statusCode
        entry.durationMs = performance.now() - started
        options.onResponse?.(entry)
      })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${host}:${port}${stagePrefix}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        // Keep-alive connections would hold close() open until they time out.
        server.closeAllConnections()
      }),
  }
}
