// The fail-open guarantees of fail-open.test.ts, on a GLIDE client (@valkey/valkey-glide) handed to the
// cache: real valkey-servers stopped, paused, refusing the user, or not there yet.
import { GlideClient, Logger } from '@valkey/valkey-glide'
import { freePort, type S3Server, startS3, startValkey, type ValkeyServer } from '@valkey-s3-cache/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CacheEvent, CacheWriteError, ValkeyAuthError, ValkeyConnectionError } from '../src'
import { makeCache, putRaw, type TestCache, uniqueKey, untilHit } from './support/harness'

// GLIDE logs every failed or retried request at WARN; these tests fail requests on purpose.
Logger.setLoggerConfig('off')

type ErrorEvent = Extract<CacheEvent, { type: 'error' }>
const text = (body: Uint8Array) => new TextDecoder().decode(body)
const errorsOf = (made: TestCache) =>
  made.events.filter((event): event is ErrorEvent => event.type === 'error')

describe('fail-open to S3 on a GLIDE client (real valkey-server)', () => {
  let s3: S3Server
  const servers: ValkeyServer[] = []
  const clients: GlideClient[] = []
  const made: TestCache[] = []

  const server = async (options?: Parameters<typeof startValkey>[0]) => {
    const started = await startValkey(options)
    servers.push(started)
    return started
  }
  /**
   * GLIDE waits for an answer up to its requestTimeout (1 s here): the cache's own bound
   * (timeouts.valkey, 100 ms) must end the wait first.
   */
  const glide = async (
    target: { port: number; acl?: ValkeyServer['acl'] },
    options: Partial<Parameters<typeof GlideClient.createClient>[0]> = {},
  ) => {
    const client = await GlideClient.createClient({
      addresses: [{ host: '127.0.0.1', port: target.port }],
      ...(target.acl
        ? { credentials: { username: target.acl.username, password: target.acl.password } }
        : {}),
      requestTimeout: 1000,
      ...options,
    })
    clients.push(client)
    return client
  }
  const cache = (valkey: GlideClient, valkeyMs = 100) => {
    const testCache = makeCache(s3, { valkey, timeouts: { valkey: valkeyMs } })
    made.push(testCache)
    return testCache
  }
  /** Objects in S3, one per concurrent read of a burst (concurrent reads of one key share one load). */
  const objects = async (name: string, count: number) => {
    const keys = Array.from({ length: count }, (_, i) => uniqueKey(`${name}-${i}`))
    await Promise.all(keys.map((key) => putRaw(s3, key, JSON.stringify({ key }))))
    return keys
  }

  /**
   * During an outage: a burst of concurrent reads, each answered from S3 as 'bypass'. The first command
   * that times out opens the circuit (one event for it) until a background ping finds Valkey again;
   * the rest report nothing.
   */
  const burstDuringOutage = async (testCache: TestCache, keys: string[]) => {
    const before = errorsOf(testCache).length
    const answers = await Promise.all(keys.map((key) => testCache.cache.get(key)))
    expect(answers.map((answer) => answer.status)).toEqual(keys.map(() => 'bypass'))
    expect(answers.map((answer) => JSON.parse(text(answer.body)).key)).toEqual(keys)
    const errors = errorsOf(testCache).slice(before)
    expect(errors.map((event) => event.operation)).toEqual(['circuit-open'])
    // Ended by the cache's bound, not by GLIDE's longer requestTimeout.
    for (const event of errors) expect(event.error.message).toMatch(/did not answer within 100 ms/)
  }

  beforeAll(async () => {
    s3 = await startS3()
  })
  afterAll(async () => {
    for (const testCache of made) await testCache.cache.close()
    for (const client of clients) client.close()
    for (const started of servers) await started.stop()
    await s3.stop()
  })

  it('Valkey stopped: reads bypass to S3 within the bound, the first timeout opens the circuit (one event), writes throw CacheWriteError, and it recovers', async () => {
    const valkey = await server()
    const testCache = cache(await glide(valkey))
    const [key, ...burst] = await objects('stopped', 21)
    const first = key as string
    expect((await testCache.cache.get(first)).status).toBe('miss')
    expect((await testCache.cache.get(first)).status).toBe('hit')

    await valkey.process.stop()
    await burstDuringOutage(testCache, burst)
    // The circuit is open: reads go straight to S3; a failed probe reports the outage again, nothing else does.
    for (let i = 0; i < 5; i++) expect((await testCache.cache.get(first)).status).toBe('bypass')
    await expect(testCache.cache.put(first, '{"i":-1}')).rejects.toBeInstanceOf(CacheWriteError)
    await expect(testCache.cache.invalidate(first)).rejects.toBeInstanceOf(CacheWriteError)
    await expect(testCache.cache.invalidateTags(['stopped'])).rejects.toBeInstanceOf(CacheWriteError)
    expect(
      errorsOf(testCache)
        .slice(3)
        .filter((event) => event.operation !== 'circuit-open'),
    ).toEqual([])
    // S3 was written all the same.
    expect(await testCache.cache.getJson(first)).toEqual({ i: -1 })

    await valkey.process.start()
    expect(await untilHit(testCache, first)).toBe('hit')
  })

  it('Valkey paused with SIGSTOP: the same within the bound, and it recovers once resumed', async () => {
    const valkey = await server()
    const testCache = cache(await glide(valkey))
    const [key, ...burst] = await objects('paused', 21)
    const first = key as string
    await testCache.cache.get(first)
    expect((await testCache.cache.get(first)).status).toBe('hit')

    valkey.process.pause()
    try {
      await burstDuringOutage(testCache, burst)
      for (let i = 0; i < 5; i++) expect((await testCache.cache.get(first)).status).toBe('bypass')
      await expect(testCache.cache.put(first, '{"i":-2}')).rejects.toBeInstanceOf(CacheWriteError)
    } finally {
      valkey.process.resume()
    }
    expect(await untilHit(testCache, first)).toBe('hit')
    // As CacheWriteError says: S3 has the new body, the entry keeps the old one until its TTL ends.
    expect(await testCache.cache.getJson(first)).toEqual({ key: first })
  })

  it('the ACL user is refused a command (NOPERM in GLIDE words): a ValkeyAuthError naming the permission, and it recovers', async () => {
    const valkey = await server({ acl: true })
    const testCache = cache(await glide(valkey))
    const [key] = await objects('refused', 1)
    const first = key as string
    await testCache.cache.get(first)
    const admin = await valkey.adminClient()
    const user = valkey.acl?.username as string
    await admin.call('ACL', 'SETUSER', user, '-get')
    try {
      expect((await testCache.cache.get(first)).status).toBe('bypass')
      const [event] = errorsOf(testCache)
      expect(event?.error).toBeInstanceOf(ValkeyAuthError)
      expect(event?.error).toMatchObject({ username: user, permission: '+get' })
      expect(event?.error.message).not.toContain(valkey.acl?.password as string)
    } finally {
      await admin.call('ACL', 'SETUSER', user, '+get')
    }
    expect(await untilHit(testCache, first)).toBe('hit')
  })

  it('starts during an outage (lazyConnect, nothing listening): bypass, ValkeyConnectionError, and Valkey once it appears', async () => {
    const port = await freePort()
    // GLIDE gives up connecting after 50 ms, well within the cache's bound: its own error is reported.
    const client = await glide(
      { port },
      { lazyConnect: true, advancedConfiguration: { connectionTimeout: 50 } },
    )
    const testCache = cache(client, 1000)
    const [key] = await objects('cold', 1)
    const first = key as string
    await expect(testCache.cache.connect()).rejects.toBeInstanceOf(ValkeyConnectionError)
    const statuses = [(await testCache.cache.get(first)).status, (await testCache.cache.get(first)).status]
    const wrapped: string[] = []
    const value = await testCache.cache.wrap(first, () => ({ w: 1 }), {
      onStatus: (status) => wrapped.push(status),
    })
    expect({ statuses, wrapped, value }).toEqual({
      statuses: ['bypass', 'bypass'],
      wrapped: ['bypass'],
      value: { w: 1 },
    })
    const errors = errorsOf(testCache)
    expect(errors.length).toBeGreaterThan(0)
    for (const event of errors) expect(event.error).toBeInstanceOf(ValkeyConnectionError)

    await server({ config: [`port ${port}`] })
    expect(await untilHit(testCache, first)).toBe('hit')
  })

  it('refused credentials (lazyConnect): WRONGPASS and NOAUTH in GLIDE words are ValkeyAuthErrors that blame no user they cannot know', async () => {
    const valkey = await server({ acl: true })
    const [key] = await objects('credentials', 1)
    const wrong = cache(
      await glide(valkey, {
        credentials: { username: valkey.acl?.username as string, password: 'not-the-password' },
        lazyConnect: true,
      }),
      1000,
    )
    const none = cache(await glide({ port: valkey.port }, { lazyConnect: true }), 1000)
    for (const testCache of [wrong, none])
      expect((await testCache.cache.get(key as string)).status).toBe('bypass')

    const refused = errorsOf(wrong)[0]?.error as ValkeyAuthError
    expect(refused).toBeInstanceOf(ValkeyAuthError)
    expect(refused.message).toMatch(/WRONGPASS/)
    expect(refused.username).toBeUndefined()
    expect(refused.message).not.toContain('not-the-password')
    const [unauthenticated] = errorsOf(none)
    expect(unauthenticated?.error).toBeInstanceOf(ValkeyAuthError)
    expect(unauthenticated?.error.message).toMatch(/requires authentication/)
  })

  it('the app closed its GLIDE client (SIGTERM) before the cache: reads bypass to S3, the error is a ValkeyConnectionError', async () => {
    const valkey = await server()
    const client = await glide(valkey)
    const testCache = cache(client)
    const [key] = await objects('closed', 1)
    const first = key as string
    await testCache.cache.get(first)
    client.close()
    expect((await testCache.cache.get(first)).status).toBe('bypass')
    const [event] = errorsOf(testCache)
    expect(event?.error).toBeInstanceOf(ValkeyConnectionError)
    expect(event?.error.message).toMatch(/closed/)
  })
})
