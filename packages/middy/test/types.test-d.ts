// Type-level tests: vitest type-checks this file in `npm test` (typecheck mode); a type error fails the run.
import middy from '@middy/core'
import httpCors from '@middy/http-cors'
import httpErrorHandler from '@middy/http-error-handler'
import httpJsonBodyParser from '@middy/http-json-body-parser'
import { createError } from '@middy/util'
import type { S3Cache, SqsBatchResponse } from '@valkey-s3-cache/core'
import {
  httpCache,
  type S3CacheContext,
  type S3EventCounts,
  s3Cache,
  s3EventInvalidator,
} from '@valkey-s3-cache/middy'
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyResultV2,
  EventBridgeEvent,
  S3Event,
  S3ObjectCreatedNotificationEventDetail,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda'
import { describe, expectTypeOf, it } from 'vitest'
import * as z from 'zod'

declare const cache: S3Cache
declare function verifyToken(token: string): Promise<boolean>
interface Doc {
  title: string
}

describe('middleware types', () => {
  it('type-checks handlers composed with s3Cache and httpCache', () => {
    // The README's handler, as written there: context.s3Cache is typed without casts.
    // What a client may ask for: one key under public/, without ".." segments, and nothing else.
    const ObjectRequest = z.strictObject({
      key: z
        .string()
        .startsWith('public/')
        .refine((key) => !key.split('/').includes('..'), 'must not contain ".." segments'),
    })

    const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
      // Checks for every request go before httpCache, or in its `authorize`: a hit skips what follows.
      .use(httpCache({ cache, ttl: '1m', methods: ['POST'] }))
      .use(httpCors({ origin: 'https://app.example.com' }))
      .use(httpErrorHandler())
      .use(httpJsonBodyParser())
      .use(s3Cache({ cache }))
      .handler(async (event, context) => {
        const request = ObjectRequest.safeParse(event.body) // parsed by http-json-body-parser
        if (!request.success) throw createError(400, 'Invalid request body')
        // ObjectNotFoundError → 404, InvalidKeyError (over 1024 bytes) → 400
        const doc = await context.s3Cache.getJson(request.data.key)
        return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) }
      })

    // The context keeps the Lambda context's members, and the event keeps its type.
    middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
      .use(httpCache({ cache }))
      .use(s3Cache({ cache }))
      .handler(async (event, context) => {
        expectTypeOf(context.s3Cache).toEqualTypeOf<S3Cache>()
        expectTypeOf(context.awsRequestId).toBeString()
        expectTypeOf(event.httpMethod).toBeString()
        const doc = await context.s3Cache.getJson<Doc>('docs/a.json')
        expectTypeOf(doc).toEqualTypeOf<Doc>()
        return { statusCode: 200, body: doc.title }
      })

    // HTTP API (v2) handlers, with s3Cache created from options.
    const v2 = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
      .use(s3Cache({ s3: {} as never, bucket: 'b', valkey: 'valkey://localhost:6379' }))
      .use(httpCache({ cache, key: (event) => ('rawPath' in event ? event.rawPath : undefined) }))
      .handler(async (_event, context) => {
        const text = await context.s3Cache.getText('a.txt')
        return { statusCode: 200, body: text }
      })

    // A handler written apart from the chain names its context type.
    const separate = async (
      _event: APIGatewayProxyEvent,
      context: S3CacheContext,
    ): Promise<APIGatewayProxyResult> => ({
      statusCode: 200,
      body: await context.s3Cache.getText('a.txt'),
    })
    middy<APIGatewayProxyEvent, APIGatewayProxyResult>().use(s3Cache({ cache })).handler(separate)

    // Without the middleware there is no context.s3Cache.
    middy<APIGatewayProxyEvent, APIGatewayProxyResult>().handler(async (_event, context) => {
      // @ts-expect-error s3Cache is only on the context when the s3Cache middleware is used
      context.s3Cache
      return { statusCode: 200, body: '' }
    })

    // The README's authorize, as written there: the event is any HTTP event, the result a boolean.
    httpCache({
      cache,
      methods: ['POST'],
      authorize: async (event) => {
        const header = event.headers?.authorization ?? event.headers?.Authorization
        if (!header?.startsWith('Bearer ')) {
          throw createError(401, 'Unauthorized', { headers: { 'WWW-Authenticate': 'Bearer' } })
        }
        return verifyToken(header.slice('Bearer '.length)) // yours: true lets the request through
      },
    })

    // Options are checked by the compiler too.
    // @ts-expect-error authorize answers whether the request may go on
    httpCache({ cache, authorize: () => 'yes' })
    // @ts-expect-error cache is required
    httpCache({ ttl: '1m' })
    // @ts-expect-error ttl is a Duration
    httpCache({ cache, ttl: '5 minutes' })
    // @ts-expect-error neither { cache } nor the options of createS3Cache
    s3Cache({ bucket: 'b' })
    expectTypeOf(handler).toBeFunction()
    expectTypeOf(v2).toBeFunction()
  })

  it('types s3EventInvalidator for the aws-lambda SQS, S3 and EventBridge event types', () => {
    const handler = s3EventInvalidator({ cache, refresh: true })
    // SQS: the partial batch response, usable as middy's handler as it is.
    const sqs = middy<SQSEvent, SQSBatchResponse>().handler(handler)
    expectTypeOf(handler({} as SQSEvent)).resolves.toEqualTypeOf<SqsBatchResponse>()
    // S3 → Lambda and EventBridge → Lambda: the counts.
    expectTypeOf(handler({} as S3Event)).resolves.toEqualTypeOf<S3EventCounts>()
    type Created = EventBridgeEvent<'Object Created', S3ObjectCreatedNotificationEventDetail>
    expectTypeOf(handler({} as Created)).resolves.toEqualTypeOf<S3EventCounts>()
    middy<S3Event, S3EventCounts>().handler(handler)
    // @ts-expect-error cache is required
    s3EventInvalidator({ refresh: true })
    // @ts-expect-error not an S3 change event
    handler({} as APIGatewayProxyEvent)
    expectTypeOf(sqs).toBeFunction()
  })
})
