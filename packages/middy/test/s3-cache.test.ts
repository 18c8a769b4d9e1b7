import middy from '@middy/core'
import { GlideClient, Logger } from '@valkey/valkey-glide'
import { CacheConfigError, createS3Cache, type S3Cache } from '@valkey-s3-cache/core'
import { type S3CacheContext, s3Cache } from '@valkey-s3-cache/middy'
import { describe, expect, it } from 'vitest'
import { putJson, uniqueKey } from './support/app'
import { useServers } from './support/servers'

const servers = useServers()

const invoke = <T>(handler: (event: unknown, context: S3CacheContext) => Promise<T>) =>
  handler({}, {} as S3CacheContext)

describe('s3Cache', () => {
  it('names a misspelt option given beside cache (conectOnInit), not cache', () => {
    const cache = createS3Cache({
      s3: servers.s3.newClient(),
      bucket: servers.s3.bucket,
      valkey: servers.valkey.url,
    })
    const attempt = () => s3Cache({ cache, conectOnInit: false } as never)
    expect(attempt).toThrow(CacheConfigError)
    expect(attempt).toThrow(expect.objectContaining({ option: 'conectOnInit' }))
    expect(attempt).toThrow(/known: cache, connectOnInit, abortBeforeTimeout/)
  })

  it('refuses an abortBeforeTimeout no timer can wait (beyond 2^31 - 1 ms), naming it', () => {
    const cache = createS3Cache({
      s3: servers.s3.newClient(),
      bucket: servers.s3.bucket,
      valkey: servers.valkey.url,
    })
    const attempt = () => s3Cache({ cache, abortBeforeTimeout: '30d' })
    expect(attempt).toThrow(CacheConfigError)
    expect(attempt).toThrow(expect.objectContaining({ option: 'abortBeforeTimeout' }))
  })

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

  it('takes a GLIDE client in the options of createS3Cache: a hit is one GET', async () => {
    Logger.setLoggerConfig('off')
    const key = uniqueKey('glide')
    await putJson(servers, key, { client: 'glide' })
    const glide = await GlideClient.createClient({
      addresses: [{ host: '127.0.0.1', port: servers.valkey.port }],
      requestTimeout: 250,
    })
    try {
      const middleware = s3Cache({ s3: servers.s3.newClient(), bucket: servers.s3.bucket, valkey: glide })
      const handler = middy()
        .use(middleware)
        .handler(async (_event, context) => context.s3Cache.get(key))
      expect((await invoke(handler)).status).toBe('miss')
      const admin = await servers.valkey.adminClient()
      const gets = async () =>
        Number(/cmdstat_get:calls=(\d+)/.exec(String(await admin.info('commandstats')))?.[1] ?? 0)
      const before = await gets()
      const hit = await invoke(handler)
      expect([hit.status, new TextDecoder().decode(hit.body)]).toEqual(['hit', '{"client":"glide"}'])
      expect((await gets()) - before).toBe(1)
    } finally {
      glide.close()
    }
  })

  it('connects at module load (INIT) by default: the connection is open before the first invocation', async () => {
    const admin = await servers.valkey.adminClient()
    const clients = async () => ((await admin.client('LIST')) as string).trim().split('\n').length
    const before = await clients()
    const { cache } = servers.makeCache()
    s3Cache({ cache })
    // connect() is idempotent: this is the promise s3Cache() started.
    await cache.connect()
    expect(await clients()).toBe(before + 1)
  })

  it('with the options of createS3Cache, invalid ones throw at module load (the cache is created there)', () => {
    expect(() => s3Cache({ s3: servers.s3.client, bucket: '', valkey: servers.valkey.url })).toThrow(
      CacheConfigError,
    )
  })

  it('with connectOnInit: false, creates nothing before the first invocation: bad options fail that invocation', async () => {
    const middleware = s3Cache({
      s3: servers.s3.client,
      bucket: '',
      valkey: servers.valkey.url,
      connectOnInit: false,
    })
    const handler = middy()
      .use(middleware)
      .handler(async () => 'unreachable')
    await expect(invoke(handler)).rejects.toBeInstanceOf(CacheConfigError)
  })

  it('connects at module load even when Valkey is unreachable without throwing, and reads fail open', async () => {
    const key = uniqueKey()
    await putJson(servers, key, { open: 'fail' })
    const handler = middy()
      .use(s3Cache({ s3: servers.s3.newClient(), bucket: servers.s3.bucket, valkey: 'valkey://127.0.0.1:1' }))
      .handler(async (_event, context) => {
        const value = await context.s3Cache.getJson(key)
        await context.s3Cache.close()
        return value
      })
    expect(await invoke(handler)).toEqual({ open: 'fail' })
  })

  it('reads through context.s3Cache stop waiting abortBeforeTimeout before the Lambda timeout', async () => {
    const { cache } = servers.makeCache()
    let loaderSignal: AbortSignal | undefined
    const handler = middy()
      .use(s3Cache({ cache, abortBeforeTimeout: '250ms' }))
      .handler(async (_event, context) => {
        try {
          return await context.s3Cache.wrap(uniqueKey('slow'), ({ signal }) => {
            loaderSignal = signal
            return new Promise<never>((_, reject) =>
              signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
            )
          })
        } catch (error) {
          return `gave up: ${(error as Error).name}`
        }
      })
    // 400 ms left in the invocation: reads stop waiting after about 150 ms.
    const context = { getRemainingTimeInMillis: () => 400 } as S3CacheContext
    expect(await handler({}, context)).toBe('gave up: TimeoutError')
    expect(loaderSignal?.aborted).toBe(true)

    // With abortBeforeTimeout: false the handler sees the cache itself.
    const plain = middy()
      .use(s3Cache({ cache, abortBeforeTimeout: false }))
      .handler(async (_event, ctx) => ctx.s3Cache)
    expect(await plain({}, context)).toBe(cache)
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
    expect(() => s3Cache({ cache, connectOnInit: 'yes' } as never)).toThrow(/connectOnInit/)
    await cache.close()
  })
})
