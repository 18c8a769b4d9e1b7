import type { S3Cache } from '@valkey-s3-cache/core'
import type { S3CallCounter } from '@valkey-s3-cache/testkit'
import { beforeAll, describe, expect, it } from 'vitest'
import { makeApp, putJson, uniqueKey } from './support/app'
import { eventVersions, header } from './support/events'
import { useServers } from './support/servers'

const servers = useServers()
let cache: S3Cache
let s3Calls: S3CallCounter

beforeAll(() => {
  ;({ cache, s3Calls } = servers.makeCache())
})

describe.each(eventVersions)('httpCache on $version events', ({ event }) => {
  it('answers a repeated request from the cache: MISS, then HIT with age and the same etag; the handler runs once', async () => {
    const key = uniqueKey()
    await putJson(servers, key, { title: 'hello' })
    const app = makeApp({ cache })
    const gets = s3Calls.count('GetObjectCommand')

    const miss = await app.invoke(event({ query: { key } }))
    const hit = await app.invoke(event({ query: { key } }))

    expect(miss.statusCode).toBe(200)
    expect(header(miss, 'x-cache')).toBe('MISS')
    expect(header(miss, 'etag')).toMatch(/^"[\w-]{43}"$/)
    expect(header(miss, 'age')).toBeUndefined()
    expect(JSON.parse(miss.body)).toEqual({ key, doc: { title: 'hello' } })
    expect(hit.statusCode).toBe(200)
    expect(header(hit, 'x-cache')).toBe('HIT')
    expect(header(hit, 'etag')).toBe(header(miss, 'etag'))
    expect(header(hit, 'age')).toMatch(/^\d+$/)
    expect(header(hit, 'content-type')).toBe('application/json')
    expect(hit.body).toBe(miss.body)
    expect(app.runs()).toBe(1)
    expect(s3Calls.count('GetObjectCommand') - gets).toBe(1)
  })

  it('answers a matching If-None-Match with 304 and no body, on a HIT and on a MISS', async () => {
    const key = uniqueKey()
    await putJson(servers, key, { n: 1 })
    const app = makeApp({ cache })
    const first = await app.invoke(event({ query: { key } }))
    const etag = header(first, 'etag') as string

    const hit = await app.invoke(event({ query: { key }, headers: { 'If-None-Match': etag } }))
    expect(hit.statusCode).toBe(304)
    expect(hit.body).toBe('')
    expect(header(hit, 'etag')).toBe(etag)
    expect(header(hit, 'x-cache')).toBe('HIT')
    expect(header(hit, 'content-type')).toBeUndefined()

    const weak = await app.invoke(
      event({ query: { key }, headers: { 'if-none-match': `"other", W/${etag}` } }),
    )
    expect(weak.statusCode).toBe(304)
    const other = await app.invoke(event({ query: { key }, headers: { 'if-none-match': '"other"' } }))
    expect(other.statusCode).toBe(200)
    expect(other.body).toBe(first.body)

    // A fresh key: the handler runs, and its response is answered with 304 all the same.
    const app2 = makeApp({ cache, http: { varyHeaders: ['x-tenant'] } })
    const miss = await app2.invoke(
      event({ query: { key }, headers: { 'if-none-match': etag, 'x-tenant': 'a' } }),
    )
    expect(header(miss, 'x-cache')).toBe('MISS')
    expect(miss.statusCode).toBe(304)
    expect(app.runs() + app2.runs()).toBe(2)
  })

  it('puts the CORS headers on HIT responses too (they are stored with the response)', async () => {
    const key = uniqueKey()
    await putJson(servers, key, { cors: true })
    const app = makeApp({ cache, cors: { origin: 'https://app.example.com' } })
    const miss = await app.invoke(event({ query: { key }, headers: { Origin: 'https://app.example.com' } }))
    const hit = await app.invoke(event({ query: { key }, headers: { Origin: 'https://app.example.com' } }))
    expect(header(miss, 'access-control-allow-origin')).toBe('https://app.example.com')
    expect(header(hit, 'x-cache')).toBe('HIT')
    expect(header(hit, 'access-control-allow-origin')).toBe('https://app.example.com')
    expect(app.runs()).toBe(1)
  })

  it('caches POST /objects with a JSON body when POST is configured, keyed by the body', async () => {
    const [a, b] = [uniqueKey(), uniqueKey()]
    await putJson(servers, a, { which: 'a' })
    await putJson(servers, b, { which: 'b' })
    const app = makeApp({ cache })
    const post = (key: string) =>
      app.invoke(
        event({
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ key }),
        }),
      )
    expect(header(await post(a), 'x-cache')).toBe('MISS')
    expect(header(await post(b), 'x-cache')).toBe('MISS')
    const again = await post(a)
    expect(header(again, 'x-cache')).toBe('HIT')
    expect(JSON.parse(again.body).doc).toEqual({ which: 'a' })
    expect(app.runs()).toBe(2)
  })

  it('leaves methods that are not configured alone (default: GET and HEAD only)', async () => {
    const key = uniqueKey()
    await putJson(servers, key, {})
    const app = makeApp({ cache, http: { methods: undefined } })
    const post = () =>
      app.invoke(
        event({
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ key }),
        }),
      )
    const first = await post()
    await post()
    expect(header(first, 'x-cache')).toBeUndefined()
    expect(app.runs()).toBe(2)
    await app.invoke(event({ method: 'HEAD', query: { key } }))
    expect(header(await app.invoke(event({ method: 'HEAD', query: { key } })), 'x-cache')).toBe('HIT')
  })

  it('ignores a client Cache-Control: no-cache unless honorNoCache is set', async () => {
    const key = uniqueKey()
    // A handler whose answer changes on every run, so a stored answer and a fresh one differ.
    let version = 0
    const respond = async () => ({ statusCode: 200, body: JSON.stringify({ doc: { v: ++version } }) })
    const app = makeApp({ cache, respond })
    await app.invoke(event({ query: { key } }))
    const ignored = await app.invoke(event({ query: { key }, headers: { 'Cache-Control': 'no-cache' } }))
    expect(header(ignored, 'x-cache')).toBe('HIT')
    expect(JSON.parse(ignored.body).doc).toEqual({ v: 1 })

    const honoring = makeApp({ cache, respond, http: { honorNoCache: true } })
    const refreshed = await honoring.invoke(
      event({ query: { key }, headers: { 'cache-control': 'no-cache' } }),
    )
    expect(header(refreshed, 'x-cache')).toBe('MISS')
    expect(JSON.parse(refreshed.body).doc).toEqual({ v: 2 })
    // The refreshed response replaced the stored one.
    const after = await app.invoke(event({ query: { key } }))
    expect(header(after, 'x-cache')).toBe('HIT')
    expect(JSON.parse(after.body).doc).toEqual({ v: 2 })
  })
})
