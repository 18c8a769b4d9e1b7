import { S3Client } from '@aws-sdk/client-s3'
import { type CacheEvent, createS3Cache } from '@valkey-s3-cache/core'

const counts = { hit: 0, miss: 0, stale: 0, bypass: 0, load: 0, error: 0 }

export const cache = createS3Cache({
  s3: new S3Client({}),
  bucket: 'my-bucket',
  onEvent: (event: CacheEvent) => {
    counts[event.type] += 1
    if (event.type === 'error') console.error({ operation: event.operation, error: event.error.message })
  },
})

export const hitRate = () => counts.hit / Math.max(1, counts.hit + counts.miss + counts.stale)
