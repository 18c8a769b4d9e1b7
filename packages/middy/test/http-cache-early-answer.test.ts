// An answer that ends the request before httpCache's `after` or `onError` runs (middy 7 skips the
// remaining hooks of an early answer, and every other `onError` once one answers or throws): the run
// httpCache leads must end at once, store nothing and release its lease, or the next request for the
// key in this environment would wait for the invocation's remaining time.
import middy from '@middy/core'
import type { S3Cache } from '@valkey-s3-cache/core'
import { httpCache, type MiddyLikeMiddleware } from '@valkey-s3-cache/middy'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import type { Redis } from 'iovalkey'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { entryKeys } from '../../core/src/keys'
import { readHttpEvent } from '../src/http/event'
import { defaultKey } from '../src/http/key'
import { sleep, uniqueKey } from './support/app'
import { header, v1Event } from './support/events'
import { useServers } from './support/servers'

const servers = useServers()
let cache: S3Cache
let admin: Redis

beforeAll(async () => {
  ;({ cache } = servers.makeCache())
  admin = await servers.valkey.adminClient()
})

/** A Lambda invocation with ten minutes left: a run left open would hold the next request that long. */
const longInvocation = { getRemainingTimeInMillis: () => 600_000 } as Context

/** The Valkey keys of the response httpCache stores for `event` under its default key. */
function responseKeys(event: APIGatewayProxyEvent) {
  const request = readHttpEvent(event)
  if (request === undefined) throw new Error('not an HTTP event')
  return entryKeys('s3c:', 'w', '', defaultKey(request, []))
}

type Later = (early: (event: APIGatewayProxyEvent) => boolean) => MiddyLikeMiddleware

/**
 * Middlewares placed after httpCache that end the request early when it says `x-early`, the status the
 * client gets (0: the invocation fails), and whether the handler fails first (for the `onError` hooks).
 */
const laterMiddlewares: Array<[string, Later, number, boolean]> = [
  [
    'a rate limiter answering 429 from its before',
    (early) => ({
      before: async (request) => {
        if (early(request.event as APIGatewayProxyEvent)) return { statusCode: 429, body: 'slow down' }
      },
    }),
    429,
    false,
  ],
  [
    'an after answering with a response of its own',
    (early) => ({
      after: async (request) => {
        if (early(request.event as APIGatewayProxyEvent)) return { statusCode: 451, body: 'withheld' }
      },
    }),
    451,
    false,
  ],
  [
    'an onError answering the handler’s error',
    (early) => ({
      onError: async (request) => {
        if (early(request.event as APIGatewayProxyEvent)) return { statusCode: 503, body: 'unavailable' }
      },
    }),
    503,
    true,
  ],
  [
    'an onError that throws',
    (early) => ({
      onError: async (request) => {
        if (early(request.event as APIGatewayProxyEvent))
          throw new Error('rethrown', { cause: request.error })
      },
    }),
    0,
    true,
  ],
]

describe('an early answer from a middleware after httpCache', () => {
  it.each(laterMiddlewares)(
    '%s ends the leading run: nothing stored, the lease released, the next request runs its handler',
    async (_, later, status, handlerFails) => {
      let runs = 0
      const early = (event: APIGatewayProxyEvent) => event.headers['x-early'] === '1'
      const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
        .use(httpCache({ cache }))
        .use(later(early))
        .handler(async (event) => {
          runs++
          if (handlerFails && early(event)) throw new Error('the handler failed')
          return { statusCode: 200, body: 'ran' }
        })
      const path = `/objects/${uniqueKey('early')}`
      const keys = responseKeys(v1Event({ path }))

      const answer = handler(v1Event({ path, headers: { 'x-early': '1' } }), longInvocation)
      if (status === 0) await expect(answer).rejects.toThrow('rethrown')
      else expect((await answer).statusCode).toBe(status)
      await vi.waitFor(async () => expect(await admin.exists(keys.lease)).toBe(0))
      expect(await admin.exists(keys.entry)).toBe(0)

      const next = await handler(v1Event({ path }), longInvocation)
      expect(next.body).toBe('ran')
      expect(header(next, 'x-cache')).toBe('MISS')
      const hit = await handler(v1Event({ path }), longInvocation)
      expect(header(hit, 'x-cache')).toBe('HIT')
      expect(runs).toBe(status === 429 ? 1 : 2)
    },
  )

  it('a request waiting on the run while it ends early runs its own handler', async () => {
    let runs = 0
    const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
      .use(httpCache({ cache }))
      .before(async (request) => {
        if (request.event.headers['x-early']) {
          await sleep(20)
          return { statusCode: 429, body: 'slow down' }
        }
      })
      .handler(async () => {
        runs++
        return { statusCode: 200, body: 'ran' }
      })
    const path = `/objects/${uniqueKey('early-waiter')}`
    const [early, waiting] = await Promise.all([
      handler(v1Event({ path, headers: { 'x-early': '1' } }), longInvocation),
      sleep(5).then(() => handler(v1Event({ path }), longInvocation)),
    ])
    expect(early.statusCode).toBe(429)
    expect(waiting.body).toBe('ran')
    expect(header(waiting, 'x-cache')).toBe('MISS')
    expect(runs).toBe(1)
  })
})
