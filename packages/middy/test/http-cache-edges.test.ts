// httpCache on events shaped like AWS's published samples (test/fixtures/events), through full middy
// chains, on real Valkey and S3: what selects a different answer, BYPASS, canonical JSON bodies, ALB
// multi-value mode, HTTP API query strings, and the same answer cold and warm.
import { readFileSync } from 'node:fs'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import httpJsonBodyParser from '@middy/http-json-body-parser'
import { createS3Cache, type S3Cache } from '@valkey-s3-cache/core'
import {
  defaultHttpKey,
  type HttpEvent,
  httpCache,
  type S3CacheContext,
  s3Cache,
} from '@valkey-s3-cache/middy'
import { freePort } from '@valkey-s3-cache/testkit'
import type { ALBResult, APIGatewayProxyResult } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeApp, putJson, uniqueKey } from './support/app'
import { header } from './support/events'
import { useServers } from './support/servers'

const servers = useServers()

type Fixture = 'rest-v1' | 'rest-v1-console-test' | 'http-api-v2' | 'function-url' | 'alb' | 'alb-multi-value'

/** A fresh copy of a published-shape event, changed by `change`. */
function fixture<T = Record<string, unknown>>(
  name: Fixture,
  change: (event: T) => void = () => {},
): HttpEvent {
  const event = JSON.parse(
    readFileSync(new URL(`./fixtures/events/${name}.json`, import.meta.url), 'utf8'),
  ) as T
  change(event)
  return event as unknown as HttpEvent
}

// biome-ignore lint/suspicious/noExplicitAny: the tests edit published-shape events field by field
type Loose = Record<string, any>
type Result = APIGatewayProxyResult & ALBResult

/** A chain with real middlewares around `respond`, counting its runs. */
function chain(
  cache: S3Cache,
  respond: (event: Loose) => Result | Promise<Result>,
  strictParser = false,
  key?: (event: HttpEvent) => string | undefined,
) {
  let runs = 0
  const handler = middy<HttpEvent, Result>()
    .use(httpCache({ cache, methods: ['GET', 'POST'], ...(key ? { key } : {}) }))
    .use(httpErrorHandler({ logger: false }))
    .use(httpJsonBodyParser(strictParser ? {} : { disableContentTypeError: true }))
    .use(s3Cache({ cache }))
    .handler(async (event) => {
      runs++
      return respond(event as unknown as Loose)
    })
  return {
    invoke: (event: HttpEvent) => handler(event, {} as S3CacheContext) as Promise<Result>,
    runs: () => runs,
  }
}

const json = (value: unknown): Result => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
})

