import type { ALBEvent } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { readHttpEvent } from '../src/http/event'
import { defaultKey } from '../src/http/key'
import { v1Event, v2Event } from './support/events'

describe('readHttpEvent', () => {
  it('reads a v1 event: repeated headers and query values kept, names sorted', () => {
    const event = {
      ...v1Event({ path: '/objects/a', query: null }),
      multiValueHeaders: { Accept: ['a', 'b'], 'X-One': ['1'] },
      multiValueQueryStringParameters: { z: ['2', '1'], a: ['x'] },
    }
    const request = readHttpEvent(event)
    expect(request).toMatchObject({ method: 'GET', route: '/objects', path: '/objects/a' })
    expect(request?.headers.get('accept')).toBe('a, b')
    expect(request?.query).toEqual([
      ['a', 'x'],
      ['z', '2'],
      ['z', '1'],
    ])
  })

  it('reads a v2 event: route key, raw query, cookies as the cookie header', () => {
    const event = {
      ...v2Event({ method: 'post', path: '/objects', query: { b: '1', a: 'x y' } }),
      cookies: ['s=1', 't=2'],
    }
    const request = readHttpEvent(event)
    expect(request).toMatchObject({ method: 'POST', route: 'post /objects', path: '/objects' })
    expect(request?.query).toEqual([
      ['a', 'x y'],
      ['b', '1'],
    ])
    expect(request?.headers.get('cookie')).toBe('s=1; t=2')
  })

  it('reads an ALB event', () => {
    const event: ALBEvent = {
      requestContext: { elb: { targetGroupArn: 'arn' } },
      httpMethod: 'GET',
      path: '/objects',
      queryStringParameters: { key: 'a' },
      headers: { host: 'example.com' },
      body: null,
      isBase64Encoded: false,
    }
    expect(readHttpEvent(event)).toMatchObject({
      method: 'GET',
      route: '',
      path: '/objects',
      query: [['key', 'a']],
    })
  })

  it('hashes a parsed body and its raw JSON alike, and tells a body from none', () => {
    const raw = readHttpEvent(v1Event({ method: 'POST', body: '{"key":"a"}' }))
    const parsed = readHttpEvent({ ...v1Event({ method: 'POST' }), body: { key: 'a' } })
    const empty = readHttpEvent(v1Event({ method: 'POST' }))
    if (!raw || !parsed || !empty) throw new Error('not read')
    expect(defaultKey(raw, [])).toBe(defaultKey(parsed, []))
    expect(defaultKey(raw, [])).not.toBe(defaultKey(empty, []))
    expect(defaultKey(raw, [])).toMatch(/^http:http1:[\w-]{43}$/)
  })

  it('reads events whose headers and query are null or missing', () => {
    const v1 = { ...v1Event({ headers: null, query: null }), multiValueHeaders: null }
    const v2 = { ...v2Event(), headers: null, rawQueryString: undefined }
    for (const event of [v1, v2]) {
      const request = readHttpEvent(event)
      expect(request?.headers.size).toBe(0)
      expect(request?.query).toEqual([])
    }
  })

  it('returns undefined for events that are not HTTP proxy events', () => {
    expect(readHttpEvent(undefined)).toBeUndefined()
    expect(readHttpEvent({ Records: [] })).toBeUndefined()
  })
})
