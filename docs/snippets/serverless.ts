import { S3Client } from '@aws-sdk/client-s3'
import { createS3Cache } from '@valkey-s3-cache/core'

// IAM authentication: no password to store; a SigV4 token is signed for every new connection.
export const cache = createS3Cache({
  s3: new S3Client({}),
  bucket: 'my-bucket',
  valkey: {
    url: 'valkeys://my-cache-abc123.serverless.use1.cache.amazonaws.com:6379',
    iam: { userId: 'app', cacheName: 'my-cache', serverless: true },
  },
})
