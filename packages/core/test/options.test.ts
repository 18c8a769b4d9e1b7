import { S3Client } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { CacheConfigError, createS3Cache, type S3CacheOptions } from '../src'
import { toMs } from '../src/duration'
import { resolveOptions } from '../src/options'

const s3 = new S3Client({ region: 'us-east-1' })

describe('options', () => {
  it('parses durations', () => {
    expect(toMs(250, 'x')).toBe(250)
    expect(toMs('500ms', 'x')).toBe(500)
    expect(toMs('30s', 'x')).toBe(30_000)
    expect(toMs('5m', 'x')).toBe(300_000)
    expect(toMs('1h', 'x')).toBe(3_600_000)
    expect(toMs('1d', 'x')).toBe(86_400_000)
    expect(toMs('1.5s', 'x')).toBe(1500)
  })

  const bad: [string, Partial<S3CacheOptions>][] = [
    ['s3', { s3: {} as S3Client }],
    ['bucket', { bucket: '' }],
    ['keyPrefix', { keyPrefix: 'a{b}:' }],
    ['ttl', { ttl: '5 minutes' as never }],
    ['ttl', { ttl: 0 }],
    ['staleTtl', { staleTtl: -1 }],
    ['jitter', { jitter: 1.5 }],
    ['negativeTtl', { negativeTtl: 'soon' as never }],
    ['maxObjectBytes', { maxObjectBytes: 1.5 }],
    ['compression.codec', { compression: { codec: 'brotli' as never } }],
    ['l1.ttl', { l1: { ttl: 0 } }],
    ['shareParsed', { shareParsed: 'yes' as never }],
    ['lock.ttl', { lock: { ttl: 'x' as never } }],
    ['timeouts.valkey', { timeouts: { valkey: 0 } }],
    ['onEvent', { onEvent: 'log' as never }],
  ]
  for (const [option, override] of bad) {
    it(`rejects a bad ${option} with CacheConfigError naming it`, () => {
      const create = () => createS3Cache({ s3, bucket: 'b', ...override })
      expect(create).toThrow(CacheConfigError)
      expect(create).toThrow(`"${option}"`)
    })
  }

  it('accepts the documented defaults', async () => {
    const cache = createS3Cache({ s3, bucket: 'b', l1: { maxBytes: 1024 }, lock: false, compression: false })
    await cache.close()
  })

  it("gives l1 a ttl of 1 min with coherence and 5 s without (where it bounds every other process's change)", () => {
    expect(resolveOptions({ s3, bucket: 'b', l1: {} }).l1).toEqual({
      maxBytes: 16 * 1024 * 1024,
      ttlMs: 60_000,
    })
    expect(resolveOptions({ s3, bucket: 'b', l1: {}, coherence: false }).l1).toEqual({
      maxBytes: 16 * 1024 * 1024,
      ttlMs: 5_000,
    })
    expect(resolveOptions({ s3, bucket: 'b', l1: { ttl: '10s' } }).l1).toMatchObject({ ttlMs: 10_000 })
    expect(resolveOptions({ s3, bucket: 'b' }).l1).toBe(false)
  })

  it.each(['auto', 'deflate', 'gzip', 'zstd'] as const)('accepts compression codec %s', async (codec) => {
    const cache = createS3Cache({
      s3,
      bucket: 'b',
      compression: { codec, minBytes: 0 },
      shareParsed: true,
    })
    await cache.close()
  })
})
