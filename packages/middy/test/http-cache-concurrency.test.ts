import middy from '@middy/core'
import { createS3Cache, type S3Cache } from '@valkey-s3-cache/core'
import { httpCache } from '@valkey-s3-cache/middy'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import { beforeAll, describe, expect, it } from 'vitest'
import { makeApp, putJson, readObject, sleep, uniqueKey } from './support/app'
import { eventVersions, header, v1Event } from './support/events'
import { useServers } from './support/servers'

const servers = useServers()
let cache: S3Cache

beforeAll(() => {
  ;({ cache } = servers.makeCache())
})

/** The handler, slowed so that every request arrives while the first one is still running. */
const slowRead: typeof readObject = async (event, context) => {
  await sleep(50)
  return readObject(event, context)
}

describe.each(eventVersions)('concurrent identical $version requests', ({ event }) => {
  it('run the handler once: 20 at a time give one MISS and 19 HITs with the same body', async () => {
    const key = uniqueKey()
    await putJson(servers, key, { shared: true })
    const app = makeApp({ cache, respond: slowRead })
    const request = () =>
      app.invoke(
        event({
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ key }),
        }),
      )
    const results = await Promise.all(Array.from({ length: 20 }, request))
    expect(app.runs()).toBe(1)
    const statuses = results.map((result) => header(result, 'x-cache'))
    expect(statuses.filter((status) => status === 'MISS')).toHaveLength(1)
    expect(statuses.filter((status) => status === 'HIT')).toHaveLength(19)
    expect(new Set(results.map((result) => result.body)).size).toBe(1)
    expect(new Set(results.map((result) => header(result, 'etag'))).size).toBe(1)
    expect(results.every((result) => result.statusCode === 200)).toBe(true)
  })

  it('run the handler once across two processes sharing Valkey (the lease)', async () => {
    const key = uniqueKey()
    await putJson(servers, key, { processes: 2 })
    const other = createS3Cache({
      s3: servers.s3.newClient(),
      bucket: servers.s3.bucket,
      valkey: servers.valkey.url,
      ttl: '1m',
    })
    try {
      const [here, there] = [
        makeApp({ cache, respond: slowRead }),
        makeApp({ cache: other, respond: slowRead }),
      ]
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? here : there).invoke(event({ query: { key } }))),
      )
      expect(here.runs() + there.runs()).toBe(1)
      expect(new Set(results.map((result) => result.body)).size).toBe(1)
    } finally {
      await other.close()
    }
  })
})

describe('a leader whose request never ends', () => {
  it('holds the requests waiting on it only until its invocation runs out of time (the last resort)', async () => {
    let runs = 0
    let started: () => void = () => {}
    const leading = new Promise<void>((resolve) => {
      started = resolve
    })
    let release: () => void = () => {}
    const hanging = new Promise<void>((resolve) => {
      release = resolve
    })
    // Without middy's own timeout, which would end the hanging handler with an error (and so the run).
    const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>({ timeoutEarlyInMillis: 0 })
      .use(httpCache({ cache }))
      .handler(async (event) => {
        runs++
        if (!event.headers['x-hang']) return { statusCode: 200, body: 'ran' }
        started()
        await hanging
        return { statusCode: 200, body: 'late' }
      })
    const path = `/objects/${uniqueKey()}`
    const context = { getRemainingTimeInMillis: () => 300 } as Context
    const first = handler(v1Event({ path, headers: { 'x-hang': '1' } }), context)
    await leading
    const waiting = await handler(v1Event({ path }), context)
    expect(waiting.body).toBe('ran')
    expect(header(waiting, 'x-cache')).toBe('MISS')
    expect(runs).toBe(2)
    release()
    expect((await first).body).toBe('late')
  })
})
