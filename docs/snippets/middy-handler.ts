import { S3Client } from '@aws-sdk/client-s3'
import middy from '@middy/core'
import httpCors from '@middy/http-cors'
import httpErrorHandler from '@middy/http-error-handler'
import httpJsonBodyParser from '@middy/http-json-body-parser'
import { createError } from '@middy/util'
import { createS3Cache } from '@valkey-s3-cache/core'
import { httpCache, s3Cache } from '@valkey-s3-cache/middy'
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda'
import * as z from 'zod'

// Once per execution environment, outside the handler: every invocation reuses it.
const cache = createS3Cache({
  s3: new S3Client({}),
  bucket: process.env.BUCKET as string,
  valkey: process.env.VALKEY_URL,
  ttl: '5m',
})

// What a client may ask for: one key under public/, without ".." segments, and nothing else.
const ObjectRequest = z.strictObject({
  key: z
    .string()
    .startsWith('public/')
    .refine((key) => !key.split('/').includes('..'), 'must not contain ".." segments'),
})

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
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
