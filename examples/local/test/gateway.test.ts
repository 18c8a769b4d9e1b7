// The gateway in front of the real handler, over real HTTP: S3 server and valkey-server from the testkit.
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { type ApiHandler, createHandler } from '@valkey-s3-cache/example-api'
import { type S3Server, startS3, startValkey, type ValkeyServer } from '@valkey-s3-cache/testkit'
import type { APIGatewayProxyEvent } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKeys, type Gateway, type GatewayOptions, startGateway, UsagePlan } from '../src/gateway'

const KEYS = {
  standard: 'standard-key-0123456789',
  burst: 'burst-key-000123456789',
  quota: 'quota-key-000123456789',
}

let s3: S3Server
let valkey: ValkeyServer
let handler: ApiHandler
let gateway: Gateway
const events: APIGatewayProxyEvent[] = []

function gatewayOptions(overrides: Partial<GatewayOptions> = {}): GatewayOptions {
  const plan = (rateLimit: number, burstLimit: number, quota = 1000) =>
    new UsagePlan({ name: 'p', throttle: { rateLimit, burstLimit }, quota: { limit: quota, period: 'DAY' } })
  return {
    handler: (event, context) => {
      events.push(structuredClone(event)) // http-json-body-parser replaces event.body in place
      return handler(event, context)
    },
    functionName: 'objects',
    stage: 'test',
    routes: [{ resource: '/objects', method: 'POST', apiKeyRequired: true }],
    apiKeys: new ApiKeys([
      { id: 'id-standard', name: 'standard', value: KEYS.standard, plan: plan(100, 100) },
      // 0.01/s: no token comes back during the test.
      { id: 'id-burst', name: 'burst', value: KEYS.burst, plan: plan(0.01, 2) },
      { id: 'id-quota', name: 'quota', value: KEYS.quota, plan: plan(100, 100, 2) },
    ]),
    cors: {
      allowOrigin: 'https://app.example.com',
      allowMethods: ['OPTIONS', 'POST'],
      allowHeaders: ['Content-Type', 'X-Api-Key'],
      maxAgeSeconds: 300,
    },
    ...overrides,
  }
}

beforeAll(async () => {
  ;[s3, valkey] = await Promise.all([startS3({ bucket: 'gateway' }), startValkey()])
  for (const [key, doc] of [
    ['docs/a.json', { title: 'A' }],
    ['docs/b.json', { title: 'B' }],
  ] as const) {
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: JSON.stringify(doc) }))
  }
  handler = createHandler({
    bucket: s3.bucket,
    valkey: valkey.url,
    s3: s3.newClient(),
    corsOrigin: 'https://app.example.com',
    log: () => {},
  })
  gateway = await startGateway(gatewayOptions())
})

afterAll(async () => {
  await gateway?.close()
  await handler?.close()
  await Promise.all([s3?.stop(), valkey?.stop()])
})

const post = (body: unknown, headers: Record<string, string> = {}, path = '/objects') =>
  fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
const withKey = (key: keyof typeof KEYS, extra: Record<string, string> = {}) => ({
  'x-api-key': KEYS[key],
  ...extra,
})

