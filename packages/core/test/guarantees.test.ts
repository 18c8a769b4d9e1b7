// The core's documented guarantees, each on a real valkey-server and a real S3 server, on the paths
// where 0.1.0 broke them: read-your-writes with and without L1, lease waiters when the leader stores
// nothing, durations Valkey refuses, unknown option names, `wrap` values JSON cannot hold, and keys
// that are not well-formed UTF-16.

import { startS3, startValkey } from '@valkey-s3-cache/testkit'
import { describe, expect, it } from 'vitest'
import {
  CacheConfigError,
  createS3Cache,
  createValkeyClient,
  InvalidKeyError,
  InvalidValueError,
  type S3CacheOptions,
} from '../src'
import { entryKeys } from '../src/keys'
import { holdResponses, makeCache, putRaw, sleep, uniqueKey } from './support/harness'
import { useServers } from './support/servers'

const text = (body: Uint8Array) => new TextDecoder().decode(body)

describe('read-your-writes in the writing process (real Valkey)', () => {
  const servers = useServers()

  for (const l1 of [false, { ttl: '1m' }] as const) {
    const label = l1 ? 'with l1' : 'without l1'

    it(`after put() resolves, a read never joins a load that began before it (${label})`, async () => {
      const { cache, client } = servers.cacheOnOwnClient({ ttl: '1m', l1 })
      const held = holdResponses(client)
      const key = uniqueKey('ryw-put')
      await putRaw(servers.s3, key, 'v1')
      held.hold()
      const before = cache.getText(key) // loads v1, held after S3 answered
      await held.arrived()
      await cache.put(key, 'v2')
      const after = cache.getText(key)
      held.release()
      expect(await before).toBe('v1')
      expect(await after).toBe('v2')
      // The old load's result reached neither Valkey nor L1.
      expect(await cache.getText(key)).toBe('v2')
      expect(await cache.getText(key)).toBe('v2')
    })

    it(`after an outside write and invalidate(), every later read sees the new body (${label})`, async () => {
      const { cache, client } = servers.cacheOnOwnClient({ ttl: '1m', l1 })
      const held = holdResponses(client)
      const key = uniqueKey('ryw-invalidate')
      await putRaw(servers.s3, key, 'v1')
      held.hold()
      const before = cache.getText(key)
      await held.arrived()
      await putRaw(servers.s3, key, 'v2')
      await cache.invalidate(key)
      const after = cache.getText(key)
      held.release()
      expect(await before).toBe('v1')
      expect(await after).toBe('v2')
      expect(await cache.getText(key)).toBe('v2')
    })
  }
})

describe('fresh entries are at most ttl old, counted from when their data was read (real Valkey)', () => {
  const servers = useServers()

  it('a load held up after S3 answered is fresh for ttl from when it began, not from when it was stored', async () => {
    const { cache, client } = servers.cacheOnOwnClient({ ttl: 2000, jitter: 0, l1: { ttl: '1m' } })
    const held = holdResponses(client)
    const key = uniqueKey('held-load')
    await putRaw(servers.s3, key, '{"v":1}')
    held.hold()
    const began = Date.now()
    const pending = cache.get(key)
    await held.arrived()
    await sleep(700) // the answer waits (a slow link, a freeze) after S3 read the object
    held.release()
    expect((await pending).status).toBe('miss')
    const stored = await cache.inspect(key)
    const freshUntil = stored.present && stored.kind === 'object' ? stored.freshUntil.getTime() : 0
    expect(freshUntil).toBeLessThanOrEqual(Date.now() + 2000 - 600)
    expect(freshUntil).toBeGreaterThanOrEqual(began + 2000)
  })
})

describe('a value built from objects is no fresher than they are (real Valkey)', () => {
  const servers = useServers()

  it('a wrap value built from a near-expired object expires with it, not a whole ttl later', async () => {
    const { cache } = servers.cacheOnOwnClient({ ttl: 1000, jitter: 0 })
    const object = uniqueKey('near-expiry')
    await putRaw(servers.s3, object, '{"v":1}')
    await cache.getJson(object)
    await sleep(600)
    let runs = 0
    const read = () =>
      cache.wrap(
        `${object}:built`,
        async ({ cache: reads }) => {
          runs++
          return { o: await reads.getJson(object) }
        },
        { ttl: '1h' },
      )
    expect(await read()).toEqual({ o: { v: 1 } })
    await putRaw(servers.s3, object, '{"v":2}') // outside the library, no event: within ttl
    await sleep(500) // the object's entry has expired, the value's own ttl has not
    expect(await read()).toEqual({ o: { v: 2 } })
    expect(runs).toBe(2)
  })
})

