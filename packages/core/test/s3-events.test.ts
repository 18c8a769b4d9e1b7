import { PutObjectCommand } from '@aws-sdk/client-s3'
import { startValkey } from '@valkey-s3-cache/testkit'
import { Redis } from 'iovalkey'
import { describe, expect, it } from 'vitest'
import { invalidateFromS3Event } from '../src'
import { entryKeys } from '../src/keys'
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
    expect(succeeded('evalsha') + succeeded('eval')).toBe(300)
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
