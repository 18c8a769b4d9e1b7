import { describe, expect, it } from 'vitest'
import { lambdaContext, toProxyEvent } from '../src/gateway/proxy-event'

describe('toProxyEvent (REST API, Lambda proxy integration)', () => {
  const receivedAt = Date.parse('2025-03-04T05:06:07Z')
  const event = toProxyEvent(
    {
      requestId: '11111111-2222-3333-4444-555555555555',
      method: 'POST',
      url: '/local/objects?b=2&a=1&a=3',
      rawHeaders: [
        'Content-Type',
        'application/json',
        'X-Tag',
        'one',
        'X-Tag',
        'two',
        'User-Agent',
        'curl/8',
      ],
      body: Buffer.from('{"key":"docs/a.json"}'),
      sourceIp: '127.0.0.1',
      host: '127.0.0.1:3000',
      receivedAt,
    },
    { stage: 'local', resource: '/objects', apiKey: { id: 'key-id', value: 'key-value' } },
  )

  it('maps path, method, body and stage like API Gateway', () => {
    expect(event).toMatchObject({
      resource: '/objects',
      path: '/objects',
      httpMethod: 'POST',
      body: '{"key":"docs/a.json"}',
      isBase64Encoded: false,
      pathParameters: null,
      stageVariables: null,
    })
    expect(event.requestContext).toMatchObject({
      stage: 'local',
      path: '/local/objects',
      resourcePath: '/objects',
      httpMethod: 'POST',
      requestId: '11111111-2222-3333-4444-555555555555',
      requestTime: '04/Mar/2025:05:06:07 +0000',
      requestTimeEpoch: receivedAt,
      domainName: '127.0.0.1:3000',
      identity: { apiKey: 'key-value', apiKeyId: 'key-id', sourceIp: '127.0.0.1', userAgent: 'curl/8' },
    })
  })

  it('keeps header names as sent, every value in multiValueHeaders, the last in headers', () => {
    expect(event.headers).toMatchObject({ 'Content-Type': 'application/json', 'X-Tag': 'two' })
    expect(event.multiValueHeaders).toMatchObject({ 'X-Tag': ['one', 'two'] })
    expect(event.headers).toMatchObject({
      'X-Forwarded-For': '127.0.0.1',
      'X-Forwarded-Port': '3000',
      'X-Forwarded-Proto': 'http',
    })
  })

  it('maps the query string to single and multi-value parameters, and null when there is none', () => {
    expect(event.queryStringParameters).toEqual({ b: '2', a: '3' })
    expect(event.multiValueQueryStringParameters).toEqual({ b: ['2'], a: ['1', '3'] })
    const bare = toProxyEvent(
      {
        requestId: 'r',
        method: 'POST',
        url: '/local/objects',
        rawHeaders: [],
        body: Buffer.alloc(0),
        sourceIp: '::1',
        host: 'localhost',
        receivedAt,
      },
      { stage: 'local', resource: '/objects' },
    )
    expect(bare.queryStringParameters).toBeNull()
    expect(bare.multiValueQueryStringParameters).toBeNull()
    expect(bare.body).toBeNull()
    expect(bare.requestContext.identity.apiKey).toBeNull()
  })

  it('gives each invocation a Lambda context with a deadline', () => {
    const context = lambdaContext('objects', 29_000)
    expect(context.functionName).toBe('objects')
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(28_000)
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(29_000)
  })
})
