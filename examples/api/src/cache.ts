import { S3Client } from '@aws-sdk/client-s3'
import { type CacheEventListener, createS3Cache, type S3Cache } from '@valkey-s3-cache/core'
import type { ApiConfig } from './config'

/** A cache and what `close()` must release: the cache's Valkey connection, and the S3 client if it made one. */
export interface OwnedCache {
  readonly cache: S3Cache
  close(): Promise<void>
}

/**
 * The S3 client and the cache, made from one `ApiConfig`. The API handler and the S3-event invalidator
 * both call it, so they always agree on the bucket, the Valkey connection and `keyPrefix`: an
 * invalidator with another prefix would remove keys no reader ever looks at.
 */
export function createCache(config: ApiConfig, onEvent?: CacheEventListener): OwnedCache {
  const ownS3 = config.s3 === undefined
  const s3 =
    config.s3 ??
    new S3Client({
      ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
      ...(config.s3ForcePathStyle ? { forcePathStyle: true } : {}),
    })
  const cache = createS3Cache({
    s3,
    bucket: config.bucket,
    valkey: config.valkey,
    keyPrefix: config.keyPrefix ?? 's3c:',
    ttl: config.ttl ?? '5m',
    staleTtl: config.staleTtl ?? '1m',
    ...(onEvent ? { onEvent } : {}),
  })
  return {
    cache,
    async close() {
      await cache.close()
      if (ownS3) s3.destroy()
    },
  }
}
