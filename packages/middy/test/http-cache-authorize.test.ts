// What a hit skips, and httpCache's `authorize`: a per-request check that runs on hits too.
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import type { S3Cache } from '@valkey-s3-cache/core'
import { type HttpCacheOptions, type HttpEvent, httpCache, RequestRefusedError } from '@valkey-s3-cache/middy'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import { beforeAll, describe, expect, it } from 'vitest'
import { uniqueKey } from './support/app'
import { header, v1Event } from './support/events'
import { useServers } from './support/servers'

const servers = useServers()
let cache: S3Cache

beforeAll(() => {
  ;({ cache } = servers.makeCache())
})

const unauthorized = () => Object.assign(new Error('Unauthorized'), { statusCode: 401, expose: true })

/** `Bearer good` goes on; no Authorization header is a 401; any other token is refused (403). */
const bearerGood = (event: HttpEvent) => {
  const value = (event.headers as Record<string, string | undefined> | null)?.authorization
  if (value === undefined) throw unauthorized()
  return value === 'Bearer good'
}

/** httpCache with `authorize`, http-error-handler, and a counted check placed after httpCache (the wrong place). */
function app(options: Partial<HttpCacheOptions>) {
  const counts = { handler: 0, laterCheck: 0 }
  const errors: unknown[] = []
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpCache({ cache, ...options }))
    .use(httpErrorHandler({ logger: (error) => errors.push(error) }))
    .before(() => {
      counts.laterCheck++
    })
    .handler(async () => {
      counts.handler++
      return { statusCode: 200, body: 'protected' }
    })
  const invoke = (event: APIGatewayProxyEvent) => handler(event, {} as Context)
  return { invoke, counts, errors }
}

describe('httpCache authorize', () => {
  it('refuses an unauthenticated request and a bad token after a cached response; a check after httpCache would not run', async () => {
    const { invoke, counts, errors } = app({ authorize: bearerGood })
    const path = `/objects/${uniqueKey('authorize')}`
    const as = (authorization?: string) =>
      v1Event({ path, headers: authorization === undefined ? {} : { authorization } })

    const miss = await invoke(as('Bearer good'))
    const hit = await invoke(as('Bearer good'))
    const anonymous = await invoke(as())
    const badToken = await invoke(as('Bearer forged'))
    expect([miss, hit].map((r) => [r.statusCode, header(r, 'x-cache'), r.body])).toEqual([
      [200, 'MISS', 'protected'],
      [200, 'HIT', 'protected'],
    ])
    expect([anonymous.statusCode, anonymous.body]).toEqual([401, 'Unauthorized'])
    expect([badToken.statusCode, badToken.body]).toEqual([403, 'Forbidden'])
    expect(header(anonymous, 'x-cache')).toBeUndefined()
    expect(errors[1]).toBeInstanceOf(RequestRefusedError)
    // The hit and both refusals skipped the handler and every check after httpCache.
    expect(counts).toEqual({ handler: 1, laterCheck: 1 })
  })

  it('runs for every HTTP request, also those of methods httpCache does not cache', async () => {
    const { invoke, counts } = app({ authorize: bearerGood, methods: ['GET'] })
    const path = `/objects/${uniqueKey('authorize-post')}`
    const refused = await invoke(
      v1Event({ method: 'POST', path, headers: { authorization: 'Bearer forged' } }),
    )
    const allowed = await invoke(v1Event({ method: 'POST', path, headers: { authorization: 'Bearer good' } }))
    expect([refused.statusCode, allowed.statusCode]).toEqual([403, 200])
    expect(header(allowed, 'x-cache')).toBeUndefined()
    expect(counts.handler).toBe(1)
  })

  it('refuses when the check returns anything but true (a forgotten return lets nothing through)', async () => {
    const forgotten = (() => {}) as unknown as HttpCacheOptions['authorize']
    const { invoke, counts } = app({ authorize: forgotten })
    const answer = await invoke(v1Event({ path: `/objects/${uniqueKey('forgotten')}` }))
    expect([answer.statusCode, answer.body]).toEqual([403, 'Forbidden'])
    expect(counts.handler).toBe(0)
  })

  it('awaits an asynchronous check, which receives the event and the context', async () => {
    const seen: unknown[] = []
    const { invoke } = app({
      authorize: async (event, context) => {
        seen.push(event, context)
        return true
      },
    })
    const event = v1Event({ path: `/objects/${uniqueKey('async')}` })
    expect((await invoke(event)).statusCode).toBe(200)
    expect(seen).toEqual([event, {}])
  })
})

describe('what a hit skips', () => {
  it('runs the before hooks placed ahead of httpCache, and nothing else: no later before, no handler, no after', async () => {
    const ran: string[] = []
    const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
      .use({ before: () => void ran.push('earlier before'), after: () => void ran.push('earlier after') })
      .use(httpCache({ cache }))
      .use({ before: () => void ran.push('later before'), after: () => void ran.push('later after') })
      .handler(async () => {
        ran.push('handler')
        return { statusCode: 200, body: 'ok' }
      })
    const path = `/objects/${uniqueKey('skips')}`
    const event = () => v1Event({ path })
    await handler(event(), {} as Context)
    expect(ran.splice(0)).toEqual([
      'earlier before',
      'later before',
      'handler',
      'later after',
      'earlier after',
    ])
    expect(header(await handler(event(), {} as Context), 'x-cache')).toBe('HIT')
    expect(ran).toEqual(['earlier before'])
  })
})
