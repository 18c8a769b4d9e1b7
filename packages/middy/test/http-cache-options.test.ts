import { CacheConfigError, type S3Cache } from '@valkey-s3-cache/core'
import { type HttpCacheOptions, httpCache } from '@valkey-s3-cache/middy'
import { describe, expect, it } from 'vitest'

// Only option validation runs here: no request reaches the cache.
const cache = { get: async () => {}, wrap: async () => {} } as unknown as S3Cache

describe('httpCache options', () => {
  it('accepts the defaults and every option', () => {
    expect(() => httpCache({ cache })).not.toThrow()
    const all: Required<HttpCacheOptions> = {
      cache,
      ttl: '30s',
      key: () => 'k',
      authorize: () => true,
      methods: ['get', 'POST'],
      varyHeaders: ['Accept-Language', 'origin'],
      statusCodes: [200, 404],
      cacheControl: 'public, max-age=30',
      honorNoCache: true,
    }
    expect(() => httpCache(all)).not.toThrow()
    expect(() => httpCache({ cache, ttl: 60_000, methods: undefined })).not.toThrow()
  })

  it.each([
    [{ cache: undefined }, 'cache'],
    [{ cache: {} }, 'cache'],
    [{ ttl: 0 }, 'ttl'],
    [{ ttl: '5 minutes' }, 'ttl'],
    [{ ttl: -1 }, 'ttl'],
    [{ ttl: 1e16 }, 'ttl'],
    [{ methods: [] }, 'methods'],
    [{ methods: 'GET' }, 'methods'],
    [{ methods: ['GET POST'] }, 'methods'],
    [{ varyHeaders: ['bad header'] }, 'varyHeaders'],
    [{ statusCodes: [200.5] }, 'statusCodes'],
    [{ statusCodes: [700] }, 'statusCodes'],
    [{ key: 'method+path' }, 'key'],
    [{ authorize: true }, 'authorize'],
    [{ cacheControl: 60 }, 'cacheControl'],
    [{ honorNoCache: 'yes' }, 'honorNoCache'],
    [{ vary: ['origin'] }, 'vary'],
  ])('rejects %j, naming %s', (bad, option) => {
    const attempt = () => httpCache({ cache, ...bad } as unknown as HttpCacheOptions)
    expect(attempt).toThrow(CacheConfigError)
    expect(attempt).toThrow(expect.objectContaining({ option }))
  })
})
