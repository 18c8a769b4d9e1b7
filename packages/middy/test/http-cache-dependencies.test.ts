// Responses follow the S3 objects they were built from: every object the handler reads through
// context.s3Cache while httpCache computes a response is a dependency of that response. Full middy
// chains on real Valkey and S3; the writers are other caches (other Lambda instances).
import { PutObjectCommand } from '@aws-sdk/client-s3'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import type { S3Cache } from '@valkey-s3-cache/core'
import { httpCache, type S3CacheContext, s3Cache, s3EventInvalidator } from '@valkey-s3-cache/middy'
import type { APIGatewayProxyResult } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { makeApp, putJson, type Respond, uniqueKey } from './support/app'
import { header, v1Event } from './support/events'
import { s3Notification } from './support/s3-events'
import { useServers } from './support/servers'

const servers = useServers()

/** `GET /page?key=` built from two objects: the one named and a shared footer. */
const page =
  (footer: string): Respond =>
  async (event, context) => {
    const key = event.queryStringParameters?.key ?? ''
    const [doc, foot] = await Promise.all([context.s3Cache.getJson(key), context.s3Cache.getText(footer)])
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ doc, foot }),
    }
  }

const request = (key: string) => v1Event({ path: '/page', query: { key } })

/** The `x-cache` header and the parsed body of a response. */
const answer = (result: APIGatewayProxyResult) => ({
  cache: header(result, 'x-cache'),
  body: JSON.parse(result.body) as unknown,
})

