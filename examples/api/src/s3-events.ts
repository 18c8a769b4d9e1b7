import { randomUUID } from 'node:crypto'
import type { S3Cache } from '@valkey-s3-cache/core'
import { type S3EventInvalidatorHandler, s3EventInvalidator } from '@valkey-s3-cache/middy'
import { createCache } from './cache'
import type { ApiConfig } from './config'

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
 * loads anything (no `refresh`), so it needs no S3 permission at all. Each invocation writes one JSON
 * log line with what it did.
 */
export function createInvalidator(config: ApiConfig): InvalidatorHandler {
  const { cache, close } = createCache(config)
  const invalidate = s3EventInvalidator({ cache })
  const service = config.serviceName ?? 'valkey-s3-cache-invalidator'
  const write = config.log ?? ((line: string) => process.stdout.write(`${line}\n`))

  const handler: S3EventInvalidatorHandler = async (event, context) => {
    const started = performance.now()
    const line = (level: 'info' | 'error', fields: Record<string, unknown>) =>
      write(
        JSON.stringify({
          level,
          message: 'S3 events',
          service,
          requestId: context?.awsRequestId ?? randomUUID(),
          ...fields,
          durationMs: Math.round((performance.now() - started) * 100) / 100,
          timestamp: new Date().toISOString(),
        }),
      )
    try {
      const result = await invalidate(event, context)
      // SQS batches answer with the messages to retry; other events with counts of records.
      if ('batchItemFailures' in result) line('info', { failedMessages: result.batchItemFailures.length })
      else line('info', { ...result })
      return result
    } catch (error) {
      line('error', { error: (error as Error).message })
      throw error // Lambda retries the event (twice for asynchronous invocations)
    }
  }
  return Object.assign(handler, { cache, close })
}
