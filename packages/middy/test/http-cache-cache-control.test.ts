// httpCache's `cacheControl` option on real Valkey and S3: the configured Cache-Control goes on the
// answers of responses it stores (MISS, HIT, 304), never on responses it does not store (BYPASS, a
// status not in `statusCodes`), and never replaces one the handler set.
import { readFileSync } from 'node:fs'
import { createS3Cache, type S3Cache } from '@valkey-s3-cache/core'
import type { HttpEvent } from '@valkey-s3-cache/middy'
import { freePort } from '@valkey-s3-cache/testkit'
import type { APIGatewayProxyResult } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeApp, type Respond, uniqueKey } from './support/app'
import { header, v1Event } from './support/events'
import { useServers } from './support/servers'

const servers = useServers()
const CACHE_CONTROL = 'public, max-age=30'
let cache: S3Cache

beforeAll(() => {
  ;({ cache } = servers.makeCache())
})

const respond =
  (headers: APIGatewayProxyResult['headers'] = {}, statusCode = 200): Respond =>
  async () => ({
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: '{"ok":true}',
  })

describe('httpCache cacheControl', () => {
  const unusable: S3Cache[] = []
  afterAll(async () => {
    for (const down of unusable) await down.close()
  })

  it('goes on the MISS that stores a response, on its HITs and on a 304', async () => {
    const app = makeApp({ cache, http: { cacheControl: CACHE_CONTROL }, respond: respond() })
    const path = `/${uniqueKey('stored')}`
    const miss = await app.invoke(v1Event({ path }))
    const hit = await app.invoke(v1Event({ path }))
    const notModified = await app.invoke(
      v1Event({ path, headers: { 'if-none-match': header(miss, 'etag') as string } }),
    )
    expect([miss, hit, notModified].map((r) => [r.statusCode, header(r, 'x-cache')])).toEqual([
      [200, 'MISS'],
      [200, 'HIT'],
      [304, 'HIT'],
    ])
    for (const result of [miss, hit, notModified]) expect(header(result, 'cache-control')).toBe(CACHE_CONTROL)
    expect(app.runs()).toBe(1)
  })

  it("leaves the handler's own Cache-Control as it is", async () => {
    const app = makeApp({
      cache,
      http: { cacheControl: CACHE_CONTROL },
      respond: respond({ 'Cache-Control': 'max-age=5' }),
    })
    const path = `/${uniqueKey('own')}`
    for (const expected of ['MISS', 'HIT']) {
      const result = await app.invoke(v1Event({ path }))
      expect(header(result, 'x-cache')).toBe(expected)
      expect(header(result, 'cache-control')).toBe('max-age=5')
    }
  })

  it('is not added to a BYPASS response, which is not stored (Valkey unreachable)', async () => {
    const down = createS3Cache({
      s3: servers.s3.newClient(),
      bucket: servers.s3.bucket,
      valkey: `valkey://127.0.0.1:${await freePort()}`,
    })
    unusable.push(down)
    const app = makeApp({ cache: down, http: { cacheControl: CACHE_CONTROL }, respond: respond() })
    const path = `/${uniqueKey('bypass')}`
    for (let i = 0; i < 2; i++) {
      const result = await app.invoke(v1Event({ path }))
      expect(header(result, 'x-cache')).toBe('BYPASS')
      expect(header(result, 'etag')).toMatch(/^"/)
      expect(header(result, 'cache-control')).toBeUndefined()
    }
    expect(app.runs()).toBe(2)
  })

  it('is not added to a response whose status is not stored', async () => {
    const app = makeApp({ cache, http: { cacheControl: CACHE_CONTROL }, respond: respond({}, 404) })
    const result = await app.invoke(v1Event({ path: `/${uniqueKey('not-stored')}` }))
    expect(result.statusCode).toBe(404)
    expect(header(result, 'x-cache')).toBe('MISS')
    expect(header(result, 'cache-control')).toBeUndefined()
  })

  it('goes in multiValueHeaders for an ALB target group in multi-value mode, which ignores headers', async () => {
    const app = makeApp({ cache, http: { cacheControl: CACHE_CONTROL }, respond: respond() })
    const path = `/${uniqueKey('alb')}`
    const event = () => {
      const alb = JSON.parse(
        readFileSync(new URL('./fixtures/events/alb-multi-value.json', import.meta.url), 'utf8'),
      ) as { path: string }
      alb.path = path
      return alb as unknown as HttpEvent
    }
    const miss = (await app.invoke(event())) as APIGatewayProxyResult
    const hit = (await app.invoke(event())) as APIGatewayProxyResult
    for (const [result, status] of [
      [miss, 'MISS'],
      [hit, 'HIT'],
    ] as const) {
      expect(result.multiValueHeaders).toMatchObject({
        'x-cache': [status],
        'cache-control': [CACHE_CONTROL],
      })
    }
  })
})
