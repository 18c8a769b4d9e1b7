import type { CacheEvent } from '@valkey-s3-cache/core'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { type ApiHandler, createHandler } from '../src/handler'
import { createObservability } from '../src/observability'
import { lambdaContext, objectsEvent } from './support/events'
import { type Servers, startServers, uniqueKey } from './support/servers'

let servers: Servers
const handlers: ApiHandler[] = []

beforeAll(async () => {
  servers = await startServers()
})

afterAll(async () => {
  await Promise.all(handlers.map((handler) => handler.close()))
  await servers?.stop()
})

/** A handler with EMF metrics on and no `log` function: Powertools writes to stdout, as on Lambda. */
function emfHandler(options: { valkey?: string } = {}): ApiHandler {
  const handler = createHandler({
    bucket: servers.s3.bucket,
    valkey: options.valkey ?? servers.valkey.url,
    s3: servers.s3.newClient(),
    httpTtl: 1, // 1 ms: the second request reaches the object cache instead of a stored response
    emfMetrics: true,
    metricsNamespace: 'Test/Objects',
    serviceName: 'objects-api',
  })
  handlers.push(handler)
  return handler
}

/** The JSON lines written to stdout while this test runs (Powertools' Logger and Metrics print there). */
function stdoutLines(): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = []
  const write = process.stdout.write.bind(process.stdout) as (...args: unknown[]) => boolean
  const spy = vi.spyOn(process.stdout, 'write') as unknown as {
    mockImplementation(fn: (...args: unknown[]) => boolean): void
  }
  spy.mockImplementation((chunk, ...rest) => {
    const text = String(chunk)
    if (!text.startsWith('{')) return write(chunk, ...rest)
    for (const line of text.trimEnd().split('\n')) lines.push(JSON.parse(line))
    return true
  })
  return lines
}

