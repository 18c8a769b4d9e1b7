import { createHash } from 'node:crypto'
import { countS3Calls, type S3CallCounter } from '@valkey-s3-cache/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ApiHandler, createHandler } from '../src/handler'
import { lambdaContext, objectsEvent } from './support/events'
import { type Servers, startServers, uniqueKey } from './support/servers'

let servers: Servers
let handler: ApiHandler
let s3Calls: S3CallCounter
const logs: string[] = []

const TOKEN = 'reader-token-7f3c2e1a'
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

beforeAll(async () => {
  servers = await startServers()
  const s3 = servers.s3.newClient()
  s3Calls = countS3Calls(s3)
  handler = createHandler({
    bucket: servers.s3.bucket,
    valkey: servers.valkey.url,
    s3,
    corsOrigin: 'https://app.example.com',
    apiTokenSha256: [sha256('another-token'), sha256(TOKEN)],
    log: (line) => logs.push(line),
  })
})

afterAll(async () => {
  await handler?.close()
  await servers?.stop()
})

const post = (body: unknown, headers: Record<string, string> = {}) =>
  handler(objectsEvent(body, { headers }), lambdaContext())

describe('bearer tokens, checked before httpCache answers', () => {
  it('refuses an unauthenticated request and a bad token after the response was cached', async () => {
    const key = uniqueKey('protected')
    await servers.put(key, JSON.stringify({ secret: true }))
    const miss = await post({ key }, { Authorization: `Bearer ${TOKEN}` })
    const hit = await post({ key }, { authorization: `bearer ${TOKEN}` })
    expect([miss.statusCode, miss.headers?.['x-cache']]).toEqual([200, 'MISS'])
    expect([hit.statusCode, hit.headers?.['x-cache']]).toEqual([200, 'HIT'])
    s3Calls.reset()

    const anonymous = await post({ key })
    const forged = await post({ key }, { Authorization: 'Bearer forged-token' })
    const basic = await post(
      { key },
      { Authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` },
    )
    for (const refused of [anonymous, forged, basic]) {
      expect(refused.statusCode).toBe(401)
      expect(JSON.parse(refused.body)).toEqual({ message: 'Unauthorized' })
      expect(refused.body).not.toContain('secret')
      expect(refused.headers?.['x-cache']).toBeUndefined()
      expect(refused.headers?.['Access-Control-Allow-Origin']).toBe('https://app.example.com')
    }
    expect(anonymous.headers?.['WWW-Authenticate']).toBe('Bearer')
    expect(forged.headers?.['WWW-Authenticate']).toBe('Bearer error="invalid_token"')
    expect(s3Calls.count('GetObjectCommand')).toBe(0)
    const refusedLine = JSON.parse(logs.at(-2) ?? '{}')
    expect(refusedLine).toMatchObject({
      level: 'INFO',
      statusCode: 401,
      error: { name: 'UnauthorizedError' },
    })
  })

  it('checks requests that are not cached too (an invalid body)', async () => {
    const refused = await post({ key: '../etc/passwd' })
    expect(refused.statusCode).toBe(401)
    const allowed = await post({ key: '../etc/passwd' }, { Authorization: `Bearer ${TOKEN}` })
    expect(allowed.statusCode).toBe(400)
  })
})
