import { S3Client } from '@aws-sdk/client-s3'
import { createS3Cache } from '@valkey-s3-cache/core'
import { z } from 'zod'

// Once per execution environment, outside the handler.
const cache = createS3Cache({
  s3: new S3Client({}),
  bucket: 'my-bucket',
  valkey: process.env.VALKEY_URL,
  ttl: '5m',
})
const Doc = z.object({ title: z.string() })

export const handler = async () => {
  const doc = await cache.getJson('docs/a.json', Doc) // typed { title: string }
  return { statusCode: 200, body: JSON.stringify(doc) }
}
