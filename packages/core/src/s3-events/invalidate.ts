import type { S3Cache } from '../cache-api'
import { forEachConcurrent } from '../concurrency'
import { CacheConfigError, ObjectNotFoundError } from '../errors'
import { readOptions } from '../option-reader'
import { type Change, parseS3ChangeEvent } from './parse'
import type { S3ChangeEvent, S3EventOptions, S3EventOutcome } from './types'

/** The defaults stated in {@link S3EventOptions}, in one place. */
const DEFAULTS = { buckets: undefined, refresh: false, concurrency: 32, onError: undefined } as const

function resolve(cache: S3Cache, options: S3EventOptions) {
  const { buckets = [cache.bucket], refresh, concurrency, onError } = readOptions(options, DEFAULTS)
  if (!Array.isArray(buckets) || buckets.some((bucket) => typeof bucket !== 'string' || bucket === ''))
    throw new CacheConfigError('buckets', 'expected an array of bucket names')
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new CacheConfigError('concurrency', 'expected an integer >= 1')
  if (typeof refresh !== 'boolean') throw new CacheConfigError('refresh', 'expected a boolean')
  if (onError !== undefined && typeof onError !== 'function')
    throw new CacheConfigError('onError', 'expected a function')
  return { buckets: new Set(buckets), concurrency, refresh, onError }
}

/**
 * Applies S3 change events to the cache: for each `ObjectCreated:*`, `ObjectRemoved:*` or
 * `LifecycleExpiration:*` record (direct S3 notification, EventBridge `Object Created`/`Object Deleted`,
 * or any of them in SQS message bodies or SNS notifications, SNS → SQS included) of one of `buckets`, the
 * object's entry is removed and its generation bumped, so the next read loads what S3 holds now and a
 * load already in flight cannot write an older body back. S3's `s3:TestEvent` changes nothing.
 *
 * Events of one key are ordered by their S3 `sequencer`: the last one applied is kept next to the
 * entry (one script, one round trip), and a duplicate or a late event (an older sequencer) changes
 * nothing. Records are applied concurrently, their commands pipelined on the Valkey connection.
 *
 * Never throws for a bad record: failures are counted, and for SQS the failed messages are listed in
 * `batchItemFailures` (retrying them is safe: applied records are then duplicates). Throws
 * `InvalidEventError`, naming the supported shapes, only when the event is none of them: an S3
 * notification, an SQS event, an SNS event or an EventBridge S3 event.
 */
export async function invalidateFromS3Event(
  cache: S3Cache,
  event: S3ChangeEvent,
  options: S3EventOptions = {},
): Promise<S3EventOutcome> {
  const settings = resolve(cache, options)
  const { source, units } = parseS3ChangeEvent(event)
  const outcome: S3EventOutcome = { source, applied: 0, ignored: 0, failed: 0, batchItemFailures: [] }
  const failedUnits = new Set<number>()
  const refreshes = new Map<string, { bucket: string; key: string }>()

  const report = (
    error: unknown,
    messageId: string | undefined,
    change: Partial<{ bucket: string; key: string }>,
  ) => {
    try {
      settings.onError?.(error as Error, { messageId, bucket: change.bucket, key: change.key })
    } catch {
      // A broken logger must not turn one failed record into a failed batch.
    }
  }

  const apply = async (change: Change, messageId: string | undefined): Promise<boolean> => {
    if (change.type === 'ignored' || (change.bucket !== undefined && !settings.buckets.has(change.bucket))) {
      outcome.ignored++
      return true
    }
    if (change.type === 'invalid') {
      outcome.failed++
      report(change.error, messageId, change)
      return false
    }
    try {
      const { bucket, key, sequencer } = change
      if (await cache.invalidate(key, { bucket, sequencer })) {
        outcome.applied++
        if (change.type === 'created' && settings.refresh) refreshes.set(`${bucket}\0${key}`, { bucket, key })
      } else outcome.ignored++
      return true
    } catch (error) {
      outcome.failed++
      report(error, messageId, change)
      return false
    }
  }

  await forEachConcurrent(units.entries(), settings.concurrency, async ([index, unit]) => {
    // The records of one message are applied in order; messages run concurrently.
    for (const change of unit.changes) if (!(await apply(change, unit.messageId))) failedUnits.add(index)
  })
  for (const index of [...failedUnits].sort((a, b) => a - b)) {
    const messageId = units[index]?.messageId
    if (source === 'sqs' && messageId !== undefined)
      outcome.batchItemFailures.push({ itemIdentifier: messageId })
  }

  if (settings.refresh) {
    await forEachConcurrent(refreshes.values(), settings.concurrency, async ({ bucket, key }) => {
      // Best effort: the entry is already gone, so a failed refresh only costs the next reader a load.
      await cache.get(key, { bucket, forceRefresh: true }).catch((error: unknown) => {
        if (!(error instanceof ObjectNotFoundError)) report(error, undefined, { bucket, key })
      })
    })
  }
  return outcome
}
