import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { startValkey } from '@valkey-s3-cache/testkit'
import { Redis } from 'iovalkey'
import { describe, expect, it } from 'vitest'
import {
  InvalidEventError,
  invalidateFromS3Event,
  ObjectNotFoundError,
  type S3ChangeEvent,
  type SnsEvent,
} from '../src'
import { entryKeys } from '../src/keys'
import { readSample, type SampleName } from './fixtures/events/load'
import { eventBridge, nextSequencer, notification, notificationRecord, sqs } from './support/events'
import { putRaw, uniqueKey } from './support/harness'
import { useServers } from './support/servers'

describe('S3 events on real Valkey and S3', () => {
  const servers = useServers({ extraBuckets: ['other-bucket'] })
  const { cacheOnOwnClient } = servers
  const text = (body: Uint8Array) => new TextDecoder().decode(body)

  /** Caches v1 of `key` in a reader, writes v2 to S3, and returns a check that the reader now sees v2. */
  async function changedObject(key: string, bucket = servers.bucket) {
    const reader = cacheOnOwnClient()
    await putRaw(servers.s3, key, '{"v":1}')
    expect(text((await reader.cache.get(key, { bucket })).body)).toBe('{"v":1}')
    await putRaw(servers.s3, key, '{"v":2}')
    return async () => {
      const read = await reader.cache.get(key, { bucket })
      expect(read.status).toBe('miss')
      expect(text(read.body)).toBe('{"v":2}')
    }
  }

  it('round-trips keys with spaces, plus signs, percent signs and unicode through URL-encoded records', async () => {
    const invalidator = cacheOnOwnClient()
    const keys = ['dir/a b.json', 'dir/a+b.json', 'dir/100% off.json', 'ключ/ü ✓ (1).json']
    const checks = await Promise.all(keys.map((key) => changedObject(key)))
    const event = notification(
      ...keys.map((key) => ({ bucket: servers.bucket, key, sequencer: nextSequencer() })),
    )
    expect(event.Records[1]?.s3.object.key).toBe('dir/a%2Bb.json')
    expect(await invalidateFromS3Event(invalidator.cache, event)).toMatchObject({ applied: 4, failed: 0 })
    for (const check of checks) await check()
  })

  it('applies EventBridge events, whose keys arrive unencoded', async () => {
    const key = 'eb/a+b c%20.json'
    const check = await changedObject(key)
    const event = eventBridge({ bucket: servers.bucket, key, sequencer: nextSequencer() })
    const outcome = await invalidateFromS3Event(cacheOnOwnClient().cache, event)
    expect(outcome).toEqual({
      source: 'eventbridge',
      applied: 1,
      ignored: 0,
      failed: 0,
      batchItemFailures: [],
    })
    await check()
  })

  it('applies SQS bodies of every form and ignores the S3 test event', async () => {
    const keys = [uniqueKey('sqs'), uniqueKey('sqs'), uniqueKey('sqs')]
    const checks = await Promise.all(keys.map((key) => changedObject(key)))
    const [a, b, c] = keys.map((key) => ({ bucket: servers.bucket, key, sequencer: nextSequencer() }))
    if (!a || !b || !c) throw new Error('three keys')
    const event = sqs(
      notification(a),
      eventBridge(b),
      { Type: 'Notification', Message: JSON.stringify(notification(c)) },
      { Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: servers.bucket },
    )
    const outcome = await invalidateFromS3Event(cacheOnOwnClient().cache, event)
    expect(outcome).toEqual({ source: 'sqs', applied: 3, ignored: 1, failed: 0, batchItemFailures: [] })
    for (const check of checks) await check()
  })

  it('reports exactly the bad messages of an SQS batch and applies the rest', async () => {
    const keys = [uniqueKey('batch'), uniqueKey('batch')]
    const checks = await Promise.all(keys.map((key) => changedObject(key)))
    const badKey = notification({ bucket: servers.bucket, key: 'x' })
    if (badKey.Records[0]) badKey.Records[0].s3.object.key = 'broken%E0%A4'
    const errors: unknown[] = []
    const event = sqs(
      notification({ bucket: servers.bucket, key: keys[0] as string }),
      '{"Records": [',
      notification({ bucket: servers.bucket, key: keys[1] as string }),
      badKey,
    )
    const outcome = await invalidateFromS3Event(cacheOnOwnClient().cache, event, {
      onError: (error, record) => errors.push([error.name, record.messageId]),
    })
    expect(outcome).toMatchObject({ applied: 2, failed: 2 })
    expect(outcome.batchItemFailures).toEqual([{ itemIdentifier: 'msg-1' }, { itemIdentifier: 'msg-3' }])
    expect(errors).toEqual([
      ['InvalidEventError', 'msg-1'],
      ['InvalidEventError', 'msg-3'],
    ])
    for (const check of checks) await check()
  })

  it("ignores other buckets' events unless listed in buckets", async () => {
    const key = uniqueKey('other')
    const reader = cacheOnOwnClient()
    await servers.s3.client.send(new PutObjectCommand({ Bucket: 'other-bucket', Key: key, Body: '1' }))
    await reader.cache.get(key, { bucket: 'other-bucket' })
    const event = notification({ bucket: 'other-bucket', key, sequencer: nextSequencer() })
    const invalidator = cacheOnOwnClient()
    expect(await invalidateFromS3Event(invalidator.cache, event)).toMatchObject({ applied: 0, ignored: 1 })
    expect((await reader.cache.get(key, { bucket: 'other-bucket' })).status).toBe('hit')
    const listed = { buckets: [servers.bucket, 'other-bucket'] }
    expect(await invalidateFromS3Event(invalidator.cache, event, listed)).toMatchObject({ applied: 1 })
    expect((await reader.cache.get(key, { bucket: 'other-bucket' })).status).toBe('miss')
  })

  it('keeps the last sequencer next to the entry, in its hash tag, with a TTL', async () => {
    const key = uniqueKey('seqkey')
    const sequencer = nextSequencer()
    await invalidateFromS3Event(
      cacheOnOwnClient().cache,
      notification({ bucket: servers.bucket, key, sequencer }),
    )
    const keys = entryKeys('s3c:', 'o', servers.bucket, key)
    expect(keys.sequencer.startsWith(`${keys.entry}:`)).toBe(true)
    expect(await servers.admin.get(keys.sequencer)).toBe(sequencer)
    expect(await servers.admin.pttl(keys.sequencer)).toBeGreaterThan(23 * 3_600_000)
    // The event bumps a counter only where one exists: a never-loaded object has none to bump.
    expect(await servers.admin.exists(keys.generation)).toBe(0)
  })

  it('applies 300 records of one event concurrently (pipelined, at most 32 at once), one script each', async () => {
    const client = new Redis(servers.valkey.options())
    const { cache } = cacheOnOwnClient({ valkey: client })
    // Instrumentation only: the calls still go to the real server.
    let inFlight = 0
    let most = 0
    const evalsha = client.evalsha.bind(client) as (...args: unknown[]) => Promise<unknown>
    ;(client as unknown as { evalsha: typeof evalsha }).evalsha = (...args) => {
      most = Math.max(most, ++inFlight)
      return evalsha(...args).finally(() => inFlight--)
    }
    const records = Array.from({ length: 300 }, () =>
      notificationRecord({ bucket: servers.bucket, key: uniqueKey('many'), sequencer: nextSequencer() }),
    )
    await servers.admin.config('RESETSTAT')
    const outcome = await invalidateFromS3Event(cache, { Records: records })
    expect(outcome).toMatchObject({ applied: 300, failed: 0 })
    expect(most).toBeGreaterThan(1)
    expect(most).toBeLessThanOrEqual(32)
    const stats = (await servers.admin.info('commandstats')) as string
    const succeeded = (name: string) => {
      const line = new RegExp(`cmdstat_${name}:calls=(\\d+).*failed_calls=(\\d+)`).exec(stats)
      return line ? Number(line[1]) - Number(line[2]) : 0
    }
    // One script per record applied, and the change messages for other processes' L1, a few per tick.
    const published = succeeded('publish')
    expect(published).toBeGreaterThan(0)
    expect(published).toBeLessThan(100)
    expect(succeeded('evalsha') + succeeded('eval') - published).toBe(300)
  })

  it('applies an S3 → SNS → Lambda event, and a late replay of it changes nothing', async () => {
    const key = uniqueKey('sns')
    const check = await changedObject(key)
    const event = readSample<S3ChangeEvent>('sns-s3-object-created', { bucket: servers.bucket, key })
    const invalidator = cacheOnOwnClient()
    expect(await invalidateFromS3Event(invalidator.cache, event)).toEqual({
      source: 'sns',
      applied: 1,
      ignored: 0,
      failed: 0,
      batchItemFailures: [],
    })
    await check()
    expect(await invalidateFromS3Event(invalidator.cache, event)).toMatchObject({ applied: 0, ignored: 1 })
  })

  it('fails every record honestly when Valkey is down, so SQS retries them', async () => {
    const down = await startValkey()
    const invalidator = cacheOnOwnClient({ valkey: new Redis(down.options()), timeouts: { valkey: 100 } })
    await down.process.stop()
    const event = sqs(
      notification({ bucket: servers.bucket, key: 'a' }),
      eventBridge({ bucket: servers.bucket, key: 'b' }),
    )
    const outcome = await invalidateFromS3Event(invalidator.cache, event)
    expect(outcome).toMatchObject({ applied: 0, failed: 2 })
    expect(outcome.batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }, { itemIdentifier: 'msg-1' }])
    await down.stop()
  })
})