describe('the default key separates what selects a different answer', () => {
  let cache: S3Cache
  beforeAll(() => {
    cache = servers.makeCache().cache
  })

  it('REST v1: another stage (and its stage variables) or another API never gets this one’s response', async () => {
    const app = chain(cache, (event) =>
      json({ stage: event.requestContext.stage, alias: event.stageVariables?.bucketAlias }),
    )
    const path = `/${uniqueKey('stage')}`
    const at = (stage: string, alias: string, apiId = 'a1b2c3d4e5') =>
      fixture<Loose>('rest-v1', (e) => {
        e.path = path
        e.requestContext.stage = stage
        e.requestContext.apiId = apiId
        e.stageVariables = { ...e.stageVariables, bucketAlias: alias }
      })
    const prd = await app.invoke(at('prd', 'prd-documents'))
    const dev = await app.invoke(at('dev', 'dev-documents'))
    const otherApi = await app.invoke(at('prd', 'prd-documents', 'z9y8x7w6v5'))
    const sameStageOtherVariables = await app.invoke(at('prd', 'prd-documents-v2'))
    expect(JSON.parse(dev.body)).toEqual({ stage: 'dev', alias: 'dev-documents' })
    expect([prd, dev, otherApi, sameStageOtherVariables].map((r) => header(r, 'x-cache'))).toEqual([
      'MISS',
      'MISS',
      'MISS',
      'MISS',
    ])
    expect(header(await app.invoke(at('dev', 'dev-documents')), 'x-cache')).toBe('HIT')
    expect(JSON.parse((await app.invoke(at('prd', 'prd-documents'))).body)).toEqual({
      stage: 'prd',
      alias: 'prd-documents',
    })
    expect(app.runs()).toBe(4)
  })

  /** A custom domain (or function URL) of API Gateway or Lambda: its name in the request context and in `Host`. */
  const onDomain = (e: Loose, host: string) => {
    e.requestContext.domainName = host
    e.requestContext.domainPrefix = host.split('.')[0]
    e.headers[e.headers.Host === undefined ? 'host' : 'Host'] = host
    if (e.multiValueHeaders) e.multiValueHeaders.Host = [host]
  }
  const v2Path = (e: Loose, path: string) => {
    e.rawPath = path
    e.requestContext.http.path = path
  }
  // Two requests that differ only in where they arrived: two tenants' custom domains (REST, HTTP API),
  // two function URLs of one function (two aliases), two host names routed to one ALB target group.
  const arrivals: Array<
    [string, Fixture, [string, string], (event: Loose, path: string, host: string) => void]
  > = [
    [
      'REST API v1, custom domains',
      'rest-v1',
      ['tenant-a.example.com', 'tenant-b.example.com'],
      (e, path, host) => {
        e.path = path
        onDomain(e, host)
      },
    ],
    [
      'HTTP API v2, custom domains',
      'http-api-v2',
      ['tenant-a.example.com', 'tenant-b.example.com'],
      (e, path, host) => {
        v2Path(e, path)
        onDomain(e, host)
      },
    ],
    [
      'Lambda function URLs',
      'function-url',
      [
        'abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-central-1.on.aws',
        'zyxwvutsrqponmlkjihgfedcba543210.lambda-url.eu-central-1.on.aws',
      ],
      (e, path, host) => {
        v2Path(e, path)
        onDomain(e, host)
      },
    ],
    [
      'ALB, host names',
      'alb',
      ['a.example.com', 'b.example.com'],
      (e, path, host) => {
        e.path = path
        e.headers.host = host
      },
    ],
  ]

  it.each(arrivals)(
    '%s: another domain or host never gets this one’s response',
    async (_, name, [a, b], arrive) => {
      const app = chain(cache, (event) => json({ host: event.headers.host ?? event.headers.Host }))
      const path = `/${uniqueKey('arrival')}`
      const at = (host: string) => fixture<Loose>(name, (e) => arrive(e, path, host))
      const first = await app.invoke(at(a))
      const other = await app.invoke(at(b))
      const again = await app.invoke(at(a))
      expect([first, other, again].map((r) => header(r, 'x-cache'))).toEqual(['MISS', 'MISS', 'HIT'])
      expect([first, other, again].map((r) => JSON.parse(r.body).host)).toEqual([a, b, a])
      expect(app.runs()).toBe(2)
    },
  )

  it('the caller is not in the default key; the README’s one-line key adds the authorizer context', async () => {
    const path = `/${uniqueKey('caller')}`
    const as = (principalId: string) =>
      fixture<Loose>('rest-v1', (e) => {
        e.path = path
        e.requestContext.authorizer = { principalId }
      })
    const respond = (event: Loose) => json({ for: event.requestContext.authorizer.principalId })
    const shared = chain(cache, respond)
    await shared.invoke(as('alice'))
    expect(JSON.parse((await shared.invoke(as('bob'))).body)).toEqual({ for: 'alice' })

    const perCaller = chain(
      cache,
      respond,
      false,
      (event) =>
        `${defaultHttpKey(event)}${JSON.stringify((event as Loose).requestContext.authorizer ?? null)}`,
    )
    expect(JSON.parse((await perCaller.invoke(as('alice'))).body)).toEqual({ for: 'alice' })
    expect(JSON.parse((await perCaller.invoke(as('bob'))).body)).toEqual({ for: 'bob' })
    expect(header(await perCaller.invoke(as('bob')), 'x-cache')).toBe('HIT')
  })

  it('a console test event (headers: null) is cached like any other', async () => {
    const key = uniqueKey('console')
    await putJson(servers, key, { console: true })
    const app = chain(cache, async (event) => json({ key: event.queryStringParameters.key }))
    const event = () => fixture<Loose>('rest-v1-console-test', (e) => (e.queryStringParameters.key = key))
    expect(header(await app.invoke(event()), 'x-cache')).toBe('MISS')
    expect(header(await app.invoke(event()), 'x-cache')).toBe('HIT')
  })
})