describe('a caller that joins a load Valkey could not store (real Valkey, paused)', () => {
  it('reads again: it may have begun after a change the load predates', async () => {
    const s3 = await startS3()
    const valkey = await startValkey()
    const made = (options: Partial<S3CacheOptions> = {}) =>
      makeCache(s3, { valkey: valkey.url, lock: false, timeouts: { valkey: 200 }, ...options })
    const reader = made()
    const writer = made()
    try {
      const held = holdResponses(reader.client)
      const key = uniqueKey('joined-unstored')
      await putRaw(s3, key, 'v1')
      await reader.cache.connect()
      held.hold()
      const first = reader.cache.get(key) // began before the put: may answer v1
      await held.arrived()
      await writer.cache.put(key, 'v2') // resolved before the joiner begins
      valkey.process.pause() // the load cannot commit
      const joiner = reader.cache.get(key)
      held.release()
      expect(text((await first).body)).toBe('v1')
      expect(text((await joiner).body)).toBe('v2')
    } finally {
      valkey.process.resume()
      await reader.cache.close()
      await writer.cache.close()
      await valkey.stop()
      await s3.stop()
    }
  })
})

describe('lease waiters when the leader stores nothing (real Valkey, two caches)', () => {
  const servers = useServers()
  // A wait far beyond the test's timeout: a waiter that only learns of the result by its wait ending fails the test.
  const lock = { ttl: '1h', wait: '1h' } as const
  // Lets the second cache reach the lease (and start polling) before the leader finishes; no assertion depends on it.
  const waiting = () => sleep(100)

  /** The leader's `get(key)` is held after S3 answered while the waiter's `get(key)` polls the lease; then both go on. */
  async function leaderAndWaiter(options: Partial<S3CacheOptions>, key: string) {
    const leader = servers.cacheOnOwnClient({ lock, ...options })
    const waiter = servers.cacheOnOwnClient({ lock, ...options })
    const held = holdResponses(leader.client)
    held.hold()
    const first = leader.cache.get(key)
    await held.arrived()
    const second = waiter.cache.get(key)
    await waiting()
    held.release()
    return { first, second }
  }

  it('an object over maxObjectBytes: the waiter goes on when the leader releases the lease', async () => {
    const key = uniqueKey('lease-big')
    await putRaw(servers.s3, key, 'larger than eight bytes')
    const { first, second } = await leaderAndWaiter({ maxObjectBytes: 8 }, key)
    expect((await first).status).toBe('bypass')
    expect((await second).status).toBe('bypass')
    expect(text((await second).body)).toBe('larger than eight bytes')
  }, 15_000)

  it('a miss with negativeTtl 0: the waiter goes on and gets ObjectNotFoundError', async () => {
    const { first, second } = await leaderAndWaiter({ negativeTtl: 0 }, uniqueKey('lease-missing'))
    await expect(first).rejects.toMatchObject({ code: 'OBJECT_NOT_FOUND' })
    await expect(second).rejects.toMatchObject({ code: 'OBJECT_NOT_FOUND' })
  }, 15_000)

  it('a wrap loader that throws: the waiter runs its own loader', async () => {
    const leader = servers.cacheOnOwnClient({ lock })
    const waiter = servers.cacheOnOwnClient({ lock })
    const key = uniqueKey('lease-throws')
    let fail: (error: Error) => void = () => {}
    let started: () => void = () => {}
    const leading = new Promise<void>((resolve) => {
      started = resolve
    })
    const first = leader.cache.wrap(key, () => {
      started()
      return new Promise<number>((_, reject) => {
        fail = reject
      })
    })
    await leading
    const second = waiter.cache.wrap(key, () => 42)
    await waiting()
    fail(new Error('loader failed'))
    await expect(first).rejects.toThrow('loader failed')
    expect(await second).toBe(42)
  }, 15_000)
})

