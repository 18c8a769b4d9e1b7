import { type S3Server, startS3, startValkey, type ValkeyServer } from '@valkey-s3-cache/testkit'
import { Redis } from 'iovalkey'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { S3CacheOptions } from '../src'
import { entryKeys } from '../src/keys'
import { makeCache, putRaw, sleep, type TestCache, uniqueKey } from './support/harness'

/** Sum of command calls except INFO, from INFO commandstats. */
async function commandCount(admin: Redis): Promise<number> {
  const stats = (await admin.info('commandstats')) as string
  let total = 0
  for (const match of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    if (match[1] !== 'info') total += Number(match[2])
  return total
}

describe('cache.inspect on real Valkey', () => {
  let s3: S3Server
  let server: ValkeyServer
  let admin: Redis
  const made: TestCache[] = []
  const cacheOnOwnClient = (options: Partial<S3CacheOptions> = {}) => {
    const c = makeCache(s3, { valkey: new Redis(server.options()), ...options })
    made.push(c)
    return c
  }

  beforeAll(async () => {
    s3 = await startS3()
    server = await startValkey()
    admin = await server.adminClient()
  })
  afterAll(async () => {
    for (const c of made) await c.cache.close()
    await server.stop()
    await s3.stop()
  })

  it('describes a fresh, compressed object with one GET and no S3 call', async () => {
    const { cache, calls } = cacheOnOwnClient({ ttl: '1m', staleTtl: '1m', jitter: 0 })
    const key = uniqueKey('inspect')
    const body = JSON.stringify({ rows: Array.from({ length: 200 }, (_, i) => ({ i })) })
    await putRaw(s3, key, body)
    const loaded = await cache.get(key)
    calls.reset()
    const before = await commandCount(admin)
    const found = await cache.inspect(key)
    expect((await commandCount(admin)) - before).toBe(1)
    expect(calls.total()).toBe(0)
    expect(found).toMatchObject({
      present: true,
      valkeyKey: entryKeys('s3c:', 'o', s3.bucket, key).entry,
      kind: 'object',
      state: 'fresh',
      etag: loaded.etag,
      contentType: 'application/json',
      bodyBytes: body.length,
      codec: expect.stringMatching(/^(zstd|gzip)$/),
    })
    if (!found.present || found.kind === 'corrupt') throw new Error('expected an entry')
    expect(found.storedBytes).toBeLessThan(body.length)
    expect(found.staleUntil.getTime() - found.freshUntil.getTime()).toBe(60_000)
    expect(found.freshUntil.getTime()).toBeGreaterThan(Date.now() + 50_000)
  })

  it('reports absent entries, cached NoSuchKey, stale entries and corrupt values without loading', async () => {
    const { cache, calls } = cacheOnOwnClient({ ttl: 100, staleTtl: '1m', jitter: 0, compression: false })
    const absent = uniqueKey('absent')
    expect(await cache.inspect(absent)).toEqual({
      present: false,
      valkeyKey: entryKeys('s3c:', 'o', s3.bucket, absent).entry,
    })
    const missing = uniqueKey('missing')
    await cache.get(missing).catch(() => {})
    expect(await cache.inspect(missing)).toMatchObject({ present: true, kind: 'missing', bodyBytes: 0 })
    const stale = uniqueKey('stale')
    await putRaw(s3, stale, 'x'.repeat(2000), 'text/plain')
    await cache.get(stale)
    await sleep(150)
    expect(await cache.inspect(stale)).toMatchObject({ state: 'stale', codec: 'none', bodyBytes: 2000 })
    const corrupt = uniqueKey('corrupt')
    await admin.set(entryKeys('s3c:', 'o', s3.bucket, corrupt).entry, 'hello')
    expect(await cache.inspect(corrupt)).toMatchObject({ present: true, kind: 'corrupt', storedBytes: 5 })
    expect(calls.count('GetObjectCommand')).toBe(2)
  })
})
