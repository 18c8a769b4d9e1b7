import { S3Client } from '@aws-sdk/client-s3'
import middy from '@middy/core'
import httpCors from '@middy/http-cors'
import httpErrorHandler from '@middy/http-error-handler'
import httpJsonBodyParser from '@middy/http-json-body-parser'
import { createS3Cache } from '@valkey-s3-cache/core'
import { httpCache, s3Cache } from '@valkey-s3-cache/middy'
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda'

// Once per execution environment, outside the handler: every invocation reuses it.
const cache = createS3Cache({
  s3: new S3Client({}),
  bucket: process.env.BUCKET as string,
  valkey: process.env.VALKEY_URL,
  ttl: '5m',
})

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(httpCache({ cache, ttl: '1m', methods: ['POST'] }))
  .use(httpCors({ origin: 'https://app.example.com' }))
  .use(httpErrorHandler())
  .use(httpJsonBodyParser())
  .use(s3Cache({ cache }))
  .handler(async (event, context) => {
    const { key } = event.body as unknown as { key: string } // parsed by http-json-body-parser
    const doc = await context.s3Cache.getJson(key) // ObjectNotFoundError → 404, InvalidKeyError → 400
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) }
  })
