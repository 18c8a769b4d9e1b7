import middy from '@middy/core'
import { CacheConfigError, createS3Cache, type S3Cache } from '@valkey-s3-cache/core'
import { type S3CacheContext, s3Cache } from '@valkey-s3-cache/middy'
import { describe, expect, it } from 'vitest'
import { putJson, uniqueKey } from './support/app'
import { useServers } from './support/servers'

const servers = useServers()

const invoke = <T>(handler: (event: unknown, context: S3CacheContext) => Promise<T>) =>
  handler({}, {} as S3CacheContext)

describe('s3Cache', () => {
  it('puts the given cache on context.s3Cache for every invocation', async () => {
    const { cache } = servers.makeCache()
    const key = uniqueKey()
    await putJson(servers, key, { title: 'from S3' })
    const seen: S3Cache[] = []
    const handler = middy()
      .use(s3Cache({ cache }))
      .handler(async (_event, context) => {
        seen.push(context.s3Cache)
        return context.s3Cache.getJson<{ title: string }>(key)
      })
    expect(await invoke(handler)).toEqual({ title: 'from S3' })
    expect(await invoke(handler)).toEqual({ title: 'from S3' })
    expect(seen).toEqual([cache, cache])
  })

  it('creates one cache from options on the first invocation and reuses it afterwards', async () => {
    const key = uniqueKey()
    await putJson(servers, key, { lazy: true })
    const middleware = s3Cache({
      s3: servers.s3.newClient(),
      bucket: servers.s3.bucket,
      valkey: servers.valkey.url,
    })
    const seen: S3Cache[] = []
    const handler = middy()
      .use(middleware)
      .handler(async (_event, context) => {
        seen.push(context.s3Cache)
        return (await context.s3Cache.get(key)).status
      })
    expect(await invoke(handler)).toBe('miss')
    expect(await invoke(handler)).toBe('hit')
    expect(seen).toHaveLength(2)
    expect(seen[0]).toBe(seen[1])
    await seen[0]?.close()
  })

  it('creates nothing before the first invocation: bad cache options fail that invocation, not the import', async () => {
    const middleware = s3Cache({ s3: servers.s3.client, bucket: '', valkey: servers.valkey.url })
    const handler = middy()
      .use(middleware)
      .handler(async () => 'unreachable')
    await expect(invoke(handler)).rejects.toBeInstanceOf(CacheConfigError)
  })

  it('rejects options that are neither { cache } nor cache options', async () => {
    expect(() => s3Cache({ cache: {} as S3Cache })).toThrow(CacheConfigError)
    const cache = createS3Cache({
      s3: servers.s3.client,
      bucket: servers.s3.bucket,
      valkey: servers.valkey.url,
    })
    expect(() => s3Cache({ cache, bucket: 'x' } as never)).toThrow(/not both/)
    expect(() => s3Cache(null as never)).toThrow(CacheConfigError)
    await cache.close()
  })
})