afterEach(() => {
  vi.restoreAllMocks()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const isMetrics = (line: Record<string, unknown>) => '_aws' in line

const COUNTS = [
  'CacheHits',
  'CacheMisses',
  'CacheStale',
  'CacheBypass',
  'CacheErrors',
  'CircuitOpen',
  'OriginErrors',
]

describe('CloudWatch metrics through Powertools (EMF_METRICS=true)', () => {
  it('writes a log line and an EMF line per request: counts, Latency and CacheReadLatency', async () => {
    const handler = emfHandler()
    const key = uniqueKey()
    await servers.put(key, '{"a":1}')
    const lines = stdoutLines()
    await handler(objectsEvent({ key }), lambdaContext())
    await sleep(5)
    await handler(objectsEvent({ key }), lambdaContext())
    await handler(objectsEvent({ key: uniqueKey('missing') }), lambdaContext())
    await handler(objectsEvent({ key: '../x' }), lambdaContext())

    // Each request: its log line, then its metrics.
    expect(lines.map(isMetrics)).toEqual([false, true, false, true, false, true, false, true])
    const logs = lines.filter((line) => !isMetrics(line))
    const [miss, hit, notFound, bad] = lines.filter(isMetrics)
    expect(miss?._aws).toEqual({
      Timestamp: expect.any(Number),
      CloudWatchMetrics: [
        {
          Namespace: 'Test/Objects',
          Dimensions: [['service']],
          Metrics: [
            ...COUNTS.map((Name) => ({ Name, Unit: 'Count' })),
            { Name: 'Latency', Unit: 'Milliseconds' },
            { Name: 'CacheReadLatency', Unit: 'Milliseconds' },
          ],
        },
      ],
    })
    const zeros = Object.fromEntries(COUNTS.map((name) => [name, 0]))
    expect(miss).toMatchObject({ ...zeros, service: 'objects-api', CacheMisses: 1 })
    expect(miss?.Latency).toBe(logs[0]?.durationMs)
    expect(miss?.CacheReadLatency).toBeGreaterThan(0)
    // The stored HTTP response expired after 1 ms: the handler ran and read the object from Valkey.
    expect(logs[1]).toMatchObject({ cache: 'MISS', object: 'hit' })
    expect(hit).toMatchObject({ ...zeros, CacheHits: 1 })
    expect(logs[2]).toMatchObject({ statusCode: 404, object: 'miss' })
    expect(notFound).toMatchObject({ ...zeros, CacheMisses: 1 })
    // No read at all (400): every count is 0 and there is no read latency.
    expect(bad).toMatchObject(zeros)
    expect(bad?.CacheReadLatency).toBeUndefined()
    for (const line of lines.filter(isMetrics)) expect(line.Latency).toEqual(expect.any(Number))
  })

  it('counts BYPASS and the cache errors when Valkey cannot be reached', async () => {
    const handler = emfHandler({ valkey: 'valkey://127.0.0.1:9' }) // nothing listens on port 9
    const key = uniqueKey()
    await servers.put(key, '{"down":true}')
    const lines = stdoutLines()
    const response = await handler(objectsEvent({ key }), lambdaContext())
    expect(response.statusCode).toBe(200)
    expect(response.headers?.['x-cache']).toBe('BYPASS')
    const [log, metrics] = lines
    expect(log).toMatchObject({ level: 'INFO', statusCode: 200, cache: 'BYPASS', object: 'bypass' })
    expect(log?.cacheErrors).toBeGreaterThan(0)
    expect(log?.cacheErrorOperations).toEqual(expect.arrayContaining([expect.stringMatching(/^valkey-/)]))
    expect(metrics).toMatchObject({
      CacheBypass: 1,
      CacheHits: 0,
      CacheMisses: 0,
      CacheErrors: log?.cacheErrors,
    })
  })
})

describe('createObservability: which metrics a request counts', () => {
  const observed = () => {
    const lines: Record<string, unknown>[] = []
    const observability = createObservability({
      service: 'unit',
      metricsNamespace: 'Unit',
      write: (line) => lines.push(JSON.parse(line)),
    })
    const request = (events: CacheEvent[], headers: Record<string, string> = {}) =>
      observability.observe(objectsEvent({ key: 'k' }), lambdaContext(), async () => {
        for (const event of events) observability.onEvent(event)
        return { statusCode: 200, headers, body: '{}' }
      })
    return { lines, request, onEvent: observability.onEvent }
  }
  const error = (operation: 'circuit-open' | 'origin' | 'valkey-connection' | 'corrupt-entry') =>
    ({ type: 'error', operation, key: 'k', durationMs: 1, error: new Error(operation) }) as const
  const object = { key: 'k', bucket: 'b', durationMs: 12.345 }

  it('counts a stored response (x-cache HIT) as a hit, with its read latency', async () => {
    const { lines, request } = observed()
    await request([{ type: 'hit', layer: 'l2', key: 'POST /objects k', durationMs: 0.5 }], {
      'x-cache': 'HIT',
    })
    expect(lines[1]).toMatchObject({ CacheHits: 1, CacheMisses: 0, CacheBypass: 0, CacheReadLatency: 0.5 })
  })

  it('counts each request once: the object read decides, x-cache BYPASS only without one', async () => {
    const { lines, request } = observed()
    await request([{ type: 'stale', reason: 'origin-error', ...object }, error('origin')], {
      'x-cache': 'MISS',
    })
    await request([{ type: 'hit', layer: 'l1', ...object }], { 'x-cache': 'BYPASS' })
    await request([{ type: 'bypass', bytes: 10, ...object }, error('circuit-open')], { 'x-cache': 'BYPASS' })
    const [stale, l1Hit, bypass] = lines.filter(isMetrics)
    expect(stale).toMatchObject({ CacheStale: 1, CacheHits: 0, OriginErrors: 1, CacheErrors: 1 })
    expect(stale?.CacheReadLatency).toBe(12.35)
    expect(l1Hit).toMatchObject({ CacheHits: 1, CacheBypass: 0 })
    expect(bypass).toMatchObject({ CacheBypass: 1, CircuitOpen: 1, CacheErrors: 1 })
    expect(lines.filter((line) => !isMetrics(line)).map((line) => line.cacheErrorOperations)).toEqual([
      ['origin'],
      undefined,
      ['circuit-open'],
    ])
  })

  it('reports errors that happen outside any request with the next request', async () => {
    const { lines, request, onEvent } = observed()
    onEvent(error('valkey-connection'))
    onEvent({ type: 'miss', ...object }) // no request: nothing to count it in
    await request([error('corrupt-entry'), { type: 'miss', ...object }])
    await request([{ type: 'hit', layer: 'l2', ...object }])
    const [first, , second] = lines
    expect(first).toMatchObject({
      cacheErrors: 2,
      cacheErrorOperations: ['valkey-connection', 'corrupt-entry'],
    })
    expect(lines[1]).toMatchObject({ CacheErrors: 2, CacheMisses: 1 })
    expect(second).toMatchObject({ cacheErrors: 0, object: 'hit' })
  })
})
