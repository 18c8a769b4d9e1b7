import middy from '@middy/core'
import { CacheConfigError, InvalidEventError, type S3EventBridgeEvent } from '@valkey-s3-cache/core'
import { s3EventInvalidator } from '@valkey-s3-cache/middy'
import type { Context, SNSEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda'
import { describe, expect, it, vi } from 'vitest'
import { readSample } from '../../core/test/fixtures/events/load'
import { putJson, uniqueKey } from './support/app'
import { s3EventBridge, s3Notification } from './support/s3-events'
import { useServers } from './support/servers'

const servers = useServers()

/** A reader that has v1 of `key` cached while S3 now holds v2. */
async function staleReader(key: string) {
  const reader = servers.makeCache()
  await putJson(servers, key, { v: 1 })
  expect(await reader.cache.getJson(key)).toEqual({ v: 1 })
  await putJson(servers, key, { v: 2 })
  return reader.cache
}

const sqsEvent = (...bodies: string[]): SQSEvent =>
  ({
    Records: bodies.map((body, i) => ({ messageId: `m${i}`, eventSource: 'aws:sqs', body })),
  }) as SQSEvent

describe('s3EventInvalidator', () => {
  it('works as a plain Lambda handler for S3 notifications, returning counts', async () => {
    const key = uniqueKey('plain a b')
    const reader = await staleReader(key)
    const handler = s3EventInvalidator({ cache: servers.makeCache().cache })
    expect(await handler(s3Notification(servers.s3.bucket, key))).toEqual({
      applied: 1,
      ignored: 0,
      failed: 0,
    })
    expect(await reader.getJson(key)).toEqual({ v: 2 })
  })

  it('answers an SQS batch through middy with exactly the failed messages', async () => {
    const [a, b] = [uniqueKey('sqs'), uniqueKey('sqs ü')]
    const readers = [await staleReader(a), await staleReader(b)]
    const failures: unknown[] = []
    const handler = middy<SQSEvent, SQSBatchResponse>().handler(
      s3EventInvalidator({
        cache: servers.makeCache().cache,
        onError: (_error, record) => failures.push(record.messageId),
      }),
    )
    const event = sqsEvent(
      JSON.stringify(s3Notification(servers.s3.bucket, a)),
      'not json',
      JSON.stringify(s3EventBridge(servers.s3.bucket, b)),
      JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' }),
    )
    expect(await handler(event, {} as Context)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] })
    expect(failures).toEqual(['m1'])
    expect(await readers[0]?.getJson(a)).toEqual({ v: 2 })
    expect(await readers[1]?.getJson(b)).toEqual({ v: 2 })
  })

  it('applies EventBridge events, and a replay of the same event is ignored', async () => {
    const key = uniqueKey('eb+plus')
    const reader = await staleReader(key)
    const handler = middy<S3EventBridgeEvent>().handler(
      s3EventInvalidator({ cache: servers.makeCache().cache }),
    )
    const event = s3EventBridge(servers.s3.bucket, key)
    expect(await handler(event, {} as Context)).toEqual({ applied: 1, ignored: 0, failed: 0 })
    expect(await handler(event, {} as Context)).toEqual({ applied: 0, ignored: 1, failed: 0 })
    expect(await reader.getJson(key)).toEqual({ v: 2 })
  })

  it('throws for failed records of asynchronous events so Lambda retries them, unless told not to', async () => {
    const bad = s3Notification(servers.s3.bucket, 'x')
    const record = bad.Records[0]
    if (record) record.s3.object.key = '%E0%A4'
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      await expect(s3EventInvalidator({ cache: servers.makeCache().cache })(bad)).rejects.toMatchObject({
        code: 'S3_EVENT_FAILED',
        message: '1 of 1 S3 event records could not be applied',
      })
      expect(logged).toHaveBeenCalledWith(expect.stringMatching(/^valkey-s3-cache: S3 event not applied/))
      const lenient = s3EventInvalidator({ cache: servers.makeCache().cache, throwOnFailure: false })
      expect(await lenient(bad)).toEqual({ applied: 0, ignored: 0, failed: 1 })
    } finally {
      logged.mockRestore()
    }
  })

  it('applies S3 → SNS → Lambda events, in the shape AWS publishes, and ignores the S3 test event', async () => {
    const key = uniqueKey('sns')
    const reader = await staleReader(key)
    const handler = middy<SNSEvent>().handler(s3EventInvalidator({ cache: servers.makeCache().cache }))
    const event = readSample<SNSEvent>('sns-s3-object-created', { bucket: servers.s3.bucket, key })
    expect(await handler(event, {} as Context)).toEqual({ applied: 1, ignored: 0, failed: 0 })
    expect(await reader.getJson(key)).toEqual({ v: 2 })
    const testEvent = readSample<SNSEvent>('sns-s3-test-event')
    expect(await handler(testEvent, {} as Context)).toEqual({ applied: 0, ignored: 1, failed: 0 })
  })

  it('answers S3 → SNS → SQS batches, raw message delivery off and on, with the failed messages', async () => {
    const [a, b] = [uniqueKey('sns-sqs'), uniqueKey('sns-sqs-raw')]
    const readers = [await staleReader(a), await staleReader(b)]
    const { bucket } = servers.s3
    const wrapped = readSample<SQSEvent>('sqs-sns-s3-object-created', { bucket, key: a })
    const raw = readSample<SQSEvent>('s3-object-created-put', { bucket, key: b })
    const event: SQSEvent = {
      Records: [
        ...wrapped.Records,
        {
          ...(wrapped.Records[0] as SQSEvent['Records'][number]),
          messageId: 'raw',
          body: JSON.stringify(raw),
        },
        {
          ...(wrapped.Records[0] as SQSEvent['Records'][number]),
          messageId: 'broken',
          body: '{"Type" : "Notif',
        },
      ],
    }
    const handler = middy<SQSEvent, SQSBatchResponse>().handler(
      s3EventInvalidator({ cache: servers.makeCache().cache, onError: () => {} }),
    )
    expect(await handler(event, {} as Context)).toEqual({ batchItemFailures: [{ itemIdentifier: 'broken' }] })
    expect(await readers[0]?.getJson(a)).toEqual({ v: 2 })
    expect(await readers[1]?.getJson(b)).toEqual({ v: 2 })
  })

  it('throws for an SNS message that is no S3 event, so Lambda retries it then hands it on', async () => {
    const handler = s3EventInvalidator({ cache: servers.makeCache().cache, onError: () => {} })
    await expect(handler(readSample<SNSEvent>('sns-hello'))).rejects.toMatchObject({
      code: 'S3_EVENT_FAILED',
      failed: 1,
    })
  })

  it('throws InvalidEventError naming the supported shapes for an event of another source', async () => {
    const handler = s3EventInvalidator({ cache: servers.makeCache().cache })
    const result = handler(readSample<SNSEvent>('dynamodb-update'))
    await expect(result).rejects.toBeInstanceOf(InvalidEventError)
    await expect(result).rejects.toThrow(
      /S3 event notification .* SQS event .* SNS event .* EventBridge S3 event/,
    )
  })

  it('rejects bad options when created', () => {
    const { cache } = servers.makeCache()
    expect(() => s3EventInvalidator({} as never)).toThrow(CacheConfigError)
    expect(() => s3EventInvalidator({ cache, refersh: true } as never)).toThrow(/"refersh"/)
    expect(() => s3EventInvalidator({ cache, throwOnFailure: 'yes' } as never)).toThrow(/throwOnFailure/)
  })
})
