// The in-process memory store is for tests and demos: inside Lambda it must be asked for by name, since
// every execution environment would cache alone and the S3 event invalidator could never reach it.
import { afterEach, describe, expect, it } from 'vitest'
import { CacheConfigError, createS3Cache, fromEnv } from '../src'
import { putRaw, uniqueKey } from './support/harness'
import { useServers } from './support/servers'

const servers = useServers()

describe('choosing the memory store (real S3)', () => {
  const lambdaName = process.env.AWS_LAMBDA_FUNCTION_NAME
  afterEach(() => {
    if (lambdaName === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME
    else process.env.AWS_LAMBDA_FUNCTION_NAME = lambdaName
  })
  const create = (valkey?: 'memory') =>
    createS3Cache({ s3: servers.s3.newClient(), bucket: servers.bucket, ...(valkey ? { valkey } : {}) })

  it('inside Lambda, an omitted valkey is a CacheConfigError naming it and the way out', () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'objects-fn'
    expect(() => create()).toThrow(CacheConfigError)
    expect(() => create()).toThrow(/"valkey".*inside Lambda.*valkey: 'memory'/)
    // fromEnv() without VALKEY_URL gives undefined: the same mistake, the same error.
    expect(() =>
      createS3Cache({ s3: servers.s3.newClient(), bucket: servers.bucket, valkey: fromEnv({}) }),
    ).toThrow(CacheConfigError)
  })

  it("valkey: 'memory' works inside Lambda (asked for by name), and caches", async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'objects-fn'
    const cache = create('memory')
    const key = uniqueKey('memory-by-name')
    await putRaw(servers.s3, key, '{"m":1}')
    expect((await cache.get(key)).status).toBe('miss')
    expect((await cache.get(key)).status).toBe('hit')
    await cache.close()
  })

  it('outside Lambda, an omitted valkey is still the memory store (tests, demos)', async () => {
    delete process.env.AWS_LAMBDA_FUNCTION_NAME
    const cache = create()
    const key = uniqueKey('memory-default')
    await putRaw(servers.s3, key, '{"m":2}')
    await cache.get(key)
    expect((await cache.get(key)).status).toBe('hit')
    await cache.close()
  })
})
