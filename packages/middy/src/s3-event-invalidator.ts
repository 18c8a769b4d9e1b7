import {
  CacheConfigError,
  invalidateFromS3Event,
  readOptions,
  type S3Cache,
  type S3ChangeEvent,
  S3EventFailedError,
  type S3EventOptions,
  type SqsBatchResponse,
  type SqsEvent,
} from '@valkey-s3-cache/core'
import type { Context } from 'aws-lambda'
import { requireS3Cache } from './cache-option'

/** Options of {@link s3EventInvalidator}: the cache, plus the options of core's `invalidateFromS3Event`. */
export interface S3EventInvalidatorOptions extends S3EventOptions {
  /** The cache whose entries the events remove. Required. */
  cache: S3Cache
  /**
   * For events not delivered by SQS (S3 → Lambda, SNS → Lambda, EventBridge → Lambda, all asynchronous
   * invocations): throw when a record could not be applied, so Lambda retries the event and then sends it
   * to the function's on-failure destination. Retrying is safe: applied records are then duplicates, which
   * the sequencer turns into no-ops. Default `true`.
   */
  throwOnFailure?: boolean
}

/** What the handler returns for events that are not SQS batches. */
export interface S3EventCounts {
  applied: number
  ignored: number
  failed: number
}

/** An SQS event gets the partial batch response; any other event gets the counts. */
export type S3EventInvalidatorResult<TEvent> = TEvent extends SqsEvent ? SqsBatchResponse : S3EventCounts

/**
 * The handler. Generic in the event, so `middy<SQSEvent, SQSBatchResponse>().handler(…)` and a handler
 * typed for `S3Event`, `SNSEvent` or an EventBridge event each see their own result type.
 */
export type S3EventInvalidatorHandler = <TEvent extends S3ChangeEvent>(
  event: TEvent,
  context?: Context,
) => Promise<S3EventInvalidatorResult<TEvent>>

/** The defaults of this handler's own options; the rest are `invalidateFromS3Event`'s, checked there. */
const defaults = {
  throwOnFailure: true,
  buckets: undefined,
  refresh: undefined,
  concurrency: undefined,
  onError: undefined,
} satisfies Omit<S3EventInvalidatorOptions, 'cache'>

const logFailure: NonNullable<S3EventOptions['onError']> = (error, record) => {
  const where = [
    record.messageId && `message ${record.messageId}`,
    record.key && `key ${JSON.stringify(record.key)}`,
  ]
  console.error(
    `valkey-s3-cache: S3 event not applied (${where.filter(Boolean).join(', ') || 'event'}): ${error.message}`,
  )
}

/**
 * A ready Lambda handler that keeps the cache coherent with S3: for each `ObjectCreated:*` and
 * `ObjectRemoved:*` record it removes the object's entry (bumping its generation, so no load in flight
 * can write an older body back), ordered per key by S3's `sequencer`. It accepts S3 event notifications
 * (S3 → Lambda), SNS events whose messages are S3 notifications (S3 → SNS → Lambda), EventBridge
 * `Object Created`/`Object Deleted` events, and SQS batches of any of them (SNS → SQS included, with raw
 * message delivery on or off); S3's `s3:TestEvent` changes nothing. Any other event throws
 * `InvalidEventError` naming these shapes.
 *
 * A plain `async (event, context)` function: export it as the handler, or wrap it in `middy()` to add
 * middlewares. For SQS it returns `{ batchItemFailures }` (turn on `ReportBatchItemFailures` in the event
 * source mapping), so only the messages that failed are retried; otherwise `{ applied, ignored, failed }`,
 * or a thrown `S3EventFailedError` when a record failed (see `throwOnFailure`).
 *
 * Created once, outside the handler, with the cache the readers use (same `keyPrefix` and Valkey).
 * Failed records are logged with `console.error` unless `onError` is given.
 */
export function s3EventInvalidator(options: S3EventInvalidatorOptions): S3EventInvalidatorHandler {
  if (typeof options !== 'object' || options === null)
    throw new CacheConfigError('options', 'expected { cache }')
  const { cache, throwOnFailure, ...rest } = readOptions(options, defaults, { required: ['cache'] })
  const checkedCache = requireS3Cache(cache)
  if (typeof throwOnFailure !== 'boolean') throw new CacheConfigError('throwOnFailure', 'expected a boolean')
  const eventOptions: S3EventOptions = { ...rest, onError: rest.onError ?? logFailure }

  return async function s3EventInvalidatorHandler<TEvent extends S3ChangeEvent>(event: TEvent) {
    const outcome = await invalidateFromS3Event(checkedCache, event, eventOptions)
    if (outcome.source === 'sqs')
      return { batchItemFailures: outcome.batchItemFailures } as S3EventInvalidatorResult<TEvent>
    const { applied, ignored, failed } = outcome
    if (failed > 0 && throwOnFailure) throw new S3EventFailedError({ applied, ignored, failed })
    return { applied, ignored, failed } as S3EventInvalidatorResult<TEvent>
  }
}
