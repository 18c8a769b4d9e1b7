// Two caches with L1 on one GLIDE client (the app's, handed to both: two key prefixes, say). GLIDE
// queues every pub/sub message of a client in one place, read with `getPubSubMessage()`: each cache
// must still hear every message of its own channel, and a closed cache must not keep taking them.
import { GlideClient, Logger } from '@valkey/valkey-glide'
import { afterAll, describe, expect, it } from 'vitest'
import { makeCache, putRaw, sleep, type TestCache, uniqueKey, whileRestarting } from './support/harness'
import { useServers } from './support/servers'

Logger.setLoggerConfig('off')

const DELIVERY_MS = 100
const HOUR = { ttl: '1h' } as const

describe('coherent L1 for caches sharing one GLIDE client (standalone Valkey)', () => {
  const servers = useServers()
  const clients: GlideClient[] = []
  const made: TestCache[] = []
  afterAll(async () => {
    for (const c of made) await c.cache.close()
    for (const client of clients) client.close()
  })

  const glide = async () => {
    const client = await GlideClient.createClient({
      addresses: [{ host: '127.0.0.1', port: servers.valkey.port }],
      requestTimeout: 1000,
    })
    clients.push(client)
    return client
  }
  const cache = (keyPrefix: string, valkey: GlideClient | string, l1: typeof HOUR | false = HOUR) => {
    const c = makeCache(servers.s3, { keyPrefix, valkey, l1, ttl: '1h', timeouts: { valkey: 1000 } })
    made.push(c)
    return c
  }

  /** Reads `keys` through `c` until they all answer from L1 (subscribed and confirmed). */
  const intoL1 = async (c: TestCache, keys: string[]) => {
    for (let i = 0; i < 100; i++) {
      const seen = c.events.length
      for (const key of keys) await c.cache.getText(key)
      const l1Hits = c.events.slice(seen).filter((e) => e.type === 'hit' && e.layer === 'l1').length
      if (l1Hits === keys.length) return
      await sleep(50)
    }
    throw new Error('never answered from L1')
  }

  it('each cache hears every change of its own prefix, and one closed earlier takes none', async () => {
    const shared = await glide()
    // A cache made and closed first: what it left waiting on the client must not swallow messages.
    const early = cache('glide-early:', shared)
    await early.cache.connect()
    await early.cache.close()
    const a = cache('glide-a:', shared)
    const b = cache('glide-b:', shared)
    const writerA = cache('glide-a:', servers.valkey.url, false)
    const writerB = cache('glide-b:', servers.valkey.url, false)
    await Promise.all([a, b, writerA, writerB].map((c) => c.cache.connect()))

    for (let round = 0; round < 5; round++) {
      const keys = [uniqueKey('glide-shared'), uniqueKey('glide-shared')]
      for (const key of keys) await putRaw(servers.s3, key, 'v1', 'text/plain')
      await intoL1(a, keys)
      await intoL1(b, keys)
      // Two changes in a row on each prefix, each published before the next is made.
      for (const key of keys) await writerA.cache.put(key, `a${round}`, { contentType: 'text/plain' })
      for (const key of keys) await writerB.cache.put(key, `b${round}`, { contentType: 'text/plain' })
      await sleep(DELIVERY_MS)
      for (const key of keys) {
        expect(await a.cache.getText(key)).toBe(`a${round}`)
        expect(await b.cache.getText(key)).toBe(`b${round}`)
      }
    }
    for (const c of [a, b]) expect(c.events.filter((e) => e.type === 'error')).toEqual([])
  })

  // GLIDE subscribes again by itself after a reconnect; with two channels on one connection it hands
  // the second confirmation to the next command waiting, in place of that command's reply.
  it('after the client reconnects, reads answer their objects, never a pub/sub confirmation', async () => {
    const shared = await glide()
    const a = cache('glide-ra:', shared)
    const b = cache('glide-rb:', shared)
    // Reads through the same client with no L1 of its own: every one is a GET.
    const reader = cache('glide-rr:', shared, false)
    await Promise.all([a.cache.connect(), b.cache.connect(), reader.cache.connect()])
    const keys = Array.from({ length: 5 }, () => uniqueKey('glide-reconnect'))
    for (const key of keys) await putRaw(servers.s3, key, key, 'text/plain')
    for (const key of keys) await reader.cache.getText(key)
    for (let round = 0; round < 3; round++) {
      await servers.admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
      await servers.admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes')
      for (let i = 0; i < 20; i++) {
        for (const key of keys) expect(await reader.cache.getText(key)).toBe(key)
        await sleep(10)
      }
    }
    const corrupt = reader.events.filter((e) => e.type === 'error' && e.operation === 'corrupt-entry')
    expect(corrupt).toEqual([])
  })
  // The stray confirmation shifts every reply after it: while commands keep the connection busy, each
  // GET takes the reply of the one sent before it, which is the entry of another key.
  it('reads in flight while the client reconnects (the server restarted with its data) answer their own objects', async () => {
    const shared = await glide()
    const a = cache('glide-sa:', shared)
    const b = cache('glide-sb:', shared)
    const reader = cache('glide-sr:', shared, false)
    await Promise.all([a.cache.connect(), b.cache.connect(), reader.cache.connect()])
    const keys = Array.from({ length: 20 }, () => uniqueKey('glide-shifted'))
    for (const key of keys) await putRaw(servers.s3, key, key, 'text/plain')
    for (const key of keys) await reader.cache.getText(key)
    const admin = await servers.valkey.adminClient()
    await admin.call('SAVE')
    const wrong: string[] = []
    let reads = 0
    await whileRestarting(servers.valkey, 16, async (i, reading) => {
      for (let n = i; reading(); n++) {
        const key = keys[n % keys.length] as string
        const text = await reader.cache.getText(key)
        reads++
        if (text !== key) wrong.push(`${key} answered ${text}`)
      }
    })
    expect(reads).toBeGreaterThan(1000)
    expect(wrong).toEqual([])
  })
})
