/**
 * OpenTelemetry instrumentation for `@valkey-s3-cache/core`. Core publishes every read, origin load
 * and Valkey call on `node:diagnostics_channel` tracing channels; this instrumentation subscribes to
 * them while enabled and turns them into spans and metrics. It patches no module.
 */
import { type TracingChannel, tracingChannel } from 'node:diagnostics_channel'
import {
  type Attributes,
  type Context,
  type Counter,
  context,
  type Histogram,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api'
import {
  InstrumentationBase,
  type InstrumentationConfig,
  type InstrumentationModuleDefinition,
} from '@opentelemetry/instrumentation'
// Types only: importing core at run time here would load it (and the AWS SDK, the Valkey client)
// before other instrumentations could patch them.
import type { OriginTraceContext, ReadTraceContext, StoreTraceContext } from '@valkey-s3-cache/core'
import { version } from '../package.json'

/** Configuration of {@link ValkeyS3CacheInstrumentation}. */
export interface ValkeyS3CacheInstrumentationConfig extends InstrumentationConfig {
  /**
   * Whether spans carry the S3 key or `wrap` key (`valkey_s3_cache.key`, and `aws.s3.key` on S3
   * loads). Keys may hold user ids or other personal data, so they are left out unless this is set.
   * Metrics never carry keys. Default: `false`.
   */
  recordKeys?: boolean
}

/** The channels core publishes on (`CHANNELS` of `@valkey-s3-cache/core`). */
const CHANNELS = {
  read: 'valkey-s3-cache:read',
  origin: 'valkey-s3-cache:origin',
  valkey: 'valkey-s3-cache:valkey',
} as const

/** What a subscription keeps on a channel's context object between `start` and `asyncEnd`. */
interface Traced {
  span: Span
  started: number
  failed: boolean
  ended: boolean
}

/** A channel context with a subscription's state on it, under the subscription's own symbol. */
type Carrier = Record<symbol, Traced | undefined>

interface Instruments {
  hits: Counter
  misses: Counter
  reads: Counter
  readDuration: Histogram
  originDuration: Histogram
}

type Kind = keyof typeof CHANNELS

/** The phases subscribed to (diagnostics_channel skips the phases a subscriber object leaves out). */
interface ChannelSubscribers {
  end: (message: object) => void
  asyncEnd: (message: object) => void
  error: (message: object) => void
}

interface Subscription {
  channel: TracingChannel<unknown, object>
  subscribers: ChannelSubscribers
  store: ContextStore
}

/**
 * What `diagnostics_channel` calls on a store bound to a channel (`store.run(value, fn)`): here the
 * OpenTelemetry context API, so the span a `start` creates is the active span for the work inside,
 * whichever context manager is registered.
 */
interface ContextStore {
  run<R>(value: Context, fn: () => R): R
}

const errorType = (error: unknown): string => (error instanceof Error ? error.name : '_OTHER')

/**
 * Turns the `valkey-s3-cache:read`, `valkey-s3-cache:origin` and `valkey-s3-cache:valkey` tracing
 * channels of `@valkey-s3-cache/core` into spans (`valkey-s3-cache.read`, `valkey-s3-cache.origin`,
 * `valkey-s3-cache.valkey`) and metrics (`valkey_s3_cache.hits`, `.misses`, `.reads`,
 * `.read.duration`, `.origin.duration`). Register it with `registerInstrumentations`, or pass it to
 * the `instrumentations` of a `NodeSDK`.
 */
export class ValkeyS3CacheInstrumentation extends InstrumentationBase<ValkeyS3CacheInstrumentationConfig> {
  // The base class's constructor calls `_updateMetricInstruments()` and `enable()` before this
  // class's field initializers would run: the state below is declared only, and set by those calls.
  declare private instruments: Instruments
  declare private subscriptions: Subscription[] | undefined

  constructor(config: ValkeyS3CacheInstrumentationConfig = {}) {
    super('@valkey-s3-cache/otel', version, config)
  }

  /** No module to patch: core publishes on `node:diagnostics_channel` by itself. */
  protected init(): InstrumentationModuleDefinition[] {
    return []
  }

  protected override _updateMetricInstruments(): void {
    const meter = this.meter
    this.instruments = {
      hits: meter.createCounter('valkey_s3_cache.hits', {
        description: 'Reads answered from the cache, by layer (l1: in process, l2: Valkey)',
        unit: '{read}',
      }),
      misses: meter.createCounter('valkey_s3_cache.misses', {
        description: 'Reads loaded from S3 (or the wrap loader) and stored in the cache',
        unit: '{read}',
      }),
      reads: meter.createCounter('valkey_s3_cache.reads', {
        description: 'Every read, by status: hit, miss, stale, bypass, or error when none was reached',
        unit: '{read}',
      }),
      readDuration: meter.createHistogram('valkey_s3_cache.read.duration', {
        description: 'Duration of get, getText, getJson and wrap calls',
        unit: 'ms',
      }),
      originDuration: meter.createHistogram('valkey_s3_cache.origin.duration', {
        description: 'Duration of origin loads: an S3 GetObject with its body, or a wrap loader',
        unit: 'ms',
      }),
    }
  }

  override enable(): void {
    super.enable()
    if (this.subscriptions) return
    this.subscriptions = (Object.keys(CHANNELS) as Kind[]).map((kind) => this.subscribe(kind))
  }

  override disable(): void {
    super.disable()
    for (const { channel, subscribers, store } of this.subscriptions ?? []) {
      channel.unsubscribe(subscribers as never)
      channel.start.unbindStore(store as never)
    }
    this.subscriptions = undefined
  }

  private subscribe(kind: Kind): Subscription {
    const channel = tracingChannel<unknown, object>(CHANNELS[kind])
    // A store of its own per subscription, so that disable() unbinds this subscription only; and a
    // symbol of its own to keep its state on the channel's context object.
    const store: ContextStore = { run: (value, fn) => context.with(value, fn) }
    const marker = Symbol(CHANNELS[kind])
    const traced = (message: object) => (message as Carrier)[marker]
    // The span starts in the transform of the bound store: diagnostics_channel runs it before `start`
    // and runs the traced work inside the context it returns, so the span is the parent of whatever
    // the work starts (origin and Valkey spans, S3 SDK spans, spans of a wrap loader).
    channel.start.bindStore(
      store as never,
      ((message: object) => {
        const active = context.active()
        try {
          const started = this.startSpan(kind, message, active)
          ;(message as Carrier)[marker] = started
          return trace.setSpan(active, started.span)
        } catch (error) {
          // A transform that throws is reported by diagnostics_channel as an uncaught exception.
          this._diag.error(`could not start a span on ${CHANNELS[kind]}`, error)
          return active
        }
      }) as never,
    )
    // A subscriber that throws is reported by diagnostics_channel as an uncaught exception too.
    const finish = (message: object, state: Traced) => {
      try {
        this.finish(kind, message, state)
      } catch (error) {
        this._diag.error(`could not end a span on ${CHANNELS[kind]}`, error)
      }
    }
    const subscribers: ChannelSubscribers = {
      error: (message) => {
        const state = traced(message)
        if (state) state.failed = true
      },
      // `end` follows the synchronous part of the work: only a synchronous throw ends it there.
      end: (message) => {
        const state = traced(message)
        if (state?.failed) finish(message, state)
      },
      asyncEnd: (message) => {
        const state = traced(message)
        if (state) finish(message, state)
      },
    }
    channel.subscribe(subscribers as never)
    return { channel, subscribers, store }
  }

  private startSpan(kind: Kind, message: object, parent: Context): Traced {
    const recordKeys = this.getConfig().recordKeys === true
    let name: string
    let spanKind: SpanKind
    const attributes: Attributes = {}
    if (kind === 'read') {
      const read = message as ReadTraceContext
      name = 'valkey-s3-cache.read'
      spanKind = SpanKind.INTERNAL
      attributes['valkey_s3_cache.operation'] = read.operation
      if (read.bucket !== undefined) attributes['valkey_s3_cache.bucket'] = read.bucket
      if (recordKeys) attributes['valkey_s3_cache.key'] = read.key
    } else if (kind === 'origin') {
      const origin = message as OriginTraceContext
      name = 'valkey-s3-cache.origin'
      // An S3 request is a call to a remote service; a wrap loader is code of the application.
      spanKind = origin.source === 's3' ? SpanKind.CLIENT : SpanKind.INTERNAL
      attributes['valkey_s3_cache.source'] = origin.source
      if (origin.source === 's3' && origin.bucket !== undefined) attributes['aws.s3.bucket'] = origin.bucket
      if (recordKeys) {
        attributes['valkey_s3_cache.key'] = origin.key
        if (origin.source === 's3') attributes['aws.s3.key'] = origin.key
      }
    } else {
      const store = message as StoreTraceContext
      name = 'valkey-s3-cache.valkey'
      spanKind = SpanKind.CLIENT
      attributes['db.system.name'] = 'valkey'
      attributes['db.operation.name'] = store.operation
      attributes['valkey_s3_cache.operation'] = store.operation
      if (recordKeys && store.key !== undefined) attributes['valkey_s3_cache.key'] = store.key
    }
    const span = this.tracer.startSpan(name, { kind: spanKind, attributes }, parent)
    return { span, started: performance.now(), failed: false, ended: false }
  }

  private finish(kind: Kind, message: object, traced: Traced): void {
    if (traced.ended) return
    traced.ended = true
    const { span } = traced
    const durationMs = performance.now() - traced.started
    const { error } = message as { error?: unknown }
    const failed = traced.failed
    if (failed) {
      span.setAttribute('error.type', errorType(error))
      if (error instanceof Error) span.recordException(error)
      span.setStatus({
        code: SpanStatusCode.ERROR,
        ...(error instanceof Error ? { message: error.message } : {}),
      })
    }
    const { instruments } = this
    if (kind === 'read') {
      const read = message as ReadTraceContext
      if (read.status !== undefined) span.setAttribute('valkey_s3_cache.status', read.status)
      if (read.layer !== undefined) span.setAttribute('valkey_s3_cache.layer', read.layer)
      if (read.bytes !== undefined) span.setAttribute('valkey_s3_cache.bytes', read.bytes)
      // A read that failed after the cache answered (ObjectNotFoundError for a cached or fresh
      // NoSuchKey) keeps its status: a not-found answer from the cache is still a hit.
      const status = read.status ?? (failed ? 'error' : undefined)
      const attributes: Attributes = { 'valkey_s3_cache.operation': read.operation }
      if (status !== undefined) attributes['valkey_s3_cache.status'] = status
      if (read.layer !== undefined) attributes['valkey_s3_cache.layer'] = read.layer
      if (failed) attributes['error.type'] = errorType(error)
      instruments.reads.add(1, attributes)
      instruments.readDuration.record(durationMs, attributes)
      if (status === 'hit') {
        const hit: Attributes = { 'valkey_s3_cache.operation': read.operation }
        if (read.layer !== undefined) hit['valkey_s3_cache.layer'] = read.layer
        instruments.hits.add(1, hit)
      } else if (status === 'miss') {
        instruments.misses.add(1, { 'valkey_s3_cache.operation': read.operation })
      }
    } else if (kind === 'origin') {
      const origin = message as OriginTraceContext
      if (origin.outcome !== undefined) span.setAttribute('valkey_s3_cache.outcome', origin.outcome)
      if (origin.bytes !== undefined) span.setAttribute('valkey_s3_cache.bytes', origin.bytes)
      const attributes: Attributes = { 'valkey_s3_cache.source': origin.source }
      if (failed) attributes['error.type'] = errorType(error)
      else if (origin.outcome !== undefined) attributes['valkey_s3_cache.outcome'] = origin.outcome
      instruments.originDuration.record(durationMs, attributes)
    }
    span.end()
  }
}