describe('only integers reach Valkey (real Valkey)', () => {
  const servers = useServers()

  it('lock.ttl 2500.5 is rounded at creation: entries are stored and read back as hits', async () => {
    const { cache, events } = servers.cacheOnOwnClient({ lock: { ttl: 2500.5 }, ttl: 60_000.5 })
    const key = uniqueKey('integer-ttl')
    await putRaw(servers.s3, key, '{"a":1}')
    expect((await cache.get(key)).status).toBe('miss')
    expect((await cache.get(key)).status).toBe('hit')
    expect((await cache.get(key, { ttl: 1000.5 })).status).toBe('hit')
    expect(events.filter((event) => event.type === 'error')).toEqual([])
  })

  it('l1.maxBytes is a byte count: a duration string or a fraction is CacheConfigError', () => {
    const base = { s3: servers.s3.client, bucket: servers.bucket, valkey: servers.valkey.url }
    for (const maxBytes of ['16m', 1000.5, 0, -1]) {
      expect(() => createS3Cache({ ...base, l1: { maxBytes: maxBytes as number } })).toThrow(
        expect.objectContaining({ option: 'l1.maxBytes' }),
      )
    }
  })
})

describe('unknown option names are refused, naming them (real Valkey URL)', () => {
  const servers = useServers()

  it('createS3Cache: top level and nested', () => {
    const base = { s3: servers.s3.client, bucket: servers.bucket, valkey: servers.valkey.url }
    const cases: [Record<string, unknown>, string][] = [
      [{ ttll: '5m' }, 'ttll'],
      [{ l1: { maxbytes: 1024 } }, 'l1.maxbytes'],
      [{ lock: { wiat: '1s' } }, 'lock.wiat'],
      [{ timeouts: { s3ms: 100 } }, 'timeouts.s3ms'],
      [{ compression: { level: 3 } }, 'compression.level'],
    ]
    for (const [extra, option] of cases) {
      expect(() => createS3Cache({ ...base, ...extra } as never)).toThrow(CacheConfigError)
      expect(() => createS3Cache({ ...base, ...extra } as never)).toThrow(expect.objectContaining({ option }))
    }
  })

  it('createValkeyClient and the valkey option: top level and iam', async () => {
    const url = servers.valkey.url
    await expect(createValkeyClient({ url, comandTimeout: 100 } as never)).rejects.toMatchObject({
      option: 'comandTimeout',
    })
    const iam = { userId: 'app', cacheName: 'c', region: 'us-east-1', reauthenticate: '1h' }
    await expect(createValkeyClient({ url, tls: true, iam } as never)).rejects.toMatchObject({
      option: 'iam.reauthenticate',
    })
    const base = { s3: servers.s3.client, bucket: servers.bucket }
    expect(() => createS3Cache({ ...base, valkey: { url, cluser: false } as never })).toThrow(
      expect.objectContaining({ option: 'cluser' }),
    )
  })
})

describe('wrap values JSON cannot hold (real Valkey)', () => {
  const servers = useServers()

  it('a loader returning undefined, a function, a symbol or a bigint: InvalidValueError, nothing stored', async () => {
    const { cache } = servers.cacheOnOwnClient()
    for (const value of [undefined, () => 1, Symbol('s'), 10n]) {
      const key = uniqueKey('wrap-invalid')
      await expect(cache.wrap(key, () => value as never)).rejects.toBeInstanceOf(InvalidValueError)
      expect(await servers.admin.exists(entryKeys('s3c:', 'w', '', key).entry)).toBe(0)
      // The next call runs its loader: nothing was cached.
      expect(await cache.wrap(key, () => 'ok')).toBe('ok')
    }
  })
})

describe('keys that are not well-formed UTF-16 (real Valkey)', () => {
  const servers = useServers()

  it('a lone surrogate in a key or bucket is InvalidKeyError, so two keys never share one Valkey key', async () => {
    const { cache } = servers.cacheOnOwnClient()
    await expect(cache.wrap('id\uD800', () => 'a')).rejects.toBeInstanceOf(InvalidKeyError)
    expect(await cache.wrap('id\uFFFD', () => 'b')).toBe('b')
    await expect(cache.get('docs/\uDC00.json')).rejects.toBeInstanceOf(InvalidKeyError)
    await expect(cache.get('docs/a.json', { bucket: 'b\uD83D' })).rejects.toBeInstanceOf(InvalidKeyError)
    await expect(cache.put('x\uD800', 'body')).rejects.toBeInstanceOf(InvalidKeyError)
    await expect(cache.invalidate('x\uD800')).rejects.toBeInstanceOf(InvalidKeyError)
    // A well-formed pair is a valid key.
    expect(await cache.wrap('emoji \uD83D\uDE00', () => 'c')).toBe('c')
  })
})