describe('sample events in the shapes AWS publishes, on real Valkey and S3', () => {
  const servers = useServers()
  const { cacheOnOwnClient } = servers
  const text = (body: Uint8Array) => new TextDecoder().decode(body)

  /** Scripts Valkey ran (each applied record is one), from INFO commandstats. */
  async function scriptCalls(): Promise<number> {
    const stats = (await servers.admin.info('commandstats')) as string
    let calls = 0
    for (const match of stats.matchAll(/^cmdstat_(?:eval|evalsha):calls=(\d+)/gm)) calls += Number(match[1])
    return calls
  }

  /** A reader with v1 of a fresh key cached, and the sample retargeted to that key. */
  async function cachedSample(name: SampleName) {
    const key = uniqueKey(name)
    const reader = cacheOnOwnClient()
    await putRaw(servers.s3, key, '{"v":1}')
    expect(text((await reader.cache.get(key)).body)).toBe('{"v":1}')
    const event = readSample<S3ChangeEvent>(name, { bucket: servers.bucket, key })
    return { key, reader, event }
  }

  const created = [
    ['s3-object-created-put', 's3'],
    ['eventbridge-object-created', 'eventbridge'],
    ['sqs-s3-object-created', 'sqs'],
    ['sqs-sns-s3-object-created', 'sqs'],
    ['sns-s3-object-created', 'sns'],
  ] as const
  it.each(created)('%s: the next read loads the new object', async (name, source) => {
    const { key, reader, event } = await cachedSample(name)
    await putRaw(servers.s3, key, '{"v":2}')
    const outcome = await invalidateFromS3Event(cacheOnOwnClient().cache, event)
    expect(outcome).toEqual({ source, applied: 1, ignored: 0, failed: 0, batchItemFailures: [] })
    const read = await reader.cache.get(key)
    expect(read.status).toBe('miss')
    expect(text(read.body)).toBe('{"v":2}')
  })

  const removed = [
    ['s3-object-removed-delete', 's3'],
    ['s3-lifecycle-expiration-delete', 's3'],
    ['eventbridge-object-deleted', 'eventbridge'],
    ['eventbridge-object-deleted-lifecycle', 'eventbridge'],
    ['sqs-sns-raw-s3-object-removed', 'sqs'],
  ] as const
  it.each(removed)('%s: the next read finds the object gone', async (name, source) => {
    const { key, reader, event } = await cachedSample(name)
    await servers.s3.client.send(new DeleteObjectCommand({ Bucket: servers.bucket, Key: key }))
    const outcome = await invalidateFromS3Event(cacheOnOwnClient().cache, event)
    expect(outcome).toEqual({ source, applied: 1, ignored: 0, failed: 0, batchItemFailures: [] })
    await expect(reader.cache.get(key)).rejects.toBeInstanceOf(ObjectNotFoundError)
  })

  const ignored = [
    ['s3-lifecycle-transition', 's3'],
    ['s3-replication-operation-failed', 's3'],
    ['eventbridge-object-restore-completed', 'eventbridge'],
  ] as const
  it.each(ignored)('%s: the object is unchanged, so is the entry', async (name, source) => {
    const { key, reader, event } = await cachedSample(name)
    const before = await scriptCalls()
    const outcome = await invalidateFromS3Event(cacheOnOwnClient().cache, event)
    expect(outcome).toEqual({ source, applied: 0, ignored: 1, failed: 0, batchItemFailures: [] })
    expect(await scriptCalls()).toBe(before)
    const read = await reader.cache.get(key)
    expect(read.status).toBe('hit')
    expect(text(read.body)).toBe('{"v":1}')
  })

  const testEvents = [
    ['s3-test-event', { source: 's3', ignored: 0 }],
    ['sqs-s3-test-event', { source: 'sqs', ignored: 1 }],
    ['sns-s3-test-event', { source: 'sns', ignored: 1 }],
    // SNS asks a queue subscribed from another account to confirm: not a change, and no failure to retry.
    ['sqs-sns-subscription-confirmation', { source: 'sqs', ignored: 1 }],
  ] as const
  it.each(testEvents)('%s: accepted, and changes nothing', async (name, expected) => {
    const { key, reader } = await cachedSample('s3-object-created-put')
    const before = await scriptCalls()
    const outcome = await invalidateFromS3Event(cacheOnOwnClient().cache, readSample<S3ChangeEvent>(name))
    expect(outcome).toEqual({ ...expected, applied: 0, failed: 0, batchItemFailures: [] })
    expect(await scriptCalls()).toBe(before)
    expect((await reader.cache.get(key)).status).toBe('hit')
  })

  it('sns-hello: an SNS message that is no S3 event fails its record, reported with its MessageId', async () => {
    const errors: unknown[] = []
    const outcome = await invalidateFromS3Event(
      cacheOnOwnClient().cache,
      readSample<S3ChangeEvent>('sns-hello'),
      {
        onError: (error, record) => errors.push([error.name, error.message, record.messageId]),
      },
    )
    expect(outcome).toEqual({ source: 'sns', applied: 0, ignored: 0, failed: 1, batchItemFailures: [] })
    const messageId = readSample<SnsEvent>('sns-hello').Records[0]?.Sns.MessageId
    expect(messageId).toMatch(/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/)
    expect(errors).toEqual([['InvalidEventError', 'SNS message is not a JSON object', messageId]])
  })

  it('dynamodb-update: an event of another source throws InvalidEventError naming the shapes', async () => {
    const before = await scriptCalls()
    const result = invalidateFromS3Event(
      cacheOnOwnClient().cache,
      readSample<S3ChangeEvent>('dynamodb-update'),
    )
    await expect(result).rejects.toBeInstanceOf(InvalidEventError)
    await expect(result).rejects.toThrow(
      /S3 event notification .* SQS event .* SNS event .* EventBridge S3 event/,
    )
    expect(await scriptCalls()).toBe(before)
  })
})
