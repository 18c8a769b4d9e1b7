import { PutObjectCommand } from '@aws-sdk/client-s3'
import { createS3Cache, type S3Cache, type S3CacheOptions } from '@valkey-s3-cache/core'
import { ServerPair } from '@valkey-s3-cache/testkit'
import { afterAll, beforeAll } from 'vitest'

export { uniqueKey } from '@valkey-s3-cache/testkit'

/** A real S3 server and a real valkey-server for the tests of the enclosing file, and caches on them. */
class OtelServers extends ServerPair {
  private readonly caches: S3Cache[] = []

  /** A cache on the S3 server, on the test Valkey unless `valkey` is given; closed in `afterAll`. */
  readonly cache = (options: Partial<S3CacheOptions> = {}): S3Cache => {
    const cache = createS3Cache({
      s3: this.s3.newClient(),
      bucket: this.bucket,
      valkey: this.valkey.url,
      ...options,
    })
    this.caches.push(cache)
    return cache
  }

  /** Writes an object straight to S3. */
  readonly put = async (key: string, body: string): Promise<void> => {
    await this.s3.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' }),
    )
  }

  override async stop(): Promise<void> {
    for (const cache of this.caches) await cache.close()
    await super.stop()
  }
}

export function useServers(): OtelServers {
  const servers = new OtelServers()
  beforeAll(() => servers.start())
  afterAll(() => servers.stop())
  return servers
}
