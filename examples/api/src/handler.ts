import middy from '@middy/core'
import httpCors from '@middy/http-cors'
import httpErrorHandler from '@middy/http-error-handler'
import httpJsonBodyParser from '@middy/http-json-body-parser'
import type { S3Cache } from '@valkey-s3-cache/core'
import { httpCache, type S3CacheContext, s3Cache } from '@valkey-s3-cache/middy'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import { bearerTokenCheck } from './authorization'
import { createCache } from './cache'
import type { ApiConfig } from './config'
import { jsonErrorBody, objectResponseKey } from './middlewares'
import { createObservability, currentRecord, recordError } from './observability'
import { describeIssues, ObjectRequest } from './request'

export type { ApiConfig } from './config'
export { configFromEnv } from './config'

/** A client error with a message safe to show: http-error-handler answers it with its status. */
class BadRequestError extends Error {
  override name = 'BadRequestError'
  readonly statusCode = 400
  readonly expose = true
}

/** `POST /objects` with `{"key": "..."}`: the object's JSON, read through the cache. */
async function readObject(event: APIGatewayProxyEvent, context: S3CacheContext) {
  // http-json-body-parser replaced the body text with the parsed value.
  const parsed = ObjectRequest.safeParse(event.body as unknown)
  if (!parsed.success) throw new BadRequestError(`Invalid request body: ${describeIssues(parsed.error)}`)
  const { key } = parsed.data
  const record = currentRecord()
  if (record) record.s3Key = key
  // ObjectNotFoundError → 404, not JSON → SchemaValidationError → 500 (core's errors carry statusCode/expose).
  const doc = await context.s3Cache.getJson(key)
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(doc),
  }
}

export type ApiHandler = ((
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>) & {
  /** The cache behind the handler (shared by every invocation of this execution environment). */
  readonly cache: S3Cache
  /** Closes the Valkey connection and the S3 client it created (tests, the local demo). */
  close(): Promise<void>
}

/**
 * Builds the handler. Call it once, at module scope: the S3 client and the cache live as long as the
 * execution environment, and `s3Cache` starts the Valkey connection right here, during INIT.
 */
export function createHandler(config: ApiConfig): ApiHandler {
  const observability = createObservability({
    service: config.serviceName ?? 'valkey-s3-cache-api',
    metricsNamespace: config.emfMetrics ? (config.metricsNamespace ?? 'ValkeyS3Cache') : undefined,
    write: config.log,
  })
  const { cache, close } = createCache(config, observability.onEvent)

  // Checks that must hold for every request go in httpCache's `authorize` (or in a middleware before
  // httpCache, or in API Gateway): a hit answers from httpCache's `before`, so nothing placed after it
  // runs for a hit. If answers depend on the caller, put the caller in httpCache's key too.
  const authorize = config.apiTokenSha256 ? bearerTokenCheck(config.apiTokenSha256) : undefined

  // The order matters (packages/middy/README.md): httpCache first, so a hit answers before anything
  // else runs and a miss is stored exactly as the client gets it (CORS headers included); httpCors
  // before httpErrorHandler, so error answers get CORS headers too; the body parser after httpCache,
  // so hits skip it; s3Cache last, right before the handler.
  const chain = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(
      httpCache({
        cache,
        ttl: config.httpTtl ?? '30s',
        methods: ['POST'],
        key: objectResponseKey,
        authorize,
      }),
    )
    .use(httpCors({ origin: config.corsOrigin ?? '*', exposeHeaders: 'etag,x-cache,age' }))
    .use(jsonErrorBody())
    .use(httpErrorHandler({ logger: recordError, fallbackMessage: 'Internal Server Error' }))
    .use(httpJsonBodyParser())
    .use(s3Cache({ cache }))
    .handler(readObject)

  // The log line and metrics are written around the middy chain, not by a middleware: a hit returned
  // from httpCache's `before` ends the request without running any other middleware's `after`.
  const handler = (event: APIGatewayProxyEvent, context: Context) =>
    observability.observe(event, context, () => chain(event, context as S3CacheContext))
  return Object.assign(handler, { cache, close })
}
