import type { S3Cache } from '@valkey-s3-cache/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { makeApp, putJson, uniqueKey } from './support/app'
import { eventVersions, header } from './support/events'
import { useServers } from './support/servers'

const servers = useServers()
let cache: S3Cache

beforeAll(() => {
  ;({ cache } = servers.makeCache())
})

const orders = ['cache-first', 'parser-first'] as const

describe.each(eventVersions)('http-json-body-parser before or after httpCache, $version', ({ event }) => {
  it.each(orders)(
    '%s: POST /objects is a MISS, then a HIT, and the handler sees the parsed body',
    async (order) => {
      const key = uniqueKey()
      await putJson(servers, key, { order })
      const app = makeApp({ cache, order })
      const post = (body: string) =>
        app.invoke(event({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body }))
      const miss = await post(JSON.stringify({ key }))
      const hit = await post(JSON.stringify({ key }))
      expect(header(miss, 'x-cache')).toBe('MISS')
      expect(JSON.parse(miss.body)).toEqual({ key, doc: { order } })
      expect(header(hit, 'x-cache')).toBe('HIT')
      expect(hit.body).toBe(miss.body)
      expect(app.runs()).toBe(1)
    },
  )

  it.each(orders)('%s: malformed JSON is a 422 from the parser and is not stored', async (order) => {
    const app = makeApp({ cache, order })
    const post = () =>
      app.invoke(event({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"key":' }))
    const first = await post()
    const second = await post()
    expect(first.statusCode).toBe(422)
    expect(second.statusCode).toBe(422)
    expect(header(second, 'x-cache')).toBeUndefined()
  })
})
