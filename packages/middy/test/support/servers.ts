import { createS3Cache, type S3Cache } from '@valkey-s3-cache/core'
import { countS3Calls, type S3CallCounter, ServerPair } from '@valkey-s3-cache/testkit'
import { afterAll, beforeAll } from 'vitest'

/** The servers of a middy test file, and the caches made on them. */
class MiddyServers extends ServerPair {
  private readonly caches: S3Cache[] = []

  /** A cache on its own S3 client (so its GetObject calls can be counted), on the real Valkey; closed after the tests. Bound. */
  readonly makeCache = (): { cache: S3Cache; s3Calls: S3CallCounter } => {
    const client = this.s3.newClient()
    const s3Calls = countS3Calls(client)
    const cache = createS3Cache({ s3: client, bucket: this.bucket, valkey: this.valkey.url, ttl: '1m' })
    this.caches.push(cache)
    return { cache, s3Calls }
  }

  override async stop(): Promise<void> {
    for (const cache of this.caches) await cache.close()
    await super.stop()
  }
}

/**
 * A real S3 server (with its bucket) and a real valkey-server for the tests of a file: started in
 * `beforeAll`, stopped in `afterAll` with every cache `makeCache` made.
 */
export function useServers(): MiddyServers {
  const servers = new MiddyServers()
  beforeAll(() => servers.start())
  afterAll(() => servers.stop())
  return servers
}
