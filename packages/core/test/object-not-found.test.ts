// ObjectNotFoundError: what a client sees (its message, exposed by @middy/http-error-handler) names no
// bucket and no key; the error keeps both for logs, the per-call bucket when a read names one.
import { describe, expect, it } from 'vitest'
import { ObjectNotFoundError, type S3Cache, S3CacheError } from '../src'
import { useServers } from './support/servers'

describe('ObjectNotFoundError', () => {
  it('says "Object not found" to clients and keeps the bucket and key on the error', () => {
    const cause = new Error('NoSuchKey')
    const error = new ObjectNotFoundError('documents-prd', 'articles/missing.json', { cause })
    expect(error).toBeInstanceOf(S3CacheError)
    expect(error).toMatchObject({
      name: 'ObjectNotFoundError',
      code: 'OBJECT_NOT_FOUND',
      message: 'Object not found',
      statusCode: 404,
      expose: true,
      bucket: 'documents-prd',
      key: 'articles/missing.json',
      cause,
    })
    expect(String(error)).not.toContain('articles')
    expect(String(error)).not.toContain('documents-prd')
    expect(error.stack).not.toContain('articles/missing.json')
  })
})

describe('ObjectNotFoundError from a read', () => {
  const servers = useServers({ extraBuckets: ['archive-bucket'] })

  type Read = (cache: S3Cache, key: string, bucket?: string) => Promise<unknown>
  const reads: Array<[string, Read]> = [
    ['get', (cache, key, bucket) => cache.get(key, { bucket })],
    ['getText', (cache, key, bucket) => cache.getText(key, { bucket })],
    ['getJson', (cache, key, bucket) => cache.getJson(key, undefined, { bucket })],
  ]

  it.each(reads)(
    '%s names the bucket read: the per-call bucket, else the cache’s, also when the miss is cached',
    async (name, read) => {
      const { cache } = servers.cacheOnOwnClient()
      const key = `missing/${name}.json`
      for (let attempt = 0; attempt < 2; attempt++) {
        await expect(read(cache, key, 'archive-bucket')).rejects.toMatchObject({
          name: 'ObjectNotFoundError',
          bucket: 'archive-bucket',
          key,
        })
        await expect(read(cache, key)).rejects.toMatchObject({ bucket: servers.bucket, key })
      }
    },
  )
})
