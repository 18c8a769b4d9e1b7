import type { Socket } from 'node:net'
import { Redis } from 'iovalkey'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { createS3Cache, type S3Cache, type S3CacheOptions } from '../src'
import { Targets } from '../src/keys'
import { putRaw, uniqueKey } from './support/harness'
import { commandCount, useServers } from './support/servers'

const servers = useServers()
const opened: { cache: S3Cache; client: Redis }[] = []

/** A cache as most handlers create it: no event listener, defaults, its own connection. */
function plainCache(options: Pick<S3CacheOptions, 'l1' | 'shareParsed'> = {}) {
  const client = new Redis(servers.valkey.options())
  const cache = createS3Cache({
    s3: servers.s3.newClient(),
    bucket: servers.bucket,
    valkey: client,
    ...options,
  })
  opened.push({ cache, client })
  return { cache, client }
}

afterEach(async () => {
  for (const { cache, client } of opened.splice(0)) {
    await cache.close()
    client.disconnect()
  }
})

/** Counts what `fn` makes while it runs: timers and AbortControllers created from this package's sources. */
async function countOwnAllocations(
  fn: () => Promise<void>,
): Promise<{ timers: number; controllers: number }> {
  const fromCore = () => /packages\/core\/src\//.test(new Error().stack ?? '')
  const counts = { timers: 0, controllers: 0 }
  const realSetTimeout = globalThis.setTimeout
  const RealAbortController = globalThis.AbortController
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    if (fromCore()) counts.timers++
    return realSetTimeout(...args)
  }) as typeof setTimeout
  globalThis.AbortController = class extends RealAbortController {
    constructor() {
      super()
      if (fromCore()) counts.controllers++
    }
  }
  try {
    await fn()
  } finally {
    globalThis.setTimeout = realSetTimeout
    globalThis.AbortController = RealAbortController
  }
  return counts
}

describe('the hit path (real Valkey)', () => {
  it('arms no timer and no AbortController per hit: 200 hits share at most one deadline timer', async () => {
    const { cache } = plainCache()
    const key = uniqueKey('hot')
    await putRaw(servers.s3, key, JSON.stringify({ hot: true }))
    await cache.getJson(key)
    const counts = await countOwnAllocations(async () => {
      for (let i = 0; i < 200; i++) expect(await cache.getJson(key)).toEqual({ hot: true })
    })
    // The shared deadline re-arms at most once per timeout (250 ms) while commands are in flight.
    expect(counts.controllers).toBe(0)
    expect(counts.timers).toBeLessThanOrEqual(2)
  })

  /** Counts the socket writes (`_write` and `_writev` calls) and corks of `client` while `fn` runs. */
  async function socketCalls(client: Redis, fn: () => Promise<unknown>) {
    const socket = client.stream as Socket & { _write: Socket['_write']; _writev: Socket['_writev'] }
    const counts = { writes: 0, corks: 0 }
    const { _write: write, _writev: writev, cork } = socket
    socket._write = (...args) => {
      counts.writes++
      return write.apply(socket, args)
    }
    socket._writev = (...args) => {
      counts.writes++
      return writev?.apply(socket, args)
    }
    socket.cork = () => {
      counts.corks++
      cork.apply(socket)
    }
    try {
      await fn()
    } finally {
      Object.assign(socket, { _write: write, _writev: writev, cork })
    }
    return counts
  }

  it('sends 64 concurrent hits as 64 GETs in two socket writes: the first at once, the rest together', async () => {
    const { cache, client } = plainCache()
    const keys = Array.from({ length: 64 }, () => uniqueKey('batch'))
    for (const key of keys) await putRaw(servers.s3, key, JSON.stringify({ key }))
    await Promise.all(keys.map((key) => cache.getJson(key)))
    const before = await commandCount(servers.admin)
    let values: unknown[] = []
    const counts = await socketCalls(client, async () => {
      values = await Promise.all(keys.map((key) => cache.getJson(key)))
    })
    expect(values).toEqual(keys.map((key) => ({ key })))
    expect((await commandCount(servers.admin)) - before).toBe(64)
    expect(counts).toEqual({ writes: 2, corks: 1 })
  })

  it('sends a lone hit (nothing awaiting a reply) at once, without corking the socket', async () => {
    const { cache, client } = plainCache()
    const key = uniqueKey('lone')
    await putRaw(servers.s3, key, JSON.stringify({ lone: true }))
    await cache.getJson(key)
    const counts = await socketCalls(client, async () => {
      for (let i = 0; i < 10; i++) expect(await cache.getJson(key)).toEqual({ lone: true })
    })
    expect(counts).toEqual({ writes: 10, corks: 0 })
  })

  it('a repeated key is validated and hashed once (the cache remembers its target)', () => {
    const targets = new Targets('s3c:')
    const first = targets.object('bucket', 'a/key.json')
    expect(targets.object('bucket', 'a/key.json')).toBe(first)
    expect(targets.object('other', 'a/key.json')).not.toBe(first)
    expect(targets.wrap('a/key.json').keys.entry).not.toBe(first.keys.entry)
    // A non-string is refused, never looked up as the string it prints as.
    targets.object('bucket', '1')
    expect(() => targets.object('bucket', 1 as unknown as string)).toThrow(/non-empty string/)
  })
})

