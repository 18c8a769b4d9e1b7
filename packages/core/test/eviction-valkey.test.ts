// Any key the cache writes may vanish: ElastiCache evicts keys under memory pressure (Serverless:
// volatile-lru). A DEL by an admin connection stands in for an eviction at the worst moment.
import { GlideClient } from '@valkey/valkey-glide'
import { describe, expect, it } from 'vitest'
import { tagLogKey } from '../src/keys'
import { uniqueKey } from './support/harness'
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
