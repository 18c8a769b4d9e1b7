import { tracingChannel } from 'node:diagnostics_channel'
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { CHANNELS, ObjectNotFoundError } from '@valkey-s3-cache/core'
import { freePort } from '@valkey-s3-cache/testkit'
import { beforeEach, describe, expect, it } from 'vitest'
import packageJson from '../package.json' with { type: 'json' }
import { ValkeyS3CacheInstrumentation } from '../src'
import { isChildOf, only, useInstrumentation } from './support/otel'
import { uniqueKey, useServers } from './support/servers'

const READ = 'valkey-s3-cache.read'
const ORIGIN = 'valkey-s3-cache.origin'
const VALKEY = 'valkey-s3-cache.valkey'

const named = (spans: ReadableSpan[], name: string) => spans.filter((span) => span.name === name)
const hasKeyAttribute = (span: ReadableSpan) =>
  Object.keys(span.attributes).some((name) => name.endsWith('.key'))

describe('ValkeyS3CacheInstrumentation (real Valkey and S3)', () => {
  const otel = useInstrumentation()
  const servers = useServers()
  beforeEach(() => otel.reset())

  /** Runs `fn` inside an active `request` span, as a Lambda handler's span would be. */
  const inRequest = <T>(fn: () => Promise<T>) =>
    otel.tracer.startActiveSpan('request', async (span) => {
      try {
        return await fn()
      } finally {
        span.end()
      }
    })

  it('a miss: the read span, its S3 load and its Valkey calls, as children of the active span', async () => {
    const cache = servers.cache()
    const key = uniqueKey('miss')
    await servers.put(key, '{"miss":true}')
    await inRequest(async () => {
      expect(await cache.getJson(key)).toEqual({ miss: true })
      // The caller's context is untouched by the read.
      expect(trace.getActiveSpan()?.spanContext().spanId).toBe(
        only(otel.spans(), READ).parentSpanContext?.spanId,
      )
    })

    const spans = otel.spans()
    const request = only(spans, 'request')
    const read = only(spans, READ)
    expect(read.kind).toBe(SpanKind.INTERNAL)
    expect(read.status.code).toBe(SpanStatusCode.UNSET)
    expect(read.attributes).toEqual({
      'valkey_s3_cache.operation': 'getJson',
      'valkey_s3_cache.bucket': servers.bucket,
      'valkey_s3_cache.status': 'miss',
      'valkey_s3_cache.bytes': 13,
    })
    expect(isChildOf(read, request)).toBe(true)

    const origin = only(spans, ORIGIN)
    expect(origin.kind).toBe(SpanKind.CLIENT)
    expect(origin.attributes).toEqual({
      'valkey_s3_cache.source': 's3',
      'aws.s3.bucket': servers.bucket,
      'valkey_s3_cache.outcome': 'entry',
      'valkey_s3_cache.bytes': 13,
    })
    expect(isChildOf(origin, read)).toBe(true)

    const valkey = named(spans, VALKEY)
    expect(valkey.map((span) => span.attributes['db.operation.name'])).toEqual([
      'valkey-read',
      'valkey-lease',
      'valkey-write',
    ])
    for (const span of valkey) {
      expect(span.kind).toBe(SpanKind.CLIENT)
      expect(span.attributes).toMatchObject({
        'db.system.name': 'valkey',
        'valkey_s3_cache.operation': span.attributes['db.operation.name'],
      })
      expect(span.status.code).toBe(SpanStatusCode.UNSET)
      expect(isChildOf(span, read)).toBe(true)
    }
    // Keys stay out of spans unless recordKeys is set.
    expect(spans.some(hasKeyAttribute)).toBe(false)

    expect(await otel.metrics.count('valkey_s3_cache.misses')).toBe(1)
    expect(await otel.metrics.count('valkey_s3_cache.hits')).toBe(0)
    expect(await otel.metrics.count('valkey_s3_cache.reads', { 'valkey_s3_cache.status': 'miss' })).toBe(1)
    expect(
      await otel.metrics.recorded('valkey_s3_cache.read.duration', {
        'valkey_s3_cache.operation': 'getJson',
        'valkey_s3_cache.status': 'miss',
      }),
    ).toBe(1)
    expect(
      await otel.metrics.recorded('valkey_s3_cache.origin.duration', {
        'valkey_s3_cache.source': 's3',
        'valkey_s3_cache.outcome': 'entry',
      }),
    ).toBe(1)
  })

  it('hits from L2 (one Valkey GET, no origin) and from L1 (no Valkey call), counted by layer', async () => {
    const key = uniqueKey('hit')
    await servers.put(key, '{"hit":true}')
    await servers.cache().get(key)
    otel.reset()

    const cache = servers.cache({ l1: { ttl: '1m' } })
    // Subscribed to the change channel and confirmed first, as in a function's INIT.
    await cache.connect()
    otel.reset()
    await cache.get(key)
    const l2 = otel.spans()
    const read = only(l2, READ)
    expect(read.attributes).toMatchObject({
      'valkey_s3_cache.operation': 'get',
      'valkey_s3_cache.status': 'hit',
      'valkey_s3_cache.layer': 'l2',
      'valkey_s3_cache.bytes': 12,
    })
    expect(named(l2, ORIGIN)).toEqual([])
    expect(named(l2, VALKEY).map((span) => span.attributes['db.operation.name'])).toEqual(['valkey-read'])
    expect(isChildOf(only(l2, VALKEY), read)).toBe(true)

    otel.exporter.reset()
    expect(await cache.getText(key)).toBe('{"hit":true}')
    expect(otel.spans().map((span) => span.name)).toEqual([READ])
    expect(only(otel.spans(), READ).attributes).toMatchObject({
      'valkey_s3_cache.operation': 'getText',
      'valkey_s3_cache.status': 'hit',
      'valkey_s3_cache.layer': 'l1',
    })

    expect(await otel.metrics.count('valkey_s3_cache.hits')).toBe(2)
    expect(await otel.metrics.count('valkey_s3_cache.hits', { 'valkey_s3_cache.layer': 'l2' })).toBe(1)
    expect(await otel.metrics.count('valkey_s3_cache.hits', { 'valkey_s3_cache.layer': 'l1' })).toBe(1)
    expect(await otel.metrics.count('valkey_s3_cache.misses')).toBe(0)
    expect(
      await otel.metrics.recorded('valkey_s3_cache.read.duration', { 'valkey_s3_cache.status': 'hit' }),
    ).toBe(2)
    expect(await otel.metrics.recorded('valkey_s3_cache.origin.duration')).toBe(0)
  })

  it('a miss then a hit: hits 1, misses 1, two read durations, one origin duration', async () => {
    const cache = servers.cache()
    const key = uniqueKey('miss-hit')
    await servers.put(key, '{}')
    expect((await cache.get(key)).status).toBe('miss')
    expect((await cache.get(key)).status).toBe('hit')
    expect(named(otel.spans(), READ).map((span) => span.attributes['valkey_s3_cache.status'])).toEqual([
      'miss',
      'hit',
    ])
    expect(await otel.metrics.count('valkey_s3_cache.hits')).toBe(1)
    expect(await otel.metrics.count('valkey_s3_cache.misses')).toBe(1)
    expect(await otel.metrics.count('valkey_s3_cache.reads')).toBe(2)
    expect(await otel.metrics.recorded('valkey_s3_cache.read.duration')).toBe(2)
    expect(await otel.metrics.recorded('valkey_s3_cache.origin.duration')).toBe(1)
  })

  it('wrap: the loader is the origin (INTERNAL), and spans the loader starts are its children', async () => {
    const cache = servers.cache()
    const key = uniqueKey('wrap')
    const value = await cache.wrap(key, async () => {
      // As the AWS SDK's or an HTTP client's instrumentation would, inside the loader.
      otel.tracer.startSpan('inside-loader').end()
      return { computed: 1 }
    })
    expect(value).toEqual({ computed: 1 })

    const spans = otel.spans()
    const read = only(spans, READ)
    expect(read.attributes).toEqual({
      'valkey_s3_cache.operation': 'wrap',
      'valkey_s3_cache.status': 'miss',
      'valkey_s3_cache.bytes': 14,
    })
    expect(read.parentSpanContext).toBeUndefined()
    const origin = only(spans, ORIGIN)
    expect(origin.kind).toBe(SpanKind.INTERNAL)
    expect(origin.attributes).toEqual({
      'valkey_s3_cache.source': 'loader',
      'valkey_s3_cache.outcome': 'entry',
      'valkey_s3_cache.bytes': 14,
    })
    expect(isChildOf(origin, read)).toBe(true)
    expect(isChildOf(only(spans, 'inside-loader'), origin)).toBe(true)
    expect(named(spans, VALKEY).every((span) => isChildOf(span, read))).toBe(true)
    expect(await otel.metrics.count('valkey_s3_cache.misses', { 'valkey_s3_cache.operation': 'wrap' })).toBe(
      1,
    )
    expect(
      await otel.metrics.recorded('valkey_s3_cache.origin.duration', { 'valkey_s3_cache.source': 'loader' }),
    ).toBe(1)
  })

  it('a failed read (ObjectNotFoundError): the read span records the exception with status ERROR', async () => {
    const cache = servers.cache()
    const key = uniqueKey('missing')
    await expect(cache.get(key)).rejects.toBeInstanceOf(ObjectNotFoundError)

    const spans = otel.spans()
    const read = only(spans, READ)
    expect(read.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Object not found' })
    // The cache did answer: S3's NoSuchKey, loaded and stored (negativeTtl), so a miss.
    expect(read.attributes).toEqual({
      'valkey_s3_cache.operation': 'get',
      'valkey_s3_cache.bucket': servers.bucket,
      'valkey_s3_cache.status': 'miss',
      'valkey_s3_cache.bytes': 0,
      'error.type': 'ObjectNotFoundError',
    })
    expect(read.events).toHaveLength(1)
    expect(read.events[0]?.name).toBe('exception')
    expect(read.events[0]?.attributes).toMatchObject({
      // The SDK names the exception by its `code` when it has one.
      'exception.type': 'OBJECT_NOT_FOUND',
      'exception.message': 'Object not found',
    })
    // The S3 answer itself (NoSuchKey) is an outcome of the load, not a failure of it.
    const origin = only(spans, ORIGIN)
    expect(origin.attributes['valkey_s3_cache.outcome']).toBe('missing')
    expect(origin.status.code).toBe(SpanStatusCode.UNSET)
    expect(isChildOf(origin, read)).toBe(true)

    // Again: the not-found answer now comes from Valkey, a hit, still an ERROR span.
    otel.exporter.reset()
    await expect(cache.get(key)).rejects.toBeInstanceOf(ObjectNotFoundError)
    const again = only(otel.spans(), READ)
    expect(again.status.code).toBe(SpanStatusCode.ERROR)
    expect(again.attributes).toMatchObject({ 'valkey_s3_cache.status': 'hit', 'valkey_s3_cache.layer': 'l2' })
    expect(named(otel.spans(), ORIGIN)).toEqual([])

    const failed = { 'error.type': 'ObjectNotFoundError' }
    expect(await otel.metrics.count('valkey_s3_cache.reads', failed)).toBe(2)
    expect(
      await otel.metrics.count('valkey_s3_cache.reads', { ...failed, 'valkey_s3_cache.status': 'miss' }),
    ).toBe(1)
    expect(await otel.metrics.recorded('valkey_s3_cache.read.duration', failed)).toBe(2)
    expect(await otel.metrics.count('valkey_s3_cache.misses')).toBe(1)
    expect(await otel.metrics.count('valkey_s3_cache.hits')).toBe(1)
    expect(
      await otel.metrics.recorded('valkey_s3_cache.origin.duration', {
        'valkey_s3_cache.outcome': 'missing',
      }),
    ).toBe(1)
  })

  it('a read that fails before any answer (the wrap loader throws) counts with status error', async () => {
    const cache = servers.cache()
    const key = uniqueKey('loader-fails')
    class LoaderError extends Error {
      override name = 'LoaderError'
    }
    await expect(
      cache.wrap(key, () => {
        throw new LoaderError('loader failed')
      }),
    ).rejects.toBeInstanceOf(LoaderError)

    const spans = otel.spans()
    const read = only(spans, READ)
    expect(read.status).toEqual({ code: SpanStatusCode.ERROR, message: 'loader failed' })
    expect(read.attributes).toEqual({ 'valkey_s3_cache.operation': 'wrap', 'error.type': 'LoaderError' })
    const origin = only(spans, ORIGIN)
    expect(origin.status).toEqual({ code: SpanStatusCode.ERROR, message: 'loader failed' })
    expect(origin.attributes).toEqual({ 'valkey_s3_cache.source': 'loader', 'error.type': 'LoaderError' })
    expect(origin.events.map((event) => event.name)).toEqual(['exception'])
    expect(isChildOf(origin, read)).toBe(true)

    expect(
      await otel.metrics.count('valkey_s3_cache.reads', {
        'valkey_s3_cache.status': 'error',
        'error.type': 'LoaderError',
      }),
    ).toBe(1)
    expect(await otel.metrics.count('valkey_s3_cache.hits')).toBe(0)
    expect(await otel.metrics.count('valkey_s3_cache.misses')).toBe(0)
    expect(
      await otel.metrics.recorded('valkey_s3_cache.origin.duration', {
        'valkey_s3_cache.source': 'loader',
        'error.type': 'LoaderError',
      }),
    ).toBe(1)
  })

  it('Valkey down: failed Valkey calls are ERROR spans, the read is a bypass served from S3', async () => {
    const cache = servers.cache({ valkey: `valkey://127.0.0.1:${await freePort()}` })
    const key = uniqueKey('bypass')
    await servers.put(key, '{"bypass":true}')
    const result = await cache.get(key)
    expect(result.status).toBe('bypass')

    const spans = otel.spans()
    const read = only(spans, READ)
    expect(read.status.code).toBe(SpanStatusCode.UNSET)
    expect(read.attributes).toMatchObject({ 'valkey_s3_cache.status': 'bypass', 'valkey_s3_cache.bytes': 15 })
    expect(only(spans, ORIGIN).attributes['valkey_s3_cache.outcome']).toBe('entry')
    const valkey = named(spans, VALKEY)
    expect(valkey.length).toBeGreaterThan(0)
    for (const span of valkey) {
      expect(span.attributes['db.system.name']).toBe('valkey')
      expect(span.status.code).toBe(SpanStatusCode.ERROR)
      expect(span.attributes['error.type']).toBe('ValkeyConnectionError')
      expect(span.events.map((event) => event.name)).toEqual(['exception'])
      expect(isChildOf(span, read)).toBe(true)
    }

    expect(await otel.metrics.count('valkey_s3_cache.reads', { 'valkey_s3_cache.status': 'bypass' })).toBe(1)
    expect(await otel.metrics.count('valkey_s3_cache.hits')).toBe(0)
    expect(await otel.metrics.count('valkey_s3_cache.misses')).toBe(0)
    expect(
      await otel.metrics.recorded('valkey_s3_cache.read.duration', { 'valkey_s3_cache.status': 'bypass' }),
    ).toBe(1)
  })

  it('ends the span of work that throws synchronously (at `end`, with no `asyncEnd`)', async () => {
    const failing = () => {
      throw new TypeError('thrown synchronously')
    }
    expect(() =>
      tracingChannel(CHANNELS.valkey).tracePromise(failing, { operation: 'valkey-read', key: undefined }),
    ).toThrow(TypeError)
    const span = only(otel.spans(), VALKEY)
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'thrown synchronously' })
    expect(span.attributes['error.type']).toBe('TypeError')
    expect(span.ended).toBe(true)
  })

  it('concurrent reads in different requests each get their own parent', async () => {
    const cache = servers.cache()
    const keys = [uniqueKey('a'), uniqueKey('b')]
    for (const key of keys) await servers.put(key, '{}')
    const requests = await Promise.all(
      keys.map((key) =>
        inRequest(async () => {
          await cache.get(key)
          return trace.getActiveSpan()?.spanContext().spanId
        }),
      ),
    )
    const reads = named(otel.spans(), READ)
    expect(reads).toHaveLength(2)
    expect(new Set(reads.map((read) => read.parentSpanContext?.spanId))).toEqual(new Set(requests))
    for (const origin of named(otel.spans(), ORIGIN)) {
      expect(reads.filter((read) => isChildOf(origin, read))).toHaveLength(1)
    }
  })

  it('recordKeys: the key on every span, and on S3 loads as aws.s3.key; never on metrics', async () => {
    const cache = servers.cache()
    const key = uniqueKey('keys')
    await servers.put(key, '{}')
    otel.instrumentation.setConfig({ recordKeys: true })
    try {
      await cache.get(key)
    } finally {
      otel.instrumentation.setConfig({})
    }
    const spans = otel.spans()
    expect(spans.length).toBeGreaterThan(2)
    for (const span of spans) expect(span.attributes['valkey_s3_cache.key']).toBe(key)
    expect(only(spans, ORIGIN).attributes['aws.s3.key']).toBe(key)
    for (const metric of await otel.metrics.collect()) {
      for (const point of metric.dataPoints) expect(Object.values(point.attributes)).not.toContain(key)
    }
  })

  it('disable() unsubscribes from the channels (no spans, no metrics); enable() subscribes again', async () => {
    const cache = servers.cache()
    const key = uniqueKey('disabled')
    await servers.put(key, '{}')
    otel.instrumentation.disable()
    try {
      for (const name of Object.values(CHANNELS)) expect(tracingChannel(name).hasSubscribers).toBe(false)
      await cache.get(key)
      await cache.get(key)
      expect(otel.spans()).toEqual([])
      expect(await otel.metrics.count('valkey_s3_cache.reads')).toBe(0)
    } finally {
      otel.instrumentation.enable()
    }
    for (const name of Object.values(CHANNELS)) expect(tracingChannel(name).hasSubscribers).toBe(true)
    await cache.get(key)
    expect(only(otel.spans(), READ).attributes['valkey_s3_cache.status']).toBe('hit')
    expect(await otel.metrics.count('valkey_s3_cache.hits')).toBe(1)
  })
})

describe('ValkeyS3CacheInstrumentation', () => {
  it('is named after its package, with its version', () => {
    const instrumentation = new ValkeyS3CacheInstrumentation({ enabled: false })
    expect(instrumentation.instrumentationName).toBe('@valkey-s3-cache/otel')
    expect(instrumentation.instrumentationVersion).toBe(packageJson.version)
    expect(instrumentation.getConfig()).toEqual({ enabled: false })
    expect(instrumentation.getModuleDefinitions()).toEqual([])
  })

  it('subscribes only while enabled, and to the channels core publishes on', () => {
    const instrumentation = new ValkeyS3CacheInstrumentation({ enabled: false })
    const before = Object.values(CHANNELS).map((name) => tracingChannel(name).hasSubscribers)
    expect(before).toEqual([false, false, false])
    instrumentation.enable()
    expect(Object.values(CHANNELS).map((name) => tracingChannel(name).hasSubscribers)).toEqual([
      true,
      true,
      true,
    ])
    instrumentation.disable()
    expect(Object.values(CHANNELS).map((name) => tracingChannel(name).hasSubscribers)).toEqual([
      false,
      false,
      false,
    ])
  })
})
