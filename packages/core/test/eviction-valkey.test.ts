// Any key the cache writes may vanish: ElastiCache evicts keys under memory pressure (Serverless:
// volatile-lru). A DEL by an admin connection stands in for an eviction at the worst moment.
import { GlideClient } from '@valkey/valkey-glide'
import { Redis } from 'iovalkey'
import { describe, expect, it } from 'vitest'
import { CacheWriteError } from '../src'
import { tagLogKey } from '../src/keys'
import { sleep, uniqueKey } from './support/harness'
import { useServers } from './support/servers'

const servers = useServers()

/** A promise to settle from outside, for holding a loader at a chosen point. */
function gate() {
  let open: () => void = () => {}
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { open, opened }
}

describe('bookkeeping keys evicted on real Valkey', () => {
  it('a tagged load that began with no tag log does not commit after an invalidateTags whose log was evicted', async () => {
    const keyPrefix = `${uniqueKey('evict').replace(/[^\w-]/g, '')}:`
    const { cache } = servers.cacheOnOwnClient({ keyPrefix })
    const { cache: peer } = servers.cacheOnOwnClient({ keyPrefix })
    const tag = uniqueKey('tag')
    const key = uniqueKey('value')
    const log = tagLogKey(keyPrefix)
    await servers.admin.del(log)
    const started = gate()
    const proceed = gate()
    const pending = cache.wrap(
      key,
      async () => {
        started.open()
        await proceed.opened
        return { v: 'old' }
      },
      { tags: [tag] },
    )
    await started.opened
    expect(await peer.invalidateTags([tag])).toBe(0)
    await servers.admin.del(log) // evicted (or lost in a failover) before the load commits
    proceed.open()
    expect(await pending).toEqual({ v: 'old' })
    let runs = 0
    const again = await peer.wrap(key, () => {
      runs++
      return { v: 'new' }
    })
    expect({ again, runs }).toEqual({ again: { v: 'new' }, runs: 1 })
  })

  it('connect() reports a server policy that evicts keys without a TTL (allkeys-*), and none for volatile-*', async () => {
    const reported = async () => {
      const { cache, events } = servers.cacheOnOwnClient()
      await cache.connect()
      return events.flatMap((event) =>
        event.type === 'error' && event.operation === 'eviction-policy' ? [event.error.message] : [],
      )
    }
    try {
      await servers.admin.config('SET', 'maxmemory-policy', 'allkeys-lru')
      const [message, ...others] = await reported()
      expect(others).toEqual([])
      expect(message).toMatch(/allkeys-lru evicts keys without a TTL/)
      await servers.admin.config('SET', 'maxmemory-policy', 'volatile-lru')
      expect(await reported()).toEqual([])
    } finally {
      await servers.admin.config('SET', 'maxmemory-policy', 'noeviction')
    }
  })

  it('connect() on a GLIDE client reports allkeys-* too', async () => {
    const client = await GlideClient.createClient({
      addresses: [{ host: '127.0.0.1', port: servers.valkey.port }],
      requestTimeout: 500,
    })
    try {
      await servers.admin.config('SET', 'maxmemory-policy', 'allkeys-random')
      const { cache, events } = servers.cacheOnOwnClient({ valkey: client })
      await cache.connect()
      expect(events.some((event) => event.type === 'error' && event.operation === 'eviction-policy')).toBe(
        true,
      )
    } finally {
      await servers.admin.config('SET', 'maxmemory-policy', 'noeviction')
      client.close()
    }
  })
})

describe('a write that timed out on the client but ran on the server later (real Valkey)', () => {
  it('a put that reported CacheWriteError cannot land after a later put and hold the older body', async () => {
    const late = new Redis(servers.valkey.options())
    const writerClient = new Redis(servers.valkey.options())
    try {
      const { cache: slow } = servers.cacheOnOwnClient({ valkey: late, timeouts: { valkey: 100 } })
      const { cache: writer } = servers.cacheOnOwnClient({ valkey: writerClient })
      const { cache: reader } = servers.cacheOnOwnClient()
      const key = uniqueKey('late-replace')
      await slow.connect()
      await writer.connect()
      // Everything the slow cache sends now waits behind a command the server holds for a second.
      const held = late.blpop(uniqueKey('never'), 1)
      await expect(slow.put(key, '{"v":"old"}')).rejects.toBeInstanceOf(CacheWriteError)
      await writer.put(key, '{"v":"new"}')
      await held // the slow cache's commands run now, after the newer put
      await sleep(50)
      expect(await reader.getJson(key)).toEqual({ v: 'new' })
    } finally {
      late.disconnect()
      writerClient.disconnect()
    }
  })
})
