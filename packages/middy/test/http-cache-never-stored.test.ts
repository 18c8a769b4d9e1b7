import { ObjectNotFoundError, type S3Cache } from '@valkey-s3-cache/core'
import type { APIGatewayProxyResult } from 'aws-lambda'
import { beforeAll, describe, expect, it } from 'vitest'
import { makeApp, putJson, type Respond, sleep, uniqueKey } from './support/app'
import { eventVersions, header } from './support/events'
import { useServers } from './support/servers'

const servers = useServers()
let cache: S3Cache

beforeAll(() => {
  ;({ cache } = servers.makeCache())
})

const ok = (
  headers: APIGatewayProxyResult['headers'],
  extra: Partial<APIGatewayProxyResult> = {},
): Respond => {
  return async () => ({ statusCode: 200, headers, body: '{"ok":true}', ...extra })
}

describe.each(eventVersions)('httpCache never stores on $version events', ({ event }) => {
  it('errors: a 404 from ObjectNotFoundError reaches http-error-handler unchanged, names no key, and is not stored', async () => {
    const key = uniqueKey('missing')
    const app = makeApp({ cache })
    const first = await app.invoke(event({ query: { key } }))
    const second = await app.invoke(event({ query: { key } }))
    for (const result of [first, second]) {
      expect(result.statusCode).toBe(404)
      // What the client sees does not reveal the bucket's layout; the error keeps the key for logs.
      expect(result.body).toBe('Object not found')
      expect(result.body).not.toContain(key)
      expect(result.body).not.toContain(servers.bucket)
      expect(header(result, 'x-cache')).toBeUndefined()
      expect(header(result, 'etag')).toBeUndefined()
      // CORS still decorates the rendered error.
      expect(header(result, 'access-control-allow-origin')).toBe('*')
    }
    expect(app.runs()).toBe(2)
    expect(app.errors).toHaveLength(2)
    expect(app.errors[0]).toBeInstanceOf(ObjectNotFoundError)
    expect(app.errors[0]).toMatchObject({ statusCode: 404, expose: true, key, bucket: servers.bucket })

    // Once the object exists the next request loads it: the 404 was not kept.
    await putJson(servers, key, { now: 'here' })
    await cache.invalidate(key)
    const found = await app.invoke(event({ query: { key } }))
    expect(found.statusCode).toBe(200)
    expect(header(found, 'x-cache')).toBe('MISS')
    expect(header(await app.invoke(event({ query: { key } })), 'x-cache')).toBe('HIT')
  })

  it.each([
    ['Cache-Control: no-store', ok({ 'Cache-Control': 'no-store' })],
    ['Cache-Control: private', ok({ 'cache-control': 'max-age=60, private' })],
    ['Set-Cookie', ok({ 'Set-Cookie': 'session=abc' })],
    ['set-cookie in multiValueHeaders', ok({}, { multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] } })],
    ['a v2 cookies array', ok({}, { cookies: ['a=1'] } as Partial<APIGatewayProxyResult>)],
    ['Vary on a header the key does not hold', ok({ Vary: 'Origin' })],
    ['Vary: *', ok({ vary: '*' })],
    ['a status not in statusCodes (201)', async () => ({ statusCode: 201, body: 'created' })],
    ['a returned 500', async () => ({ statusCode: 500, body: 'oops' })],
  ])('a response with %s', async (_, respond) => {
    const app = makeApp({ cache, respond })
    const request = event({ query: { key: uniqueKey() } })
    const first = await app.invoke(request)
    const again = await app.invoke(request)
    expect(header(first, 'x-cache')).toBe('MISS')
    expect(header(again, 'x-cache')).toBe('MISS')
    expect(header(first, 'etag')).toBeUndefined()
    expect(app.runs()).toBe(2)
  })

  it('hands a failed shared run to no one: concurrent requests run their own handlers and each gets its own error', async () => {
    const key = uniqueKey('missing')
    let active = 0
    let peak = 0
    const app = makeApp({
      cache,
      respond: async (_, context) => {
        active++
        peak = Math.max(peak, active)
        await sleep(30)
        active--
        await context.s3Cache.get(key)
        return { statusCode: 200, body: 'unreachable' }
      },
    })
    const results = await Promise.all(Array.from({ length: 5 }, () => app.invoke(event({ query: { key } }))))
    expect(results.map((result) => result.statusCode)).toEqual([404, 404, 404, 404, 404])
    expect(app.runs()).toBe(5)
    expect(new Set(app.errors).size).toBe(5)
    // The leader ran alone; the others waited for it, then ran side by side.
    expect(peak).toBeGreaterThan(1)
  })
})