describe('httpCache: a response follows the objects its handler read through context.s3Cache', () => {
  it('put, invalidate, an S3 event and invalidateTags of an object each remove the responses built from it', async () => {
    const api = servers.makeCache().cache
    const writer = servers.makeCache().cache
    const [key, footer, tag] = [uniqueKey('page'), uniqueKey('footer'), uniqueKey('footer-tag')]
    await putJson(servers, key, { v: 1 })
    await writer.put(footer, 'f1', { tags: [tag] })
    const app = makeApp({ cache: api, respond: page(footer), http: { ttl: '1h' } })

    expect(answer(await app.invoke(request(key)))).toEqual({
      cache: 'MISS',
      body: { doc: { v: 1 }, foot: 'f1' },
    })
    expect(answer(await app.invoke(request(key)))).toEqual({
      cache: 'HIT',
      body: { doc: { v: 1 }, foot: 'f1' },
    })

    await writer.put(key, JSON.stringify({ v: 2 }), { contentType: 'application/json' })
    expect(answer(await app.invoke(request(key)))).toEqual({
      cache: 'MISS',
      body: { doc: { v: 2 }, foot: 'f1' },
    })
    expect(answer(await app.invoke(request(key))).cache).toBe('HIT')

    await putJson(servers, key, { v: 3 })
    await writer.invalidate(key)
    expect(answer(await app.invoke(request(key)))).toEqual({
      cache: 'MISS',
      body: { doc: { v: 3 }, foot: 'f1' },
    })
    expect(answer(await app.invoke(request(key))).cache).toBe('HIT')

    await putJson(servers, key, { v: 4 })
    const invalidator = s3EventInvalidator({ cache: writer })
    expect(await invalidator(s3Notification(servers.s3.bucket, key))).toMatchObject({ applied: 1 })
    expect(answer(await app.invoke(request(key)))).toEqual({
      cache: 'MISS',
      body: { doc: { v: 4 }, foot: 'f1' },
    })
    expect(answer(await app.invoke(request(key))).cache).toBe('HIT')

    // The footer carries a tag: removing the tag removes the footer and every page built from it.
    await writer.put(footer, 'f2', { tags: [tag] })
    expect(answer(await app.invoke(request(key)))).toEqual({
      cache: 'MISS',
      body: { doc: { v: 4 }, foot: 'f2' },
    })
    // Changed in S3 by another writer, keeping the tag in its metadata as put does.
    await servers.s3.client.send(
      new PutObjectCommand({
        Bucket: servers.s3.bucket,
        Key: footer,
        Body: 'f3',
        Metadata: { 'cache-tags': encodeURIComponent(tag) },
      }),
    )
    expect(await writer.invalidateTags([tag])).toBe(2)
    expect(answer(await app.invoke(request(key)))).toEqual({
      cache: 'MISS',
      body: { doc: { v: 4 }, foot: 'f3' },
    })
    expect(answer(await app.invoke(request(key))).cache).toBe('HIT')
    expect(app.runs()).toBe(6)
  })

  it('a response whose object changes while the handler computes it is served but not stored', async () => {
    const api = servers.makeCache().cache
    const writer = servers.makeCache().cache
    const [key, footer] = [uniqueKey('racing-page'), uniqueKey('racing-footer')]
    await putJson(servers, key, { v: 1 })
    await writer.put(footer, 'f')
    let changeDuringRun = true
    const respond: Respond = async (event, context) => {
      const result = await page(footer)(event, context)
      // Another instance writes the object after this handler read it, before the response is stored.
      if (changeDuringRun) await writer.put(key, JSON.stringify({ v: 2 }))
      changeDuringRun = false
      return result
    }
    const app = makeApp({ cache: api, respond, http: { ttl: '1h' } })
    expect(answer(await app.invoke(request(key)))).toEqual({
      cache: 'MISS',
      body: { doc: { v: 1 }, foot: 'f' },
    })
    // Not stored: the next request computes it again, from the new object.
    expect(answer(await app.invoke(request(key)))).toEqual({
      cache: 'MISS',
      body: { doc: { v: 2 }, foot: 'f' },
    })
    expect(answer(await app.invoke(request(key)))).toEqual({
      cache: 'HIT',
      body: { doc: { v: 2 }, foot: 'f' },
    })
  })

  it('records the reads whichever of s3Cache and httpCache runs first', async () => {
    const api = servers.makeCache().cache
    const writer = servers.makeCache().cache
    const key = uniqueKey('order')
    await putJson(servers, key, { v: 1 })
    let runs = 0
    const handler = middy()
      .use(s3Cache({ cache: api }))
      .use(httpCache({ cache: api, ttl: '1h' }))
      .use(httpErrorHandler({ logger: false }))
      .handler(async (_event: unknown, context: S3CacheContext) => {
        runs++
        const doc = await context.s3Cache.getJson(key)
        return { statusCode: 200, body: JSON.stringify(doc) }
      })
    const invoke = () =>
      handler(request(key), {
        getRemainingTimeInMillis: () => 10_000,
      } as S3CacheContext) as Promise<APIGatewayProxyResult>
    expect((await invoke()).body).toBe('{"v":1}')
    expect(header(await invoke(), 'x-cache')).toBe('HIT')
    await writer.put(key, '{"v":2}')
    expect((await invoke()).body).toBe('{"v":2}')
    expect(runs).toBe(2)
  })

  it('does not track reads through another cache than httpCache’s', async () => {
    const api = servers.makeCache().cache
    const other: S3Cache = servers.makeCache().cache
    const key = uniqueKey('other-cache')
    await putJson(servers, key, { v: 1 })
    const handler = middy()
      .use(httpCache({ cache: api, ttl: '1h' }))
      .use(s3Cache({ cache: other }))
      .handler(async (_event: unknown, context: S3CacheContext) => ({
        statusCode: 200,
        body: JSON.stringify(await context.s3Cache.getJson(key)),
      }))
    const invoke = () => handler(request(key), {} as S3CacheContext) as Promise<APIGatewayProxyResult>
    expect(header(await invoke(), 'x-cache')).toBe('MISS')
    await other.put(key, '{"v":2}')
    // Its response does not follow an object read through another cache: stored for its ttl.
    expect(answer(await invoke())).toEqual({ cache: 'HIT', body: { v: 1 } })
  })
})
