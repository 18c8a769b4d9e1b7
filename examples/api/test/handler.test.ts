import { readFileSync } from 'node:fs'
import { countS3Calls, type S3CallCounter } from '@valkey-s3-cache/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ApiHandler, createHandler } from '../src/handler'
import { lambdaContext, objectsEvent } from './support/events'
import { type Servers, startServers, uniqueKey } from './support/servers'

let servers: Servers
let handler: ApiHandler
let s3Calls: S3CallCounter
const logs: string[] = []

beforeAll(async () => {
  servers = await startServers()
  const s3 = servers.s3.newClient()
  s3Calls = countS3Calls(s3)
  handler = createHandler({
    bucket: servers.s3.bucket,
    valkey: servers.valkey.url,
    s3,
    corsOrigin: 'https://app.example.com',
    log: (line) => logs.push(line),
  })
})

afterAll(async () => {
  await handler?.close()
  await servers?.stop()
})

const post = (body: unknown, options?: Parameters<typeof objectsEvent>[1]) =>
  handler(objectsEvent(body, options), lambdaContext())

describe('POST /objects against a real S3 server and valkey-server', () => {
  it('answers the object JSON: MISS from S3 first, then HIT from Valkey without S3', async () => {
    const key = uniqueKey()
    await servers.put(key, JSON.stringify({ title: 'Welcome', tags: ['a'] }))
    s3Calls.reset()

    const first = await post({ key })
    expect(first.statusCode).toBe(200)
    expect(JSON.parse(first.body)).toEqual({ title: 'Welcome', tags: ['a'] })
    expect(first.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'x-cache': 'MISS',
      'Access-Control-Allow-Origin': 'https://app.example.com',
    })
    expect(s3Calls.count('GetObjectCommand')).toBe(1)

    const second = await post({ key })
    expect(second.statusCode).toBe(200)
    expect(second.body).toBe(first.body)
    expect(second.headers?.['x-cache']).toBe('HIT')
    expect(second.headers?.etag).toBe(first.headers?.etag)
    // A hit carries the CORS headers stored with the response, although httpCors did not run for it.
    expect(second.headers?.['Access-Control-Allow-Origin']).toBe('https://app.example.com')
    expect(s3Calls.count('GetObjectCommand')).toBe(1)
  })

  it('keys stored responses on the S3 key, not on the JSON text', async () => {
    const key = uniqueKey()
    await servers.put(key, '{"n":1}')
    expect((await post({ key })).headers?.['x-cache']).toBe('MISS')
    const spaced = await post(`{ "key" :  ${JSON.stringify(key)} }`, { raw: true })
    expect(spaced.statusCode).toBe(200)
    expect(spaced.headers?.['x-cache']).toBe('HIT')
  })

  it('answers 304 without a body when If-None-Match names the etag', async () => {
    const key = uniqueKey()
    await servers.put(key, '{"v":1}')
    const first = await post({ key })
    const etag = String(first.headers?.etag)
    const again = await post({ key }, { headers: { 'If-None-Match': etag } })
    expect(again.statusCode).toBe(304)
    expect(again.body ?? '').toBe('')
    expect(again.headers?.etag).toBe(etag)
  })

  it('answers 404 as JSON for a missing object, with CORS headers and nothing stored', async () => {
    const key = uniqueKey('missing')
    const response = await post({ key })
    expect(response.statusCode).toBe(404)
    expect(JSON.parse(response.body)).toEqual({ message: 'Object not found' })
    expect(response.body).not.toContain(key)
    expect(response.headers).toMatchObject({
      'content-type': 'application/json',
      'Access-Control-Allow-Origin': 'https://app.example.com',
    })
    expect(response.headers?.['x-cache']).toBeUndefined()
    // Created afterwards, the object is served once the negative entry expires; the 404 itself was never stored.
    expect((await post({ key })).statusCode).toBe(404)
  })

  it.each([
    [{ key: '../etc/passwd' }, 'key must not contain ".." segments'],
    [{ key: 'docs/../secret.json' }, 'key must not contain ".." segments'],
    [{ key: 'docs/a\u0000.json' }, 'key must not contain control characters'],
    [{ key: 'docs/a\n.json' }, 'key must not contain control characters'],
    [{ key: 'é'.repeat(513) }, 'key must be at most 1024 bytes of UTF-8'],
    [{ key: '' }, 'key must not be empty'],
    [{ key: 42 }, 'key must be a string'],
    [{}, 'key is required'],
    [{ key: 'docs/a.json', extra: 1 }, 'unknown field(s): extra'],
    [['docs/a.json'], 'the body must be a JSON object like {"key": "docs/a.json"}'],
    [null, 'the body must be a JSON object like {"key": "docs/a.json"}'],
  ])('answers 400 for %j: %s', async (body, message) => {
    const response = await post(body)
    expect(response.statusCode).toBe(400)
    expect(JSON.parse(response.body)).toEqual({ message: `Invalid request body: ${message}` })
    expect(response.headers?.['Access-Control-Allow-Origin']).toBe('https://app.example.com')
  })

  it('accepts keys of exactly 1024 bytes and keys with dots that are not ".." segments', async () => {
    // Path segments of at most 250 bytes: s3rver stores each object as a file named after its key.
    const longKey = `${`${'k'.repeat(250)}/`.repeat(4)}${'k'.repeat(20)}`
    expect(Buffer.byteLength(longKey)).toBe(1024)
    for (const key of [longKey, 'docs/..hidden/a..b.json']) {
      await servers.put(key, '{"ok":true}')
      const response = await post({ key })
      expect(response.statusCode, key).toBe(200)
    }
  })

  it('answers 415 without a JSON content type and 422 for malformed JSON (http-json-body-parser)', async () => {
    const text = await post('{"key":"a.json"}', { raw: true, headers: { 'Content-Type': 'text/plain' } })
    expect(text.statusCode).toBe(415)
    expect(JSON.parse(text.body)).toEqual({ message: 'Unsupported Media Type' })
    const malformed = await post('{"key":', { raw: true })
    expect(malformed.statusCode).toBe(422)
    expect(JSON.parse(malformed.body)).toEqual({ message: 'Invalid or malformed JSON was provided' })
  })

  it('answers 500 with a generic message when the object is not JSON, and logs the real error', async () => {
    const key = uniqueKey('text')
    await servers.put(key, 'not json', 'text/plain')
    logs.length = 0
    const response = await post({ key })
    expect(response.statusCode).toBe(500)
    expect(JSON.parse(response.body)).toEqual({ message: 'Internal Server Error' })
    const line = JSON.parse(logs.at(-1) ?? '{}')
    expect(line).toMatchObject({
      level: 'ERROR',
      message: 'POST /objects 500',
      statusCode: 500,
      s3Key: key,
      // Powertools' Logger prints the Error itself: name, message, stack, and its own fields.
      error: {
        name: 'SchemaValidationError',
        code: 'SCHEMA_VALIDATION',
        message: expect.stringContaining(key),
        stack: expect.stringContaining('SchemaValidationError'),
        issues: [expect.objectContaining({ message: expect.any(String) })],
      },
    })
  })

  it('writes one Powertools log line per request: status, cache status, duration, request ids', async () => {
    const key = uniqueKey()
    await servers.put(key, '{"a":1}')
    logs.length = 0
    const event = objectsEvent({ key })
    const context = lambdaContext()
    await handler(event, context)
    await post({ key })
    await post({ key: '../x' })
    expect(logs).toHaveLength(3)
    const [miss, hit, bad] = logs.map((line) => JSON.parse(line))
    expect(miss).toEqual({
      level: 'INFO',
      message: 'POST /objects 200',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
      service: 'valkey-s3-cache-api',
      cold_start: expect.any(Boolean),
      function_arn: context.invokedFunctionArn,
      function_memory_size: context.memoryLimitInMB,
      function_name: 'objects',
      function_request_id: context.awsRequestId,
      sampling_rate: 0,
      apiRequestId: event.requestContext.requestId,
      method: 'POST',
      path: '/objects',
      statusCode: 200,
      cache: 'MISS',
      object: 'miss',
      s3Key: key,
      durationMs: expect.any(Number),
      cacheErrors: 0,
    })
    expect(miss.durationMs).toBeGreaterThan(0)
    expect(hit).toMatchObject({ level: 'INFO', statusCode: 200, cache: 'HIT', cacheErrors: 0 })
    // Powertools leaves out empty fields: no object read for a stored response, no x-cache on errors.
    expect(hit.object).toBeUndefined()
    expect(hit.function_request_id).not.toBe(miss.function_request_id)
    expect(bad).toMatchObject({
      level: 'INFO',
      statusCode: 400,
      error: { name: 'BadRequestError', message: 'Invalid request body: key must not contain ".." segments' },
    })
    expect(bad.cache).toBeUndefined()
    // Metrics only with emfMetrics (test/metrics.test.ts).
    for (const line of [miss, hit, bad]) expect(line._aws).toBeUndefined()
  })

  it('answers the sample event in events/post-objects.json (for the container image and sam local)', async () => {
    await servers.put('docs/welcome.json', '{"title":"Welcome"}')
    const event = JSON.parse(readFileSync(new URL('../events/post-objects.json', import.meta.url), 'utf8'))
    const response = await handler(event, lambdaContext())
    expect(response.statusCode).toBe(200)
    expect(JSON.parse(response.body)).toEqual({ title: 'Welcome' })
  })
})
