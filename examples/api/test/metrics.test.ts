import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ApiHandler, createHandler } from '../src/handler'
import { lambdaContext, objectsEvent } from './support/events'
import { type Servers, startServers, uniqueKey } from './support/servers'

let servers: Servers
let handler: ApiHandler
const lines: string[] = []

beforeAll(async () => {
  servers = await startServers()
  handler = createHandler({
    bucket: servers.s3.bucket,
    valkey: servers.valkey.url,
    s3: servers.s3.newClient(),
    httpTtl: 1, // 1 ms: the second request reaches the object cache instead of a stored response
    emfMetrics: true,
    metricsNamespace: 'Test/Objects',
    serviceName: 'objects-api',
    log: (line) => lines.push(line),
  })
})

afterAll(async () => {
  await handler?.close()
  await servers?.stop()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('CloudWatch embedded metric format (EMF_METRICS=true)', () => {
  it('adds the _aws block and the counts to the request log line', async () => {
    const key = uniqueKey()
    await servers.put(key, '{"a":1}')
    await handler(objectsEvent({ key }), lambdaContext())
    await sleep(5)
    await handler(objectsEvent({ key }), lambdaContext())
    await handler(objectsEvent({ key: uniqueKey('missing') }), lambdaContext())

    const [miss, hit, notFound] = lines.map((line) => JSON.parse(line))
    expect(miss._aws).toEqual({
      Timestamp: expect.any(Number),
      CloudWatchMetrics: [
        {
          Namespace: 'Test/Objects',
          Dimensions: [['Service']],
          Metrics: [
            { Name: 'CacheHits', Unit: 'Count' },
            { Name: 'CacheMisses', Unit: 'Count' },
            { Name: 'CacheStale', Unit: 'Count' },
            { Name: 'CacheErrors', Unit: 'Count' },
            { Name: 'Latency', Unit: 'Milliseconds' },
          ],
        },
      ],
    })
    expect(miss).toMatchObject({ Service: 'objects-api', CacheHits: 0, CacheMisses: 1, CacheStale: 0 })
    expect(miss.Latency).toBe(miss.durationMs)
    // The stored HTTP response expired after 1 ms: the handler ran and read the object from Valkey.
    expect(hit).toMatchObject({ cache: 'MISS', object: 'hit', CacheHits: 1, CacheMisses: 0 })
    expect(notFound).toMatchObject({ statusCode: 404, object: 'miss', CacheMisses: 1 })
    for (const line of [miss, hit, notFound]) expect(line.CacheErrors).toBe(0)
  })
})
