import { describe, expect, it } from 'vitest'
import { entryKeys } from '../src/keys'
import { putRaw, sleep, uniqueKey } from './support/harness'
import { commandCount, useServers } from './support/servers'

describe('cache.inspect on real Valkey', () => {
  const servers = useServers()
  const { cacheOnOwnClient } = servers

  it('describes a fresh, compressed object with one GET and no S3 call', async () => {
    const { cache, calls } = cacheOnOwnClient({ ttl: '1m', staleTtl: '1m', jitter: 0 })
    const key = uniqueKey('inspect')
    const body = JSON.stringify({ rows: Array.from({ length: 600 }, (_, i) => ({ i })) })
    await putRaw(servers.s3, key, body)
    const loaded = await cache.get(key)
    calls.reset()
    const before = await commandCount(servers.admin)
    const found = await cache.inspect(key)
    expect((await commandCount(servers.admin)) - before).toBe(1)
    expect(calls.total()).toBe(0)
    expect(found).toMatchObject({
      present: true,
      valkeyKey: entryKeys('s3c:', 'o', servers.bucket, key).entry,
      kind: 'object',
      state: 'fresh',
      etag: loaded.etag,
      contentType: 'application/json',
      bodyBytes: body.length,
      codec: 'deflate', // compression by size: raw deflate from 2 KiB to 64 KiB
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
      valkeyKey: entryKeys('s3c:', 'o', servers.bucket, absent).entry,
    })
    const missing = uniqueKey('missing')
    await cache.get(missing).catch(() => {})
    expect(await cache.inspect(missing)).toMatchObject({ present: true, kind: 'missing', bodyBytes: 0 })
    const stale = uniqueKey('stale')
    await putRaw(servers.s3, stale, 'x'.repeat(2000), 'text/plain')
    await cache.get(stale)
    await sleep(150)
    expect(await cache.inspect(stale)).toMatchObject({ state: 'stale', codec: 'none', bodyBytes: 2000 })
    const corrupt = uniqueKey('corrupt')
    await servers.admin.set(entryKeys('s3c:', 'o', servers.bucket, corrupt).entry, 'hello')
    expect(await cache.inspect(corrupt)).toMatchObject({ present: true, kind: 'corrupt', storedBytes: 5 })
    expect(calls.count('GetObjectCommand')).toBe(2)
  })
})
