import { context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { registerInstrumentations } from '@opentelemetry/instrumentation'
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll } from 'vitest'
import { ValkeyS3CacheInstrumentation, type ValkeyS3CacheInstrumentationConfig } from '../../src'

/** A meter provider whose metrics are read through the SDK's in-memory exporter. */
export class TestMetrics {
  readonly exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  readonly provider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({ exporter: this.exporter, exportIntervalMillis: 3_600_000 }),
    ],
  })

  /** Every metric, as of now (cumulative). */
  async collect(): Promise<MetricData[]> {
    await this.provider.forceFlush()
    const last = this.exporter.getMetrics().at(-1)
    return last?.scopeMetrics.flatMap((scope) => scope.metrics) ?? []
  }

  /** The data points of one metric whose attributes include `attributes`. */
  async points<T = number>(name: string, attributes: Record<string, unknown> = {}): Promise<DataPoint<T>[]> {
    const metric = (await this.collect()).find((m) => m.descriptor.name === name)
    const points = (metric?.dataPoints ?? []) as DataPoint<T>[]
    return points.filter((point) =>
      Object.entries(attributes).every(([key, value]) => point.attributes[key] === value),
    )
  }

  /** The sum of a counter over the data points whose attributes include `attributes`. */
  async count(name: string, attributes: Record<string, unknown> = {}): Promise<number> {
    return (await this.points(name, attributes)).reduce((sum, point) => sum + point.value, 0)
  }

  /** How many values a histogram recorded, over the data points whose attributes include `attributes`. */
  async recorded(name: string, attributes: Record<string, unknown> = {}): Promise<number> {
    return (await this.points<Histogram>(name, attributes)).reduce((sum, point) => sum + point.value.count, 0)
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown()
  }
}

/**
 * The instrumentation, registered with `registerInstrumentations` on a tracer provider with an
 * in-memory span exporter, with the AsyncLocalStorage context manager as the global one (as
 * `NodeSDK` and `NodeTracerProvider.register()` set it), for the tests of the enclosing file.
 */
export function useInstrumentation(config: ValkeyS3CacheInstrumentationConfig = {}) {
  const exporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const instrumentation = new ValkeyS3CacheInstrumentation(config)
  const state = { metrics: new TestMetrics() }
  let unregister: () => void = () => {}
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
    unregister = registerInstrumentations({
      instrumentations: [instrumentation],
      tracerProvider,
      meterProvider: state.metrics.provider,
    })
  })
  afterAll(async () => {
    unregister()
    context.disable()
    await tracerProvider.shutdown()
    await state.metrics.shutdown()
  })
  return {
    instrumentation,
    exporter,
    tracer: tracerProvider.getTracer('test'),
    /** The spans ended since the last `reset()`. */
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    /** The metrics since the last `reset()`. */
    get metrics(): TestMetrics {
      return state.metrics
    },
    /** Forgets the spans, and gives the instrumentation a fresh meter provider. */
    reset() {
      exporter.reset()
      void state.metrics.shutdown()
      state.metrics = new TestMetrics()
      instrumentation.setMeterProvider(state.metrics.provider)
    },
  }
}

/** The one span named `name` among `spans`. */
export function only(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((span) => span.name === name)
  if (found.length !== 1) throw new Error(`expected one ${name} span, found ${found.length}`)
  return found[0] as ReadableSpan
}

/** Whether `child` was started with `parent` as its parent. */
export function isChildOf(child: ReadableSpan, parent: ReadableSpan): boolean {
  return (
    child.parentSpanContext?.spanId === parent.spanContext().spanId &&
    child.spanContext().traceId === parent.spanContext().traceId
  )
}