describe('x-cache: BYPASS when the cache cannot be used', () => {
  const caches: S3Cache[] = []
  afterAll(async () => {
    for (const cache of caches) await cache.close()
  })

  it('answers BYPASS, not MISS, while Valkey is unreachable, and MISS then HIT with Valkey', async () => {
    const down = createS3Cache({
      s3: servers.s3.newClient(),
      bucket: servers.s3.bucket,
      valkey: `valkey://127.0.0.1:${await freePort()}`,
    })
    caches.push(down)
    const key = uniqueKey('bypass')
    await putJson(servers, key, { bypass: true })
    const event = () => fixture<Loose>('rest-v1', (e) => (e.queryStringParameters.key = key))
    const unusable = chain(down, async (e) => json({ key: e.queryStringParameters.key }))
    const answers = [await unusable.invoke(event()), await unusable.invoke(event())]
    expect(answers.map((r) => header(r, 'x-cache'))).toEqual(['BYPASS', 'BYPASS'])
    expect(unusable.runs()).toBe(2)

    const usable = chain(servers.makeCache().cache, async (e) => json({ key: e.queryStringParameters.key }))
    expect(header(await usable.invoke(event()), 'x-cache')).toBe('MISS')
    expect(header(await usable.invoke(event()), 'x-cache')).toBe('HIT')
  })
})

describe('request bodies and query strings', () => {
  let cache: S3Cache
  beforeAll(() => {
    cache = servers.makeCache().cache
  })

  it.each(['cache-first', 'parser-first'] as const)(
    'JSON bodies that differ only in key order or spacing share one entry (%s)',
    async (order) => {
      const key = uniqueKey('canonical')
      await putJson(servers, key, { canonical: true })
      const app = makeApp({ cache, order })
      const post = (body: string) =>
        fixture<Loose>('rest-v1', (e) => {
          e.httpMethod = 'POST'
          e.requestContext.httpMethod = 'POST'
          e.queryStringParameters = null
          e.multiValueQueryStringParameters = null
          e.headers['Content-Type'] = 'application/json'
          e.body = body
        })
      const first = await app.invoke(post(`{"key":${JSON.stringify(key)},"opts":{"a":1,"b":2}}`))
      const reordered = await app.invoke(
        post(`{ "opts": { "b": 2, "a": 1 }, "key": ${JSON.stringify(key)} }`),
      )
      const different = await app.invoke(post(`{"key":${JSON.stringify(key)},"opts":{"a":2,"b":1}}`))
      expect([first, reordered, different].map((r) => header(r, 'x-cache'))).toEqual(['MISS', 'HIT', 'MISS'])
      expect(app.runs()).toBe(2)
    },
  )

  it('HTTP API v2: q=a+b and q=a%20b are different requests, keyed on what the handler receives', async () => {
    const app = chain(cache, (event) => json({ q: event.queryStringParameters?.q }))
    const path = `/${uniqueKey('query')}`
    // API Gateway decodes %20 but leaves + as it is.
    const withQuery = (raw: string, decoded: string) =>
      fixture<Loose>('http-api-v2', (e) => {
        e.rawPath = path
        e.requestContext.http.path = path
        e.rawQueryString = raw
        e.queryStringParameters = { q: decoded }
      })
    const plus = await app.invoke(withQuery('q=a+b', 'a+b'))
    const space = await app.invoke(withQuery('q=a%20b', 'a b'))
    expect(JSON.parse(plus.body)).toEqual({ q: 'a+b' })
    expect(JSON.parse(space.body)).toEqual({ q: 'a b' })
    expect(header(space, 'x-cache')).toBe('MISS')
    expect(JSON.parse((await app.invoke(withQuery('q=a+b', 'a+b'))).body)).toEqual({ q: 'a+b' })
    expect(app.runs()).toBe(2)
  })
})

