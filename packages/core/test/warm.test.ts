import { PutObjectCommand } from '@aws-sdk/client-s3'
import { countS3Calls } from '@valkey-s3-cache/testkit'
import { Redis } from 'iovalkey'
import { beforeAll, describe, expect, it } from 'vitest'
import { CacheConfigError, createS3Cache, InvalidKeyError, type WarmProgress } from '../src'
import { forEachConcurrent } from '../src/concurrency'
import { putRaw } from './support/harness'
import { startPagingS3 } from './support/paging-s3'
import { useServers } from './support/servers'

describe('cache.warm on real Valkey and S3', () => {
  const servers = useServers()
  const { cacheOnOwnClient } = servers
  const KEYS = Array.from({ length: 500 }, (_, i) => `warm/${String(i).padStart(3, '0')}.json`)

  // Runs after useServers' beforeAll, so the servers are up.
  beforeAll(async () => {
    await forEachConcurrent(KEYS, 16, (key) => putRaw(servers.s3, key, JSON.stringify({ key })))
    await putRaw(servers.s3, 'big/huge.bin', new Uint8Array(5000), 'application/octet-stream')
    await putRaw(servers.s3, 'big/small.json', '{}')
  })

  it('loads 500 listed objects once each with concurrency 16, and a second run loads none', async () => {
    const { cache, calls, client } = cacheOnOwnClient()
    // Instrumentation on the real S3 client: how many GetObject calls are in flight at once.
    let inFlight = 0
    let most = 0
    const progress: WarmProgress[] = []
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'GetObjectCommand') return next(args)
        most = Math.max(most, ++inFlight)
        try {
          return await next(args)
        } finally {
          inFlight--
        }
      },
      { step: 'initialize', name: 'testInFlight' },
    )
    const first = await cache.warm({ prefix: 'warm/', concurrency: 16, onProgress: (p) => progress.push(p) })
    expect(first).toEqual({ loaded: 500, skipped: 0, failed: 0, bytes: expect.any(Number), errors: [] })
    expect(calls.count('GetObjectCommand')).toBe(500)
    expect(calls.count('ListObjectsV2Command')).toBe(1)
    expect(most).toBeGreaterThan(1)
    expect(most).toBeLessThanOrEqual(16)
    const last = progress.at(-1)
    expect(last).toMatchObject({ done: 500, total: 500, listing: false, loaded: 500 })
    expect(progress.filter((p) => !p.listing).every((p) => p.total === 500)).toBe(true)

    const again = cacheOnOwnClient()
    const second = await again.cache.warm({ prefix: 'warm/', concurrency: 16 })
    expect(second).toMatchObject({ loaded: 0, skipped: 500, failed: 0, bytes: 0 })
    expect(again.calls.count('GetObjectCommand')).toBe(0)
    expect((await again.cache.get('warm/123.json')).status).toBe('hit')
  })

  it('skips objects over maxObjectBytes by their listed size, without downloading them', async () => {
    const { cache, calls } = cacheOnOwnClient({ maxObjectBytes: 1000, keyPrefix: 'big:' })
    const result = await cache.warm({ prefix: 'big/' })
    expect(result).toMatchObject({ loaded: 1, skipped: 1, failed: 0, bytes: 2 })
    expect(calls.count('GetObjectCommand')).toBe(1)
  })

  it('warms given keys without listing, counting missing ones as failed', async () => {
    const { cache, calls } = cacheOnOwnClient({ keyPrefix: 'keys:' })
    const result = await cache.warm({ keys: ['warm/001.json', 'warm/002.json', 'nope/missing.json'] })
    expect(result).toMatchObject({ loaded: 2, skipped: 0, failed: 1 })
    expect(result.errors.map((e) => [e.key, e.error.name])).toEqual([
      ['nope/missing.json', 'ObjectNotFoundError'],
    ])
    expect(calls.count('ListObjectsV2Command')).toBe(0)
  })

  it('paginates listings of more than 1000 objects', async () => {
    const paging = await startPagingS3()
    try {
      const writer = paging.newClient()
      const keys = Array.from({ length: 1010 }, (_, i) => `page/${i}.txt`)
      await forEachConcurrent(keys, 16, async (Key) => {
        await writer.send(new PutObjectCommand({ Bucket: paging.bucket, Key, Body: 'x' }))
      })
      const client = paging.newClient()
      const calls = countS3Calls(client)
      const cache = createS3Cache({
        s3: client,
        bucket: paging.bucket,
        valkey: new Redis(servers.valkey.options()),
        keyPrefix: 'page:',
      })
      const progress: WarmProgress[] = []
      const result = await cache.warm({
        prefix: 'page/',
        concurrency: 32,
        onProgress: (p) => progress.push(p),
      })
      await cache.close()
      expect(result).toMatchObject({ loaded: 1010, failed: 0 })
      expect(calls.count('ListObjectsV2Command')).toBe(2)
      expect(calls.count('GetObjectCommand')).toBe(1010)
      // While the second page is unknown, the total is what has been listed so far.
      expect(progress.some((p) => p.listing && p.total === 1000)).toBe(true)
      expect(progress.at(-1)).toMatchObject({ done: 1010, total: 1010, listing: false })
    } finally {
      await paging.stop()
    }
  }, 60_000)

  it('rejects bad options before doing anything', async () => {
    const { cache, calls } = cacheOnOwnClient()
    await expect(cache.warm({ concurrency: 0 })).rejects.toBeInstanceOf(CacheConfigError)
    await expect(cache.warm({ keys: ['a'], prefix: 'b' })).rejects.toBeInstanceOf(CacheConfigError)
    await expect(cache.warm({ keys: [''] })).rejects.toBeInstanceOf(InvalidKeyError)
    expect(calls.total()).toBe(0)
  })
})