describe('the local API Gateway in front of the handler', () => {
  it('answers 200 with x-cache MISS, then HIT, and hands the handler a REST proxy event', async () => {
    events.length = 0
    const miss = await post({ key: 'docs/a.json' }, withKey('standard'))
    expect(miss.status).toBe(200)
    expect(await miss.json()).toEqual({ title: 'A' })
    expect(miss.headers.get('x-cache')).toBe('MISS')
    expect(miss.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(miss.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    expect(miss.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/)

    const hit = await post({ key: 'docs/a.json' }, withKey('standard'))
    expect(hit.status).toBe(200)
    expect(hit.headers.get('x-cache')).toBe('HIT')
    expect(hit.headers.get('etag')).toBe(miss.headers.get('etag'))

    const [event] = events
    expect(event).toMatchObject({
      resource: '/objects',
      path: '/objects',
      httpMethod: 'POST',
      body: '{"key":"docs/a.json"}',
      requestContext: {
        stage: 'test',
        path: '/test/objects',
        identity: { apiKeyId: 'id-standard', sourceIp: '127.0.0.1' },
      },
    })
    expect(event?.multiValueHeaders['x-api-key']).toEqual([KEYS.standard])
  })

  it('answers 304 when If-None-Match names the etag', async () => {
    const first = await post({ key: 'docs/b.json' }, withKey('standard'))
    const etag = first.headers.get('etag') ?? ''
    const again = await post({ key: 'docs/b.json' }, withKey('standard', { 'if-none-match': etag }))
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
  })

  it('passes the handler’s 404 and 400 through', async () => {
    const missing = await post({ key: 'docs/none.json' }, withKey('standard'))
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ message: 'Object not found' })
    const bad = await post({ key: '../x.json' }, withKey('standard'))
    expect(bad.status).toBe(400)
    expect(await bad.json()).toEqual({ message: 'Invalid request body: key must not contain ".." segments' })
  })

  it('answers 403 {"message":"Forbidden"} without an API key or with a wrong one, before the handler', async () => {
    events.length = 0
    const attempts: Array<Record<string, string>> = [{}, { 'x-api-key': 'wrong-key-0123456789abcd' }]
    for (const headers of attempts) {
      const response = await post({ key: 'docs/a.json' }, headers)
      expect(response.status).toBe(403)
      expect(await response.json()).toEqual({ message: 'Forbidden' })
      expect(response.headers.get('x-amzn-errortype')).toBe('ForbiddenException')
    }
    expect(events).toHaveLength(0)
  })

  it('answers 403 "Missing Authentication Token" for unknown paths and methods', async () => {
    const path = await post({ key: 'docs/a.json' }, withKey('standard'), '/other')
    expect(path.status).toBe(403)
    expect(await path.json()).toEqual({ message: 'Missing Authentication Token' })
    const method = await fetch(`${gateway.url}/objects`, { headers: withKey('standard') })
    expect(method.status).toBe(403)
    expect(await method.json()).toEqual({ message: 'Missing Authentication Token' })
  })

  it('answers 429 "Too Many Requests" once a key has used its burst', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 3; i++) statuses.push((await post({ key: 'docs/a.json' }, withKey('burst'))).status)
    expect(statuses).toEqual([200, 200, 429])
    const throttled = await post({ key: 'docs/a.json' }, withKey('burst'))
    expect(throttled.status).toBe(429)
    expect(await throttled.json()).toEqual({ message: 'Too Many Requests' })
    // Another key is not affected.
    expect((await post({ key: 'docs/a.json' }, withKey('standard'))).status).toBe(200)
  })

  it('answers 429 "Limit Exceeded" once a key has used its daily quota', async () => {
    expect((await post({ key: 'docs/a.json' }, withKey('quota'))).status).toBe(200)
    expect((await post({ key: 'docs/a.json' }, withKey('quota'))).status).toBe(200)
    const over = await post({ key: 'docs/a.json' }, withKey('quota'))
    expect(over.status).toBe(429)
    expect(await over.json()).toEqual({ message: 'Limit Exceeded' })
  })

  it('answers the CORS preflight without an API key', async () => {
    const response = await fetch(`${gateway.url}/objects`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    })
    expect(response.status).toBe(204)
    expect(Object.fromEntries(response.headers)).toMatchObject({
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-methods': 'OPTIONS,POST',
      'access-control-allow-headers': 'Content-Type,X-Api-Key',
      'access-control-max-age': '300',
    })
  })
})

describe('integration failures, as API Gateway reports them', () => {
  it('502 when the function throws, 504 when it outlasts the timeout, 413 for a body over the limit', async () => {
    const failing = await startGateway(
      gatewayOptions({
        handler: async (event) => {
          if (event.body?.includes('slow')) return new Promise(() => {})
          throw new Error('boom')
        },
        timeoutMs: 200,
        maxBodyBytes: 64,
      }),
    )
    try {
      const call = (body: string) =>
        fetch(`${failing.url}/objects`, { method: 'POST', headers: withKey('standard'), body })
      const thrown = await call('{}')
      expect([thrown.status, await thrown.json()]).toEqual([502, { message: 'Internal server error' }])
      const slow = await call('slow')
      expect([slow.status, await slow.json()]).toEqual([504, { message: 'Endpoint request timed out' }])
      const large = await call('x'.repeat(65))
      expect(large.status).toBe(413)
    } finally {
      await failing.close()
    }
  })
})
