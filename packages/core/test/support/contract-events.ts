import { DeleteObjectCommand } from '@aws-sdk/client-s3'
import type { S3Server } from '@valkey-s3-cache/testkit'
import { expect, it } from 'vitest'
import { invalidateFromS3Event, ObjectNotFoundError, type S3CacheOptions } from '../../src'
import { nextSequencer, notification } from './events'
import { holdResponses, putRaw, type TestCache, uniqueKey } from './harness'

export interface EventContractContext {
  s3(): S3Server
  cacheWith(options?: Partial<S3CacheOptions>): TestCache
  peerOf(made: TestCache, options?: Partial<S3CacheOptions>): TestCache
}

/** S3 change events, through each store: removal guarded by generation and ordered by sequencer. */
export function s3EventContract({ s3, cacheWith, peerOf }: EventContractContext) {
  const created = (key: string, sequencer = nextSequencer()) =>
    notification({ bucket: s3().bucket, key, sequencer })

  it('an ObjectCreated event removes the entry, so the next read loads the new object', async () => {
    const reader = cacheWith()
    const invalidator = peerOf(reader)
    const key = uniqueKey('event')
    await putRaw(s3(), key, '{"v":1}')
    expect(await reader.cache.getJson(key)).toEqual({ v: 1 })
    await putRaw(s3(), key, '{"v":2}')
    const outcome = await invalidateFromS3Event(invalidator.cache, created(key))
    expect(outcome).toEqual({ source: 's3', applied: 1, ignored: 0, failed: 0, batchItemFailures: [] })
    const read = await reader.cache.get(key)
    expect(read.status).toBe('miss')
    expect(new TextDecoder().decode(read.body)).toBe('{"v":2}')
  })

  it('an ObjectRemoved event removes the entry, so the next read caches NoSuchKey', async () => {
    const reader = cacheWith()
    const key = uniqueKey('removed')
    await putRaw(s3(), key, '{"here":true}')
    await reader.cache.get(key)
    await s3().client.send(new DeleteObjectCommand({ Bucket: s3().bucket, Key: key }))
    const event = notification({ bucket: s3().bucket, key, type: 'removed', sequencer: nextSequencer() })
    expect((await invalidateFromS3Event(peerOf(reader).cache, event)).applied).toBe(1)
    await expect(reader.cache.get(key)).rejects.toBeInstanceOf(ObjectNotFoundError)
    await expect(reader.cache.get(key)).rejects.toBeInstanceOf(ObjectNotFoundError)
    expect(reader.getObjectCalls()).toBe(2)
  })

  it('a duplicate event, or an older one after a newer one, leaves the newest entry alone', async () => {
    const reader = cacheWith()
    const invalidator = peerOf(reader)
    const key = uniqueKey('order')
    const older = nextSequencer()
    const newer = nextSequencer()
    await putRaw(s3(), key, '{"v":"new"}')
    expect((await invalidateFromS3Event(invalidator.cache, created(key, newer))).applied).toBe(1)
    expect(await reader.cache.getJson(key)).toEqual({ v: 'new' })
    for (const sequencer of [newer, older]) {
      const outcome = await invalidateFromS3Event(invalidator.cache, created(key, sequencer))
      expect(outcome).toMatchObject({ applied: 0, ignored: 1, failed: 0 })
    }
    expect((await reader.cache.get(key)).status).toBe('hit')
    expect(reader.getObjectCalls()).toBe(1)
  })

  it('ignores only a same-length sequencer that is not greater; applies every one whose length differs', async () => {
    const { cache } = cacheWith()
    const key = uniqueKey('padding')
    const applied = async (sequencer: string) => cache.invalidate(key, { sequencer })
    expect(await applied('FF')).toBe(true)
    expect(await applied('0100')).toBe(true) // another length: S3's guides disagree on padding, so apply
    expect(await applied('0100')).toBe(false) // a duplicate
    expect(await applied('00FF')).toBe(false) // same length, older
    expect(await applied('ff')).toBe(true) // another length again (case does not matter)
    expect(await applied('FF')).toBe(false) // a duplicate, in either case
    expect(await applied('00000100')).toBe(true)
    expect(await applied('00000100')).toBe(false)
  })

  it('an event during a load keeps the load from writing its older body back', async () => {
    const made = cacheWith()
    const key = uniqueKey('event-race')
    await putRaw(s3(), key, '{"v":"old"}')
    const gate = holdResponses(made.client)
    gate.hold()
    const slowGet = made.cache.getJson(key)
    await gate.arrived()
    await putRaw(s3(), key, '{"v":"new"}')
    expect((await invalidateFromS3Event(peerOf(made).cache, created(key))).applied).toBe(1)
    gate.release()
    expect(await slowGet).toEqual({ v: 'old' })
    expect(await made.cache.getJson(key)).toEqual({ v: 'new' })
  })

  it('with refresh, loads a created object right away, so the first reader finds it', async () => {
    const reader = cacheWith()
    const invalidator = peerOf(reader)
    const key = uniqueKey('refresh')
    await putRaw(s3(), key, '{"v":1}')
    await reader.cache.get(key)
    await putRaw(s3(), key, '{"v":2}')
    const before = invalidator.getObjectCalls()
    await invalidateFromS3Event(invalidator.cache, created(key), { refresh: true })
    expect(invalidator.getObjectCalls() - before).toBe(1)
    const read = await reader.cache.get(key)
    expect(read.status).toBe('hit')
    expect(new TextDecoder().decode(read.body)).toBe('{"v":2}')
  })
}
