import type { S3Cache } from '@valkey-s3-cache/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { makeApp, putJson, uniqueKey } from './support/app'
import { eventVersions, header, v1Event } from './support/events'
import { useServers } from './support/servers'

const servers = useServers()
let cache: S3Cache

beforeAll(() => {
  ;({ cache } = servers.makeCache())
})

const json = { 'Content-Type': 'application/json' }

describe.each(eventVersions)('the default key on $version events', ({ event }) => {
  it('does not depend on the order of the query string', async () => {
    const key = uniqueKey()
    await putJson(servers, key, {})
    const app = makeApp({ cache })
    const first = await app.invoke(event({ query: { key, a: '1', b: '2' } }))
    const reordered = await app.invoke(event({ query: { b: '2', a: '1', key } }))
    const changed = await app.invoke(event({ query: { key, a: '1', b: '3' } }))
    expect(header(first, 'x-cache')).toBe('MISS')
    expect(header(reordered, 'x-cache')).toBe('HIT')
    expect(header(changed, 'x-cache')).toBe('MISS')
  })

  it('holds the listed vary headers, matched in any case', async () => {
    const key = uniqueKey()
    await putJson(servers, key, {})
    const app = makeApp({ cache, http: { varyHeaders: ['Accept-Language'] } })
    const en = await app.invoke(event({ query: { key }, headers: { 'Accept-Language': 'en' } }))
    const enLower = await app.invoke(event({ query: { key }, headers: { 'accept-language': 'en' } }))
    const de = await app.invoke(event({ query: { key }, headers: { 'ACCEPT-LANGUAGE': 'de' } }))
    const none = await app.invoke(event({ query: { key } }))
    const unlisted = await app.invoke(event({ query: { key }, headers: { 'x-other': 'ignored' } }))
    expect([en, enLower, de, none, unlisted].map((result) => header(result, 'x-cache'))).toEqual([
      'MISS',
      'HIT',
      'MISS',
      'MISS',
      'HIT',
    ])
  })

  it('hashes a base64 body decoded: the same JSON sent plain or base64 shares one entry', async () => {
    const key = uniqueKey()
    await putJson(servers, key, { b64: true })
    const body = JSON.stringify({ key })
    const app = makeApp({ cache })
    const plain = await app.invoke(event({ method: 'POST', headers: json, body }))
    const encoded = await app.invoke(
      event({
        method: 'POST',
        headers: json,
        body: Buffer.from(body).toString('base64'),
        isBase64Encoded: true,
      }),
    )
    const otherBody = await app.invoke(
      event({ method: 'POST', headers: json, body: JSON.stringify({ key, x: 1 }) }),
    )
    expect(header(plain, 'x-cache')).toBe('MISS')
    expect(header(encoded, 'x-cache')).toBe('HIT')
    expect(encoded.body).toBe(plain.body)
    expect(header(otherBody, 'x-cache')).toBe('MISS')
  })

  it('uses a custom key, and caches nothing when it returns undefined', async () => {
    const key = uniqueKey()
    await putJson(servers, key, {})
    const app = makeApp({
      cache,
      http: {
        key: (evt) =>
          evt.queryStringParameters?.skip ? undefined : `object:${evt.queryStringParameters?.key}`,
      },
    })
    await app.invoke(event({ query: { key, a: '1' } }))
    // The custom key ignores `a`.
    expect(header(await app.invoke(event({ query: { key, a: '2' } })), 'x-cache')).toBe('HIT')
    const skipped = await app.invoke(event({ query: { key, skip: '1' } }))
    expect(header(skipped, 'x-cache')).toBeUndefined()
    expect(app.runs()).toBe(2)
  })
})

describe('events with null parts', () => {
  it('caches a v1 event whose headers, multiValueHeaders and query are null (API Gateway console tests)', async () => {
    const app = makeApp({ cache, respond: async () => ({ statusCode: 200, body: 'console' }) })
    const path = `/objects/${uniqueKey()}`
    const nulls = () => ({ ...v1Event({ path, headers: null, query: null }), multiValueHeaders: null })
    const first = await app.invoke(nulls() as never)
    const second = await app.invoke(nulls() as never)
    expect(first.statusCode).toBe(200)
    expect(header(first, 'x-cache')).toBe('MISS')
    expect(header(second, 'x-cache')).toBe('HIT')
    expect(second.body).toBe('console')
    // An empty query and no query share one entry.
    expect(header(await app.invoke(v1Event({ path, query: {} })), 'x-cache')).toBe('HIT')
  })

  it('passes events that are not HTTP proxy events through untouched', async () => {
    const app = makeApp({ cache, respond: async () => ({ statusCode: 200, body: 'plain' }) })
    const result = await app.invoke({ source: 'aws.events' } as never)
    expect(result).toEqual({
      statusCode: 200,
      body: 'plain',
      headers: { 'Access-Control-Allow-Origin': '*' },
    })
    expect(app.runs()).toBe(1)
  })
})
