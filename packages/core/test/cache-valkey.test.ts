import { startValkey } from '@valkey-s3-cache/testkit'
import { Redis } from 'iovalkey'
import { describe, expect, it } from 'vitest'
import { decodeEntry } from '../src/entry'
import { entryKeys } from '../src/keys'
import { cacheContract } from './support/contract'
import { putRaw, sleep, uniqueKey } from './support/harness'
import { commandCount, useServers } from './support/servers'

cacheContract('valkey standalone', async () => {
  const server = await startValkey()
  const clients: Redis[] = []
  return {
    shared: true,
    valkey: () => {
      const client = new Redis(server.options())
      clients.push(client)
      return client
    },
    async stop() {
      for (const client of clients) client.disconnect()
      await server.stop()
    },
  }
})

describe('cache on real Valkey: counts and stored bytes', () => {
  const servers = useServers()
  const { cacheOnOwnClient } = servers

  it('answers an L2 hit with exactly one Valkey command and no S3 call', async () => {
    const { cache, getObjectCalls } = cacheOnOwnClient()
    const key = uniqueKey()
    await putRaw(servers.s3, key, JSON.stringify({ hello: 'world' }))
    await cache.get(key)
    const before = await commandCount(servers.admin)
    const hit = await cache.get(key)
    const after = await commandCount(servers.admin)
    expect(hit.status).toBe('hit')
    expect(after - before).toBe(1)
    expect(getObjectCalls()).toBe(1)
  })

  it('makes one S3 call for 4 caches on 4 clients × 50 concurrent gets of a cold key', async () => {
    const caches = Array.from({ length: 4 }, () => cacheOnOwnClient())
    const key = uniqueKey('stampede')
    await putRaw(servers.s3, key, JSON.stringify({ big: 'x'.repeat(5000) }))
    const reads = caches.flatMap(({ cache }) => Array.from({ length: 50 }, () => cache.getJson(key)))
    const bodies = await Promise.all(reads)
    expect(bodies.every((b) => (b as { big: string }).big.length === 5000)).toBe(true)
    expect(caches.reduce((sum, c) => sum + c.getObjectCalls(), 0)).toBe(1)
  })

  it('heals a corrupt entry: random bytes at the key are a miss, reported, and overwritten', async () => {
    const { cache, events } = cacheOnOwnClient()
    const key = uniqueKey('corrupt')
    await putRaw(servers.s3, key, '{"good":true}')
    const valkeyKey = entryKeys('s3c:', 'o', servers.bucket, key).entry
    for (const junk of [Buffer.from('hello'), Buffer.from(crypto.getRandomValues(new Uint8Array(300)))]) {
      await servers.admin.set(valkeyKey, junk)
      expect(await cache.getJson(key)).toEqual({ good: true })
      const stored = await servers.admin.getBuffer(valkeyKey)
      expect(decodeEntry(stored as Buffer, valkeyKey).etag).toMatch(/^"/)
    }
    expect(events.filter((e) => e.type === 'error' && e.operation === 'corrupt-entry')).toHaveLength(2)
  })

  it('treats a truncated entry as a miss', async () => {
    const { cache } = cacheOnOwnClient()
    const key = uniqueKey('truncated')
    await putRaw(servers.s3, key, JSON.stringify({ pad: 'y'.repeat(3000) }))
    await cache.get(key)
    const valkeyKey = entryKeys('s3c:', 'o', servers.bucket, key).entry
    const whole = (await servers.admin.getBuffer(valkeyKey)) as Buffer
    await servers.admin.set(valkeyKey, whole.subarray(0, whole.length - 10))
    expect((await cache.get(key)).status).toBe('miss')
  })

  it('sets a TTL on every key it writes, shortened by jitter within bounds', async () => {
    const { cache } = cacheOnOwnClient({ ttl: '100s', jitter: 0.5, keyPrefix: 'jit:' })
    const ttls: number[] = []
    for (let i = 0; i < 30; i++) {
      const key = uniqueKey('jitter')
      await putRaw(servers.s3, key, '{}')
      await cache.get(key)
      ttls.push(await servers.admin.pttl(entryKeys('jit:', 'o', servers.bucket, key).entry))
    }
    expect(Math.min(...ttls)).toBeGreaterThanOrEqual(49_000)
    expect(Math.max(...ttls)).toBeLessThanOrEqual(100_000)
    expect(new Set(ttls.map((t) => Math.round(t / 5000))).size).toBeGreaterThan(2)
    const keys = await servers.admin.keys('jit:*')
    for (const k of keys) expect(await servers.admin.pttl(k)).toBeGreaterThan(0)
  })

  it('stores a 100 KiB JSON object compressed (by default, zstd from 64 KiB) in far fewer bytes', async () => {
    const { cache } = cacheOnOwnClient({ keyPrefix: 'bytes:' })
    const key = uniqueKey('compress')
    const body = JSON.stringify({
      rows: Array.from({ length: 1500 }, (_, i) => ({ id: i, name: `name-${i}`, ok: true })),
    })
    expect(body.length).toBeGreaterThan(50_000)
    await putRaw(servers.s3, key, body)
    await cache.get(key)
    const stored = await servers.admin.strlen(entryKeys('bytes:', 'o', servers.bucket, key).entry)
    expect(stored).toBeLessThan(body.length / 4)
  })

  it('fails open to S3 while Valkey is down and recovers when it is back', async () => {
    const { cache, events, getObjectCalls } = cacheOnOwnClient({ timeouts: { valkey: 100 } })
    const key = uniqueKey('failopen')
    await putRaw(servers.s3, key, '{"up":1}')
    await cache.get(key)
    await servers.valkey.process.stop()
    for (let i = 0; i < 5; i++) expect(await cache.getJson(key)).toEqual({ up: 1 })
    expect(getObjectCalls()).toBe(6)
    const errors = events.filter((e) => e.type === 'error')
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.length).toBeLessThanOrEqual(4)
    expect(errors.some((e) => e.type === 'error' && e.operation === 'circuit-open')).toBe(true)
    await servers.valkey.process.start()
    let status = ''
    for (let i = 0; i < 50 && status !== 'hit'; i++) {
      await sleep(100)
      status = (await cache.get(key)).status
    }
    expect(status).toBe('hit')
  })
})
