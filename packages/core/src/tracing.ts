/**
 * Tracing through `node:diagnostics_channel`, with no dependency: subscribers (an OpenTelemetry
 * instrumentation such as `@valkey-s3-cache/otel`, an APM agent, a test) see every read, origin load
 * and store command as a `TracingChannel` (`start`, `end`, `asyncStart`, `asyncEnd`, `error`). Nothing
 * is published, and no context object is built, while nobody subscribes.
 */
import { type TracingChannel, tracingChannel } from 'node:diagnostics_channel'
import type { ReadStatus } from './cache-api'
import type { ErrorOperation, HitLayer } from './events'

/** Context of `valkey-s3-cache:read`, around one `get`, `getText`, `getJson` or `wrap` call. */
export interface ReadTraceContext {
  operation: 'get' | 'getText' | 'getJson' | 'wrap'
  /** The S3 key, or the `wrap` key. */
  key: string
  /** The bucket of an S3 object; absent for `wrap`. */
  bucket: string | undefined
  /** Set before `asyncEnd`: how the answer was produced. */
  status?: ReadStatus
  /** Set before `asyncEnd` for a hit: which layer answered. */
  layer?: HitLayer
  /** Set before `asyncEnd`: the body's size in bytes. */
  bytes?: number
  /** Set by diagnostics_channel: the resolved value, or the error. */
  result?: unknown
  error?: unknown
}

/** Context of `valkey-s3-cache:origin`, around one S3 GetObject (with its body) or one `wrap` loader run. */
export interface OriginTraceContext {
  key: string
  bucket: string | undefined
  source: 's3' | 'loader'
  /** Set before `asyncEnd`: `entry` (a body), `missing` (NoSuchKey), `unchanged` (304), `oversized`. */
  outcome?: 'entry' | 'missing' | 'unchanged' | 'oversized'
  /** Set before `asyncEnd` for an `entry`: the body's size in bytes. */
  bytes?: number
  result?: unknown
  error?: unknown
}

/**
 * Context of `valkey-s3-cache:valkey`, around one call to the store (a GET, or one script: lease,
 * commit, refresh, release, invalidation), bounded by `timeouts.valkey`.
 */
export interface StoreTraceContext {
  /** What the call is for, as in `error` events: `valkey-read`, `valkey-lease`, `valkey-write`. */
  operation: ErrorOperation
  /** The S3 key or `wrap` key the call is about. */
  key: string | undefined
  result?: unknown
  error?: unknown
}

/** The channel names, as subscribers pass them to `diagnostics_channel.tracingChannel`. */
export const CHANNELS = {
  read: 'valkey-s3-cache:read',
  origin: 'valkey-s3-cache:origin',
  valkey: 'valkey-s3-cache:valkey',
} as const

export const readChannel: TracingChannel<unknown, ReadTraceContext> = tracingChannel(CHANNELS.read)
export const originChannel: TracingChannel<unknown, OriginTraceContext> = tracingChannel(CHANNELS.origin)
export const storeChannel: TracingChannel<unknown, StoreTraceContext> = tracingChannel(CHANNELS.valkey)

/**
 * Runs one read traced on `valkey-s3-cache:read` (callers check `readChannel.hasSubscribers` first);
 * `run` receives the context to note the read's outcome on (see {@link noteRead}).
 */
export function tracedRead<T>(
  operation: ReadTraceContext['operation'],
  key: string,
  bucket: string | undefined,
  run: (trace: ReadTraceContext) => Promise<T>,
): Promise<T> {
  const context: ReadTraceContext = { operation, key, bucket }
  return readChannel.tracePromise(() => run(context), context)
}

/** Notes how a traced read was answered, before its `asyncEnd`. */
export function noteRead(
  trace: ReadTraceContext,
  result: { status: ReadStatus; layer?: HitLayer | undefined; entry: { body: Uint8Array } },
): void {
  trace.status = result.status
  if (result.layer) trace.layer = result.layer
  trace.bytes = result.entry.body.byteLength
}

/** Runs one origin load, traced on `valkey-s3-cache:origin` when someone subscribes. */
export function tracedOrigin<T extends { type: NonNullable<OriginTraceContext['outcome']> }>(
  key: string,
  bucket: string | undefined,
  source: OriginTraceContext['source'],
  run: () => Promise<T>,
): Promise<T> {
  if (!originChannel.hasSubscribers) return run()
  const context: OriginTraceContext = { key, bucket, source }
  return originChannel.tracePromise(async () => {
    const outcome = await run()
    context.outcome = outcome.type
    const data = (outcome as { data?: { body?: Uint8Array } }).data
    if (data?.body) context.bytes = data.body.byteLength
    return outcome
  }, context)
}

/** Runs one store call traced on `valkey-s3-cache:valkey` (callers check `storeChannel.hasSubscribers`). */
export function tracedStore<T>(
  operation: ErrorOperation,
  key: string | undefined,
  run: () => Promise<T>,
): Promise<T> {
  return storeChannel.tracePromise(run, { operation, key })
}
