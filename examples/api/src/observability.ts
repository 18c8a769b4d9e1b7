import { AsyncLocalStorage } from 'node:async_hooks'
import type { CacheEvent } from '@valkey-s3-cache/core'

/** What one request did, gathered while it runs and written as one log line when it ends. */
export interface RequestRecord {
  /** The S3 key, once the body passed validation. */
  s3Key?: string
  /** How the object was read: from the cache (`hit`), from S3 (`miss`), served stale, or too large to cache. */
  object?: 'hit' | 'miss' | 'stale' | 'bypass'
  /** `error` events of the cache during this request (Valkey down, corrupt entry, S3 failure…). */
  cacheErrors: number
  /** The error http-error-handler rendered, if any. */
  error?: { name: string; message: string; code?: string }
}

// The cache reports events through one callback per cache; AsyncLocalStorage tells which request
// each event belongs to, even when requests overlap (the local gateway, concurrent tests).
const records = new AsyncLocalStorage<RequestRecord>()

export const currentRecord = (): RequestRecord | undefined => records.getStore()

export function withRecord<T>(record: RequestRecord, run: () => Promise<T>): Promise<T> {
  return records.run(record, run)
}

/** The cache's `onEvent`: object reads (events with a bucket) set the object status; `error` events are counted. */
export function recordCacheEvent(event: CacheEvent): void {
  const record = records.getStore()
  if (record === undefined) return
  if (event.type === 'error') record.cacheErrors++
  // Events without a bucket come from httpCache's stored responses; the `x-cache` header reports those.
  else if (event.bucket !== undefined && event.type !== 'load') record.object = event.type
}

export function recordError(error: unknown): void {
  const record = records.getStore()
  if (record === undefined || typeof error !== 'object' || error === null) return
  const { name, message, code } = error as { name?: unknown; message?: unknown; code?: unknown }
  record.error = {
    name: String(name ?? 'Error'),
    message: String(message ?? ''),
    ...(typeof code === 'string' ? { code } : {}),
  }
}

export interface RequestSummary {
  requestId: string
  apiRequestId: string | undefined
  method: string
  path: string
  statusCode: number
  /** The `x-cache` header: `HIT` when httpCache answered without running the handler, `BYPASS` when Valkey could not be used, else `MISS`; none on errors. */
  cache: string | undefined
  durationMs: number
  record: RequestRecord
}

export interface LogSettings {
  service: string
  emf: { namespace: string } | undefined
  write: (line: string) => void
}

/** The metric values of one request: CloudWatch sums them per minute. */
export function metricsOf(summary: RequestSummary) {
  const { record } = summary
  return {
    CacheHits: summary.cache === 'HIT' || record.object === 'hit' ? 1 : 0,
    CacheMisses: record.object === 'miss' ? 1 : 0,
    CacheStale: record.object === 'stale' ? 1 : 0,
    CacheErrors: record.cacheErrors,
    Latency: summary.durationMs,
  }
}

const UNITS = {
  CacheHits: 'Count',
  CacheMisses: 'Count',
  CacheStale: 'Count',
  CacheErrors: 'Count',
  Latency: 'Milliseconds',
} as const

/**
 * Writes the request's single JSON log line. With EMF on, the same line carries the `_aws` block of
 * the CloudWatch embedded metric format, so CloudWatch turns its numbers into metrics (no agent, no
 * PutMetricData call, no extra dependency) and the line stays one searchable log event.
 */
export function writeRequestLog(summary: RequestSummary, settings: LogSettings): void {
  const { record } = summary
  const line: Record<string, unknown> = {
    level: summary.statusCode >= 500 ? 'error' : 'info',
    message: `${summary.method} ${summary.path} ${summary.statusCode}`,
    service: settings.service,
    requestId: summary.requestId,
    apiRequestId: summary.apiRequestId,
    statusCode: summary.statusCode,
    cache: summary.cache ?? null,
    object: record.object ?? null,
    s3Key: record.s3Key,
    durationMs: Math.round(summary.durationMs * 100) / 100,
    cacheErrors: record.cacheErrors,
    error: record.error,
    timestamp: new Date().toISOString(),
  }
  if (settings.emf) {
    const metrics = metricsOf(summary)
    line._aws = {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        {
          Namespace: settings.emf.namespace,
          Dimensions: [['Service']],
          Metrics: Object.entries(UNITS).map(([Name, Unit]) => ({ Name, Unit })),
        },
      ],
    }
    line.Service = settings.service
    Object.assign(line, metrics, { Latency: line.durationMs })
  }
  settings.write(JSON.stringify(line))
}
