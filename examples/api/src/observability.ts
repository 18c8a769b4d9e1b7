import { AsyncLocalStorage } from 'node:async_hooks'
import { Logger, type LogItem } from '@aws-lambda-powertools/logger'
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types'
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics'
import type { CacheEvent, CacheEventListener, ErrorOperation, ReadStatus } from '@valkey-s3-cache/core'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'

/** Where the JSON lines go instead of stdout (tests, the local demo): one call per line. */
export type LineWriter = (line: string) => void

/**
 * Powertools' Logger. On Lambda it prints to stdout (CloudWatch Logs); given a `write` function it
 * hands each line to it instead, so tests and the local demo keep the lines in the process.
 */
class LineLogger extends Logger {
  readonly write: LineWriter | undefined

  constructor(options: ConstructorOptions, write: LineWriter | undefined) {
    super(options)
    this.write = write
  }

  protected override printLog(logLevel: number, log: LogItem): void {
    if (this.write === undefined) {
      super.printLog(logLevel, log)
      return
    }
    log.prepareForPrint()
    this.write(JSON.stringify(log.getAttributes(), this.getJsonReplacer()))
  }
}

export function createLogger(serviceName: string, write: LineWriter | undefined): Logger {
  return new LineLogger({ serviceName }, write)
}

/** What one request did, gathered while it runs and written as one log line when it ends. */
export interface RequestRecord {
  /** The S3 key, once the body passed validation. */
  s3Key?: string
  /** How the object was read: from the cache (`hit`), from S3 (`miss`), served stale, or without the cache (`bypass`). */
  object?: ReadStatus
  /** `durationMs` of the read that answered: the stored response's hit, or the object's read. */
  readMs?: number
  /** The `operation` of each `error` event of the cache (Valkey down, a corrupt entry, S3 failing…). */
  cacheErrors: ErrorOperation[]
  /** The error http-error-handler rendered, if any (Powertools' Logger prints name, message, code…). */
  error?: unknown
  /** Set when the request's line is written: events arriving later belong to no request. */
  done?: boolean
}

// The cache reports events through one callback per cache; AsyncLocalStorage tells which request
// each event belongs to, even when requests overlap (the local gateway, concurrent tests).
const records = new AsyncLocalStorage<RequestRecord>()

export const currentRecord = (): RequestRecord | undefined => records.getStore()

/** http-error-handler's `logger`: keeps the error for the request's log line. */
export function recordError(error: unknown): void {
  const record = records.getStore()
  if (record !== undefined) record.error = error
}

/** Object reads (events with a bucket) set the object status; `error` events are kept. */
function recordEvent(record: RequestRecord, event: CacheEvent): void {
  if (event.type === 'error') record.cacheErrors.push(event.operation)
  else if (event.type === 'load') return
  else if (event.bucket !== undefined) {
    record.object = event.type
    record.readMs = event.durationMs
  }
  // Events without a bucket come from httpCache's stored responses; the `x-cache` header reports those.
  else if (event.type === 'hit') record.readMs = event.durationMs
}

/** The facts of one request, as its log line and metrics report them. */
interface RequestSummary {
  method: string
  path: string
  apiRequestId: string | undefined
  statusCode: number
  /** The `x-cache` header: `HIT` when httpCache answered without running the handler, `BYPASS` when Valkey could not be used, else `MISS`; none on errors. */
  cache: string | undefined
  durationMs: number
  record: RequestRecord
}

/** How the request was answered, for the metrics: the stored response first, else the object's read. */
function outcomeOf({ cache, record }: RequestSummary): ReadStatus | undefined {
  if (cache === 'HIT') return 'hit'
  return record.object ?? (cache === 'BYPASS' ? 'bypass' : undefined)
}

type MetricUnitValue = (typeof MetricUnit)[keyof typeof MetricUnit]

/**
 * The metrics of one request, summed per minute by CloudWatch. Each request that read through the
 * cache counts 1 in exactly one of CacheHits, CacheMisses, CacheStale and CacheBypass.
 */
