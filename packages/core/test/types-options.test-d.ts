// Type-level tests: vitest type-checks this file (typecheck mode); a type error fails the run.
import type { S3Client } from '@aws-sdk/client-s3'
import type { GlideClient, GlideClusterClient } from '@valkey/valkey-glide'
import { type CachedObject, createS3Cache, type Duration, type S3Cache, toMs } from '@valkey-s3-cache/core'
import { describe, expectTypeOf, it } from 'vitest'

declare const s3: S3Client
declare const glide: GlideClient
declare const glideCluster: GlideClusterClient

describe('option types', () => {
  it('Duration: milliseconds or a number with a unit', () => {
    const durations: Duration[] = ['500ms', '30s', '5m', '1h', '1d', 1500, 0]
    for (const ttl of durations) createS3Cache({ s3, bucket: 'b', ttl })
    expectTypeOf(toMs('30s', 'ttl')).toBeNumber()
    expectTypeOf(toMs(250, 'ttl')).toBeNumber()
  })

  it('Duration: rejects other strings in createS3Cache and toMs', () => {
    // @ts-expect-error a word, not a unit
    createS3Cache({ s3, bucket: 'b', ttl: '5 minutes' })
    // @ts-expect-error an unknown unit
    createS3Cache({ s3, bucket: 'b', ttl: '5x' })
    // @ts-expect-error an unknown unit, in a nested option
    createS3Cache({ s3, bucket: 'b', lock: { ttl: '5x' } })
    // @ts-expect-error a word, not a unit
    toMs('5 minutes', 'ttl')
    // @ts-expect-error an unknown unit
    toMs('5x', 'ttl')
  })

  it('valkey takes a GLIDE client or cluster client as it is', () => {
    expectTypeOf(createS3Cache({ s3, bucket: 'b', valkey: glide })).toEqualTypeOf<S3Cache>()
    expectTypeOf(createS3Cache({ s3, bucket: 'b', valkey: glideCluster })).toEqualTypeOf<S3Cache>()
    // @ts-expect-error an object that is neither a client nor connection options
    createS3Cache({ s3, bucket: 'b', valkey: { invokeScript: () => 1 } })
  })

  it('createS3Cache requires s3 and bucket, and returns an S3Cache', () => {
    expectTypeOf(createS3Cache({ s3, bucket: 'b' })).toEqualTypeOf<S3Cache>()
    expectTypeOf(
      createS3Cache({ s3, bucket: 'b', valkey: 'valkey://localhost:6379' }),
    ).toEqualTypeOf<S3Cache>()
    // @ts-expect-error s3 is required
    createS3Cache({ bucket: 'b' })
    // @ts-expect-error bucket is required
    createS3Cache({ s3 })
  })

  it("CachedObject.status is 'hit' | 'miss' | 'stale' | 'bypass'", () => {
    expectTypeOf<CachedObject['status']>().toEqualTypeOf<'hit' | 'miss' | 'stale' | 'bypass'>()
    expectTypeOf<CachedObject['body']>().toEqualTypeOf<Uint8Array>()
  })
})
