import { tracingChannel } from 'node:diagnostics_channel'
import { freePort, type S3Server, startS3, startValkey, type ValkeyServer } from '@valkey-s3-cache/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHANNELS } from '../src'
import { makeCache, putRaw, sleep, type TestCache, uniqueKey, untilHit } from './support/harness'

describe('fail-open to S3 (real valkey-server, connections created by the cache from a URL)', () => {
  let s3: S3Server
  let server: ValkeyServer
  const made: TestCache[] = []
  const cache = (valkey: string) => {
    const c = makeCache(s3, { valkey, timeouts: { valkey: 100 } })
    made.push(c)
    return c
  }

  beforeAll(async () => {
    s3 = await startS3()
    server = await startValkey({ acl: true })
  })
  afterAll(async () => {
    for (const c of made) await c.cache.close()
    await server.stop()
    await s3.stop()
  })

  it('serves from S3 while Valkey is paused with SIGSTOP, reports it once per outage, and recovers', async () => {
    const c = cache(server.url)
    const key = uniqueKey('paused')
    await putRaw(s3, key, '{"p":1}')
    await c.cache.get(key)
    server.process.pause()
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, () => c.cache.getJson(key)))
      for (let i = 0; i < 10; i++) answers.push(await c.cache.getJson(key))
      expect(answers.every((a) => (a as { p: number }).p === 1)).toBe(true)
    } finally {
      server.process.resume()
    }
    const errors = c.events.filter((e) => e.type === 'error')
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.length).toBeLessThanOrEqual(4)
    expect(await untilHit(c, key, 60)).toBe('hit')
  })

  it('a request pays at most one Valkey timeout while Valkey hangs: the commands after it skip Valkey', async () => {
    const c = cache(server.url)
    const key = uniqueKey('one-timeout')
    await putRaw(s3, key, '{"cold":1}')
    await c.cache.connect()
    const sent: string[] = []
    const subscriber = { start: (context: { operation: string }) => sent.push(context.operation) }
    const channel = tracingChannel(CHANNELS.valkey)
    server.process.pause()
    channel.subscribe(subscriber as never)
    try {
      // A cold key: its GET times out; the lease, the commit and the rest skip Valkey.
      const answer = await c.cache.get(key)
      expect(answer.status).toBe('bypass')
      expect(sent).toEqual(['valkey-read'])
    } finally {
      channel.unsubscribe(subscriber as never)
      server.process.resume()
    }
    // A probe in the background finds Valkey back: reads use it again.
    expect(await untilHit(c, key, 60)).toBe('hit')
  })

  it('serves from S3 while the ACL user is refused (NOPERM), naming the missing permission, and recovers', async () => {
    const c = cache(server.url)
    const key = uniqueKey('refused')
    await putRaw(s3, key, '{"r":1}')
    await c.cache.get(key)
    const admin = await server.adminClient()
    const user = server.acl?.username as string
    await admin.call('ACL', 'SETUSER', user, '-get')
    try {
      expect(await c.cache.getJson(key)).toEqual({ r: 1 })
      const error = c.events.find((e) => e.type === 'error')
      expect(error?.type === 'error' && error.error.name).toBe('ValkeyAuthError')
      expect(error?.type === 'error' && error.error.message).toMatch(/get/i)
      expect(error?.type === 'error' && error.error.message).not.toContain(server.acl?.password as string)
    } finally {
      await admin.call('ACL', 'SETUSER', user, '+get')
    }
    expect(await untilHit(c, key, 60)).toBe('hit')
  })

  it("labels answers made without Valkey 'bypass', not 'miss' (get, and wrap through onStatus)", async () => {
    const c = cache(`valkey://127.0.0.1:${await freePort()}`)
    const key = uniqueKey('bypass')
    await putRaw(s3, key, '{"b":1}')
    const statuses = [(await c.cache.get(key)).status, (await c.cache.get(key)).status]
    const wrapped: string[] = []
    const value = await c.cache.wrap(key, () => ({ w: 1 }), { onStatus: (status) => wrapped.push(status) })
    expect(value).toEqual({ w: 1 })
    expect(statuses).toEqual(['bypass', 'bypass'])
    expect(wrapped).toEqual(['bypass'])
    expect(c.events.filter((e) => e.type === 'bypass')).toHaveLength(3)
  })

  it('starts during an outage (nothing listening), serves from S3, and uses Valkey once it appears', async () => {
    const port = await freePort()
    const c = cache(`valkey://127.0.0.1:${port}`)
    const key = uniqueKey('cold-outage')
    await putRaw(s3, key, '{"c":1}')
    for (let i = 0; i < 5; i++) expect(await c.cache.getJson(key)).toEqual({ c: 1 })
    expect(c.getObjectCalls()).toBe(5)
    const late = await startValkey({ config: [`port ${port}`] })
    try {
      let status = ''
      for (let i = 0; i < 60 && status !== 'hit'; i++) {
        await sleep(100)
        status = (await c.cache.get(key)).status
      }
      expect(status).toBe('hit')
    } finally {
      await c.cache.close()
      await late.stop()
    }
  })
})