function metricsOf(summary: RequestSummary): [name: string, unit: MetricUnitValue, value: number][] {
  const outcome = outcomeOf(summary)
  const errors = summary.record.cacheErrors
  const count = (operation: ErrorOperation) => errors.filter((op) => op === operation).length
  const metrics: [string, MetricUnitValue, number][] = [
    ['CacheHits', MetricUnit.Count, outcome === 'hit' ? 1 : 0],
    ['CacheMisses', MetricUnit.Count, outcome === 'miss' ? 1 : 0],
    ['CacheStale', MetricUnit.Count, outcome === 'stale' ? 1 : 0],
    ['CacheBypass', MetricUnit.Count, outcome === 'bypass' ? 1 : 0],
    ['CacheErrors', MetricUnit.Count, errors.length],
    ['CircuitOpen', MetricUnit.Count, count('circuit-open')],
    ['OriginErrors', MetricUnit.Count, count('origin')],
    ['Latency', MetricUnit.Milliseconds, summary.durationMs],
  ]
  if (summary.record.readMs !== undefined)
    metrics.push(['CacheReadLatency', MetricUnit.Milliseconds, round(summary.record.readMs)])
  return metrics
}

const round = (ms: number) => Math.round(ms * 100) / 100

export interface ObservabilitySettings {
  /** Powertools' `serviceName`: the `service` log field and metric dimension. */
  service: string
  /** The CloudWatch namespace of the metrics; `undefined` publishes none. */
  metricsNamespace: string | undefined
  /** Where the lines go; `undefined`: stdout, as on Lambda. */
  write: LineWriter | undefined
}

export interface Observability {
  /** The cache's `onEvent`. */
  readonly onEvent: CacheEventListener
  /** Runs one request and writes its log line (and metrics) when it ends, even when it throws. */
  observe(
    event: APIGatewayProxyEvent,
    context: Context,
    run: () => Promise<APIGatewayProxyResult>,
  ): Promise<APIGatewayProxyResult>
}

/**
 * One log line per request through Powertools' Logger and, with a namespace, the request's metrics
 * through Powertools' Metrics (CloudWatch embedded metric format: a JSON line CloudWatch Logs turns
 * into metrics; no agent, no PutMetricData call).
 */
export function createObservability(settings: ObservabilitySettings): Observability {
  const logger = createLogger(settings.service, settings.write)
  const metrics =
    settings.metricsNamespace === undefined
      ? undefined
      : new Metrics({ namespace: settings.metricsNamespace, serviceName: settings.service, logger })
  const { write } = settings
  // Powertools' Metrics always prints to stdout; with `write`, the same EMF line goes there instead.
  const publishMetrics = (target: Metrics): void => {
    if (write === undefined) target.publishStoredMetrics()
    else {
      write(JSON.stringify(target.serializeMetrics()))
      target.clearMetrics()
    }
  }
  // Errors outside any request (a dropped Valkey connection, a revalidation that ends after its
  // request) are reported with the next request's line.
  let pending: ErrorOperation[] = []

  const onEvent: CacheEventListener = (event) => {
    const live = records.getStore()
    if (live !== undefined && !live.done) recordEvent(live, event)
    else if (event.type === 'error') pending.push(event.operation)
  }

  // Written in one synchronous step, so the lines and metrics of overlapping requests never mix.
  const finish = (summary: RequestSummary, context: Context | undefined) => {
    const { record } = summary
    record.done = true
    record.cacheErrors.unshift(...pending)
    pending = []
    // function_request_id, function_name, cold_start…: Powertools' Lambda context fields.
    if (context) logger.addContext(context)
    const line = {
      apiRequestId: summary.apiRequestId,
      method: summary.method,
      path: summary.path,
      statusCode: summary.statusCode,
      cache: summary.cache,
      object: record.object,
      s3Key: record.s3Key,
      durationMs: round(summary.durationMs),
      cacheErrors: record.cacheErrors.length,
      cacheErrorOperations: record.cacheErrors.length > 0 ? record.cacheErrors : undefined,
      error: record.error,
    }
    const message = `${summary.method} ${summary.path} ${summary.statusCode}`
    if (summary.statusCode >= 500) logger.error(message, line)
    else logger.info(message, line)
    if (metrics === undefined) return
    for (const [name, unit, value] of metricsOf({ ...summary, durationMs: line.durationMs }))
      metrics.addMetric(name, unit, value)
    publishMetrics(metrics)
  }

  return {
    onEvent,
    async observe(event, context, run) {
      const started = performance.now()
      const record: RequestRecord = { cacheErrors: [] }
      let response: APIGatewayProxyResult | undefined
      try {
        response = await records.run(record, run)
        return response
      } finally {
        const cache = response?.headers?.['x-cache']
        finish(
          {
            method: event?.httpMethod ?? '',
            path: event?.path ?? '',
            apiRequestId: event?.requestContext?.requestId,
            statusCode: response?.statusCode ?? 500,
            cache: typeof cache === 'string' ? cache : undefined,
            durationMs: performance.now() - started,
            record,
          },
          context,
        )
      }
    },
  }
}