describe('removing dependents with a large L1 (real Valkey)', () => {
  it('costs work for what is removed only: no key of another L1 item is derived again', async () => {
    const { cache } = plainCache({ l1: { maxBytes: 256 * 1024 * 1024, ttl: '1h' } })
    const object = uniqueKey('depended-on')
    await putRaw(servers.s3, object, '{"o":1}')
    const others = Array.from({ length: 3000 }, (_, i) => `${uniqueKey('other')}-${i}`)
    for (const key of others) await cache.wrap(key, () => ({ key }))
    const built = uniqueKey('built')
    let runs = 0
    const readBuilt = () =>
      cache.wrap(built, async ({ cache: reads }) => {
        runs++
        return { o: await reads.getJson(object) }
      })
    await readBuilt()
    const derived = [vi.spyOn(Targets.prototype, 'object'), vi.spyOn(Targets.prototype, 'wrap')]
    try {
      await cache.put(object, '{"o":2}')
      // The removal names one entry: L1 finds it by its Valkey key, without walking the other 3,000.
      expect(derived.reduce((sum, spy) => sum + spy.mock.calls.length, 0)).toBeLessThanOrEqual(1)
    } finally {
      for (const spy of derived) spy.mockRestore()
    }
    expect(await readBuilt()).toEqual({ o: { o: 2 } })
    expect(runs).toBe(2)
  })
})

describe('shareParsed (real Valkey)', () => {
  it('L1 readers share one deep-frozen value per schema; a put replaces it', async () => {
    const { cache } = plainCache({ l1: { ttl: '1m' }, shareParsed: true })
    const key = uniqueKey('shared')
    await putRaw(servers.s3, key, JSON.stringify({ n: 1, nested: { list: [1, 2] } }))
    const fromL2 = await cache.getJson(key)
    const first = await cache.getJson(key)
    const second = await cache.getJson(key)
    expect(second).toBe(first)
    expect(first).toEqual(fromL2)
    expect(Object.isFrozen(first)).toBe(true)
    expect(Object.isFrozen((first as { nested: { list: number[] } }).nested.list)).toBe(true)
    expect(() => {
      ;(first as { n: number }).n = 2
    }).toThrow(TypeError)

    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: (value: unknown) => ({ value: { doubled: (value as { n: number }).n * 2 } }),
      },
    }
    const validated = await cache.getJson(key, schema)
    expect(validated).toEqual({ doubled: 2 })
    expect(await cache.getJson(key, schema)).toBe(validated)

    await cache.put(key, JSON.stringify({ n: 3, nested: { list: [] } }))
    expect(await cache.getJson(key)).toEqual({ n: 3, nested: { list: [] } })
  })

  it('64 concurrent reads of one key: one GET, one parse, one shared value', async () => {
    const { cache } = plainCache({ shareParsed: true })
    const key = uniqueKey('hot-shared')
    await putRaw(servers.s3, key, JSON.stringify({ hot: [1, 2, 3] }))
    await cache.getJson(key)
    const parse = JSON.parse
    let parses = 0
    JSON.parse = (...args: Parameters<typeof JSON.parse>) => {
      parses++
      return parse(...args)
    }
    const before = await commandCount(servers.admin)
    let values: unknown[]
    try {
      values = await Promise.all(Array.from({ length: 64 }, () => cache.getJson(key)))
    } finally {
      JSON.parse = parse
    }
    expect((await commandCount(servers.admin)) - before).toBe(1)
    expect(parses).toBe(1)
    expect(new Set(values).size).toBe(1)
    expect(Object.isFrozen(values[0])).toBe(true)
  })

  it('a value holding what cannot be frozen (Date, Map, Set, typed array) is not shared: each reader gets its own', async () => {
    const { cache } = plainCache({ l1: { ttl: '1m' }, shareParsed: true })
    const key = uniqueKey('unfreezable')
    const at = '2026-01-02T03:04:05.000Z'
    await putRaw(servers.s3, key, JSON.stringify({ at, tags: ['a'], bytes: [1, 2], byName: {} }))
    const schema = z.object({
      at: z.coerce.date(),
      tags: z.array(z.string()).transform((list) => new Set(list)),
      bytes: z.array(z.number()).transform((list) => Uint8Array.from(list)),
      byName: z.any().transform(() => new Map([['k', 'v']])),
    })
    for (let reader = 0; reader < 3; reader++) {
      const value = await cache.getJson(key, schema)
      expect(value.at.toISOString()).toBe(at)
      expect([...value.tags]).toEqual(['a'])
      expect([...value.bytes]).toEqual([1, 2])
      expect([...value.byName]).toEqual([['k', 'v']])
      // What one reader does to its value, no later reader sees.
      value.at.setTime(0)
      value.tags.add('changed')
      value.bytes[0] = 99
      value.byName.set('k', 'changed')
    }
  })

  it('without shareParsed, every read gets its own copy', async () => {
    const { cache } = plainCache({ l1: { ttl: '1m' } })
    const key = uniqueKey('copies')
    await putRaw(servers.s3, key, JSON.stringify({ n: 1 }))
    await cache.getJson(key)
    const a = await cache.getJson(key)
    const b = await cache.getJson(key)
    expect(a).toEqual(b)
    expect(a).not.toBe(b)
    expect(Object.isFrozen(a)).toBe(false)
  })
})
