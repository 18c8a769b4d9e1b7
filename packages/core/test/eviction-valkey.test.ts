// Any key the cache writes may vanish: ElastiCache evicts keys under memory pressure (Serverless:
// volatile-lru). A DEL by an admin connection stands in for an eviction at the worst moment.
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
})
