import type { S3Cache } from '@valkey-s3-cache/core'
import { type S3EventInvalidatorHandler, s3EventInvalidator } from '@valkey-s3-cache/middy'
import { createCache } from './cache'
import type { ApiConfig } from './config'
import { createLogger } from './observability'

export type InvalidatorHandler = S3EventInvalidatorHandler & {
  /** The cache whose entries the events remove (the API handler's, by configuration). */
  readonly cache: S3Cache
  /** Closes the Valkey connection and the S3 client it created (tests). */
  close(): Promise<void>
}

/**
 * The S3-event invalidator: `s3EventInvalidator` from `@valkey-s3-cache/middy` over the cache the API
 * handler builds from the same configuration (same bucket, Valkey and `keyPrefix`). For each object
 * created or removed in the bucket it removes the object's entry, ordered by S3's sequencer; it never
 * loads anything (no `refresh`), so it needs no S3 permission at all. Each invocation writes one log
 * line with what it did, through Powertools' Logger as the API handler's.
 */
export function createInvalidator(config: ApiConfig): InvalidatorHandler {
  const { cache, close } = createCache(config)
  const invalidate = s3EventInvalidator({ cache })
  const logger = createLogger(config.serviceName ?? 'valkey-s3-cache-invalidator', config.log)

  const handler: S3EventInvalidatorHandler = async (event, context) => {
    const started = performance.now()
    const durationMs = () => Math.round((performance.now() - started) * 100) / 100
    if (context) logger.addContext(context) // function_request_id, cold_start…
    try {
      const result = await invalidate(event, context)
      // SQS batches answer with the messages to retry; other events with counts of records.
      const counts =
        'batchItemFailures' in result ? { failedMessages: result.batchItemFailures.length } : result
      logger.info('S3 events', { ...counts, durationMs: durationMs() })
      return result
    } catch (error) {
      logger.error('S3 events', { error, durationMs: durationMs() })
      throw error // Lambda retries the event (twice for asynchronous invocations)
    }
  }
  return Object.assign(handler, { cache, close })
}