describe('the same answer cold and warm (strict @middy/http-json-body-parser after httpCache)', () => {
  let cache: S3Cache
  beforeAll(() => {
    cache = servers.makeCache().cache
  })
  const post = (headers: Loose | null, multiValueHeaders: Loose | null, body: string, path: string) =>
    fixture<Loose>('rest-v1', (e) => {
      e.httpMethod = 'POST'
      e.path = path
      e.headers = headers
      e.multiValueHeaders = multiValueHeaders
      e.queryStringParameters = null
      e.multiValueQueryStringParameters = null
      e.body = body
    })

  it('a Content-Type spelled in any case, or only in multiValueHeaders, is read by the parser cold and warm', async () => {
    const app = chain(cache, (event) => json({ parsed: event.body }), true)
    const path = `/${uniqueKey('content-type')}`
    const body = '{"n":1}'
    const spellings = [
      post({ 'Content-type': 'application/json' }, null, body, path),
      post({ 'CONTENT-TYPE': 'application/json' }, null, body, path),
      post(null, { 'Content-Type': ['application/json'] }, body, path),
      post({}, { 'content-Type': ['application/json'] }, body, path),
    ]
    const answers = []
    for (const event of spellings) answers.push(await app.invoke(event))
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200, 200])
    expect(answers.map((r) => JSON.parse(r.body))).toEqual(answers.map(() => ({ parsed: { n: 1 } })))
    expect(answers.map((r) => header(r, 'x-cache'))).toEqual(['MISS', 'HIT', 'HIT', 'HIT'])
  })

  it('a content type the parser refuses is refused warm too: it never receives the stored 200', async () => {
    const app = chain(cache, (event) => json({ parsed: event.body }), true)
    const path = `/${uniqueKey('refused')}`
    const body = '{"n":2}'
    const refusedCold = await app.invoke(post({ 'Content-Type': 'text/plain' }, null, body, path))
    const accepted = await app.invoke(post({ 'Content-Type': 'application/json' }, null, body, path))
    const warm = await app.invoke(post({ 'Content-Type': 'application/json' }, null, body, path))
    const refusedWarm = await app.invoke(post({ 'Content-Type': 'text/plain' }, null, body, path))
    expect([refusedCold, accepted, warm, refusedWarm].map((r) => r.statusCode)).toEqual([415, 200, 200, 415])
    expect(header(warm, 'x-cache')).toBe('HIT')
  })
})

describe('ALB multi-value mode', () => {
  let cache: S3Cache
  beforeAll(() => {
    cache = servers.makeCache().cache
  })

  it('puts x-cache, etag and age in multiValueHeaders (ALB ignores headers there), on 200s and 304s', async () => {
    const app = chain(cache, () => ({
      statusCode: 200,
      statusDescription: '200 OK',
      multiValueHeaders: { 'content-type': ['application/json'] },
      body: '{"alb":true}',
      isBase64Encoded: false,
    }))
    const path = `/${uniqueKey('alb-multi')}`
    const event = (ifNoneMatch?: string) =>
      fixture<Loose>('alb-multi-value', (e) => {
        e.path = path
        if (ifNoneMatch) e.multiValueHeaders['if-none-match'] = [ifNoneMatch]
      })
    const miss = await app.invoke(event())
    const hit = await app.invoke(event())
    const notModified = await app.invoke(event(miss.multiValueHeaders?.etag?.[0] as string))
    expect(miss.multiValueHeaders).toMatchObject({ 'x-cache': ['MISS'], etag: [expect.stringMatching(/^"/)] })
    expect(hit.multiValueHeaders).toMatchObject({
      'x-cache': ['HIT'],
      etag: miss.multiValueHeaders?.etag,
      age: [expect.stringMatching(/^\d+$/)],
      'content-type': ['application/json'],
    })
    expect(notModified.statusCode).toBe(304)
    expect(notModified.multiValueHeaders).toMatchObject({
      'x-cache': ['HIT'],
      etag: miss.multiValueHeaders?.etag,
    })
    expect(notModified.multiValueHeaders?.['content-type']).toBeUndefined()
  })

  it('puts x-cache in multiValueHeaders on a response that is not stored', async () => {
    const app = chain(cache, () => ({
      statusCode: 404,
      multiValueHeaders: { 'content-type': ['application/json'] },
      body: '{}',
    }))
    const answer = await app.invoke(
      fixture<Loose>('alb-multi-value', (e) => (e.path = `/${uniqueKey('404')}`)),
    )
    expect(answer.statusCode).toBe(404)
    expect(answer.multiValueHeaders?.['x-cache']).toEqual(['MISS'])
  })
})
